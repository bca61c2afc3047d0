import { Redis, type RedisOptions } from 'ioredis';
import { LogUnavailableError } from '../log/backend.js';

/** How a node reaches Redis. */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS.
   * @defaultValue `redis://127.0.0.1:6379`
   */
  url?: string;
  /**
   * How long one command may take before it fails as unavailable (a Redis that hangs must not
   * hang ingest: the producer gets a retryable error instead).
   * @defaultValue 5000
   */
  commandTimeoutMs?: number;
  /** How long connecting may take. @defaultValue 5000 */
  connectTimeoutMs?: number;
}

/** Reconnect delay after the n-th failed attempt: 50 ms doubling to 2 s. */
export const reconnectDelay = (attempt: number): number => Math.min(2_000, 50 * 2 ** Math.min(attempt - 1, 6));

/**
 * Client settings that make a lost Redis fail fast instead of queueing: commands issued while
 * disconnected reject at once (no offline queue), commands in flight when the connection drops
 * reject at the first reconnect attempt instead of being re-sent (a re-sent append could be
 * stored twice, or long after its producer gave up). Reconnects go on in the background.
 */
function clientOptions(opts: RedisConnectionOptions, extra: Partial<RedisOptions>): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // RESP2: reply shapes (XREAD in particular) are the same on every server version.
    protocol: 2,
    connectTimeout: opts.connectTimeoutMs ?? 5_000,
    commandTimeout: opts.commandTimeoutMs ?? 5_000,
    retryStrategy: reconnectDelay,
    enableAutoPipelining: true,
    ...extra,
  };
}

/** Connects a client; resolves once it is ready, rejects with a `LogUnavailableError` otherwise. */
export async function connectRedis(opts: RedisConnectionOptions, extra: Partial<RedisOptions> = {}): Promise<Redis> {
  const url = opts.url ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, clientOptions(opts, extra));
  // Connection errors surface on the commands that fail; the event only needs a listener.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw unavailable(err, `cannot connect to Redis at ${redactUrl(url)}`);
  }
  return client;
}

/** A second connection with the same settings, for commands that block (XREAD BLOCK) or subscribe. */
export async function duplicateRedis(client: Redis, extra: Partial<RedisOptions> = {}): Promise<Redis> {
  const dup = client.duplicate({ lazyConnect: true, ...extra });
  dup.on('error', () => undefined);
  try {
    await dup.connect();
  } catch (err) {
    dup.disconnect();
    throw unavailable(err, 'cannot open another Redis connection');
  }
  return dup;
}

/** Any failure to talk to Redis as the retryable log error the API edge maps to ServiceUnavailableException. */
export function unavailable(err: unknown, what = 'Redis is unavailable'): LogUnavailableError {
  if (err instanceof LogUnavailableError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new LogUnavailableError(`${what}: ${msg}`, { cause: err });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
