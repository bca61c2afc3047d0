import type { Redis } from 'ioredis';
import { duplicateRedis, reconnectDelay } from './connection.js';

/** The largest sequence part of a stream entry id. */
const MAX_SEQ = '18446744073709551615';

interface Waiter {
  after: number;
  resolve(found: number | undefined): void;
}

interface Watch {
  key: string;
  waiters: Set<Waiter>;
  /** The `after` of the XREAD in flight (Infinity when none). */
  issuedAfter: number;
  conn?: PooledConnection;
}

interface PooledConnection {
  redis: Redis;
  /** CLIENT ID, refreshed on every (re)connect: CLIENT UNBLOCK needs it. */
  id?: number;
}

export interface TipWatcherOptions {
  /** One XREAD blocks at most this long before it is issued again. @defaultValue 10000 */
  blockMs?: number;
  /** Idle blocking connections kept for reuse. @defaultValue 4 */
  maxIdle?: number;
}

/**
 * Waits for records across nodes: `waitFor(key, p)` resolves once the shard's Redis Stream holds
 * an entry at position p or later, whoever appended it. Each shard with waiters has one
 * `XREAD BLOCK` in flight on its own connection, borrowed from a pool (XREAD over several keys
 * would be one connection for all, but Redis Cluster refuses multi-key XREAD across slots). The
 * XREAD names the entry id just before position p, so a record that arrived before the XREAD
 * was issued answers it at once: no wake-up is lost. A waiter that needs an earlier position,
 * or the last waiter leaving, interrupts the XREAD with CLIENT UNBLOCK.
 *
 * Entry ids are `<position + 1>-<arrival ms>` (see `RedisShardLog`). While Redis is unreachable
 * the XREADs are retried with backoff; waiters stay parked until data, abort or close.
 */
export class TipWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly idle: PooledConnection[] = [];
  private readonly blockMs: number;
  private readonly maxIdle: number;
  private closed = false;

  constructor(private readonly client: Redis, opts: TipWatcherOptions = {}) {
    this.blockMs = opts.blockMs ?? 10_000;
    this.maxIdle = opts.maxIdle ?? 4;
  }

  /**
   * Resolves with the position of an entry at `after` or later once there is one, or with
   * undefined when `signal` aborts or the watcher closes.
   */
  waitFor(key: string, after: number, signal?: AbortSignal): Promise<number | undefined> {
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let watch = this.watches.get(key);
      const fresh = !watch;
      if (!watch) {
        watch = { key, waiters: new Set(), issuedAfter: Infinity };
        this.watches.set(key, watch);
      }
      const w = watch;
      const onAbort = () => {
        w.waiters.delete(waiter);
        resolve(undefined);
        if (w.waiters.size === 0) this.interrupt(w);
      };
      const waiter: Waiter = {
        after,
        resolve: (found) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(found);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      w.waiters.add(waiter);
      if (fresh) void this.run(w);
      else if (after < w.issuedAfter && w.issuedAfter !== Infinity) this.interrupt(w);
    });
  }

  /** Resolves every waiter with undefined and closes the pooled connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches.values()) {
      for (const waiter of w.waiters) waiter.resolve(undefined);
      w.waiters.clear();
      if (w.conn) w.conn.redis.disconnect();
    }
    this.watches.clear();
    for (const c of this.idle.splice(0)) c.redis.disconnect();
  }

  /** The XREAD loop of one shard, while it has waiters. */
  private async run(watch: Watch): Promise<void> {
    let failures = 0;
    try {
      while (!this.closed && watch.waiters.size > 0) {
        try {
          watch.conn ??= await this.take();
          if (this.closed || watch.waiters.size === 0) break;
          let after = Infinity;
          for (const w of watch.waiters) after = Math.min(after, w.after);
          watch.issuedAfter = after;
          const reply = await watch.conn.redis.callBuffer('XREAD', 'COUNT', 1, 'BLOCK', this.blockMs, 'STREAMS', watch.key, `${after}-${MAX_SEQ}`);
          watch.issuedAfter = Infinity;
          failures = 0;
          const found = firstPosition(reply);
          if (found === undefined) continue; // timed out or interrupted: look at the waiters again
          for (const w of watch.waiters) {
            if (w.after <= found) {
              watch.waiters.delete(w);
              w.resolve(found);
            }
          }
        } catch {
          watch.issuedAfter = Infinity;
          if (this.closed) break;
          // Redis unreachable (or the connection died): drop the connection, wait, try again.
          watch.conn?.redis.disconnect();
          watch.conn = undefined;
          await new Promise((r) => setTimeout(r, reconnectDelay(++failures)));
        }
      }
    } finally {
      if (this.watches.get(watch.key) === watch) this.watches.delete(watch.key);
      if (watch.conn) this.give(watch.conn);
      watch.conn = undefined;
      // A waiter that arrived after the loop decided to stop starts a new loop.
      if (!this.closed && watch.waiters.size > 0) {
        const again: Watch = { key: watch.key, waiters: watch.waiters, issuedAfter: Infinity };
        this.watches.set(watch.key, again);
        void this.run(again);
      }
    }
  }

  private interrupt(watch: Watch): void {
    const id = watch.conn?.id;
    if (id === undefined || watch.issuedAfter === Infinity) return;
    this.client.call('CLIENT', 'UNBLOCK', id).catch(() => undefined);
  }

  private async take(): Promise<PooledConnection> {
    const reused = this.idle.pop();
    if (reused) return reused;
    // No command timeout: an XREAD legitimately blocks for blockMs.
    const redis = await duplicateRedis(this.client, { commandTimeout: undefined, enableAutoPipelining: false });
    const conn: PooledConnection = { redis };
    const learnId = () => {
      redis.call('CLIENT', 'ID').then((id) => { conn.id = Number(id); }, () => undefined);
    };
    redis.on('ready', learnId);
    conn.id = Number(await redis.call('CLIENT', 'ID'));
    return conn;
  }

  private give(conn: PooledConnection): void {
    if (this.closed || this.idle.length >= this.maxIdle || conn.redis.status !== 'ready') conn.redis.disconnect();
    else this.idle.push(conn);
  }
}

/** The position of the first entry of an XREAD reply (`[[key, [[id, fields]]]]`), if any. */
function firstPosition(reply: unknown): number | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const stream = reply[0] as [Buffer, [Buffer, Buffer[]][]];
  const entry = stream[1]?.[0];
  if (!entry) return undefined;
  return entryPosition(entry[0]);
}

/** Entry id `<position + 1>-<arrival ms>` → position. */
export function entryPosition(id: Buffer | string): number {
  const s = typeof id === 'string' ? id : id.toString('latin1');
  return Number(s.slice(0, s.indexOf('-'))) - 1;
}
