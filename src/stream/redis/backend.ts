import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, unavailable, type RedisConnectionOptions } from './connection.js';
import { RedisCheckpointStore } from './checkpoint-store.js';
import { RedisKeys } from './keys.js';
import { RedisLeaseStore } from './lease-store.js';
import { NodeRegistry } from './node-registry.js';
import { MetaWatcher, type MetaWatcherOptions } from './meta-watcher.js';
import { RedisShardLog } from './shard-log.js';
import { RedisStreamStorage } from './stream-storage.js';
import { TipWatcher, type TipWatcherOptions } from './tip-watcher.js';

/** Settings of the Redis backend (`--backend redis`). */
export interface RedisBackendOptions extends RedisConnectionOptions {
  /**
   * Prefix of every key this deployment writes; deployments with different prefixes share one
   * Redis without seeing each other's data.
   * @defaultValue `hydrant`
   */
  keyPrefix?: string;
  /** Clock for arrival times and lease expiry (epoch ms); default `Date.now`. */
  now?: () => number;
  /**
   * Acknowledge an append only once `WAITAOF` confirms it is fsynced (Redis 7.2+): `local` 1 =
   * this server's AOF, `replicas` = how many replicas' AOFs. Default: off (the server's
   * `appendfsync` decides: `always` matches the embedded log's no-loss guarantee).
   */
  waitAof?: { local: 0 | 1; replicas: number; timeoutMs?: number };
  /** Blocking reads (waiting for records other nodes append). */
  watch?: TipWatcherOptions;
  /** Noticing other nodes' changes to stream metadata (reshards, retention). */
  meta?: MetaWatcherOptions;
}

/**
 * One node's connection to the Redis backend: the command client, the blocking-read watcher and
 * the key layout, and the factories of everything kept in Redis (shard logs, stream metadata,
 * leases, checkpoints, node heartbeats). Closing it closes every connection.
 */
export class RedisBackend {
  readonly keys: RedisKeys;
  readonly watcher: TipWatcher;
  readonly metaWatcher: MetaWatcher;
  readonly now: () => number;

  private constructor(readonly client: Redis, private readonly opts: RedisBackendOptions) {
    this.keys = new RedisKeys(opts.keyPrefix ?? 'hydrant');
    this.watcher = new TipWatcher(client, opts.watch);
    this.metaWatcher = new MetaWatcher(client, this.keys, opts.meta);
    this.now = opts.now ?? Date.now;
  }

  /** Connects and checks the server can do what the options ask (WAITAOF needs Redis 7.2). */
  static async connect(opts: RedisBackendOptions = {}): Promise<RedisBackend> {
    const client = await connectRedis(opts);
    const backend = new RedisBackend(client, opts);
    if (opts.waitAof) {
      try {
        await backend.checkWaitAof();
      } catch (err) {
        await backend.close();
        throw err;
      }
    }
    return backend;
  }

  private async checkWaitAof(): Promise<void> {
    let version: string;
    try {
      version = /redis_version:(\S+)/.exec(await this.client.info('server'))?.[1] ?? '0';
    } catch (err) {
      throw unavailable(err);
    }
    const [major, minor] = version.split('.').map(Number);
    if (major < 7 || (major === 7 && minor < 2)) {
      throw new Error(`waitAof needs Redis 7.2 or newer (WAITAOF); this server runs ${version}: use appendfsync always instead, or drop waitAof`);
    }
  }

  /** The log of one shard of `stream` (a stream's unique name in this deployment). */
  openShardLog(stream: string, shardId: string): Promise<RedisShardLog> {
    const w = this.opts.waitAof;
    return RedisShardLog.open({
      client: this.client,
      watcher: this.watcher,
      shardId,
      logKey: this.keys.shardLog(stream, shardId),
      positionsKey: this.keys.shardPositions(stream, shardId),
      now: this.now,
      waitAof: w ? { local: w.local, replicas: w.replicas, timeoutMs: w.timeoutMs ?? 1_000 } : undefined,
    });
  }

  /** The storage of one stream (shards and metadata) for `LogStream`'s `storage` option. */
  streamStorage(id: string): RedisStreamStorage {
    return new RedisStreamStorage(this, id);
  }

  /** The shard leases of one consumer group (e.g. one delivery stream). */
  leaseStore(group: string, ttlMs?: number): RedisLeaseStore {
    return new RedisLeaseStore({ client: this.client, keys: this.keys, group, ttlMs, now: this.now });
  }

  /** A consumer's checkpoints, kept in its leases (`leasePrefix + shardId`, as its coordinator's `leaseKey`). */
  checkpointStore(group: string, leasePrefix: string): Promise<RedisCheckpointStore> {
    return RedisCheckpointStore.open({ client: this.client, keys: this.keys, group, leasePrefix, now: this.now });
  }

  /** This node's heartbeat in the deployment (`nodeId` = its lease owner id). */
  nodeRegistry(nodeId: string, ttlMs?: number): NodeRegistry {
    return new NodeRegistry({ client: this.client, keys: this.keys, nodeId, ttlMs, now: this.now });
  }

  /**
   * A 32-byte secret shared by the deployment (e.g. the shard iterator key): created once by the
   * first node that asks, read by every other.
   */
  async sharedSecret(key: string): Promise<Buffer> {
    try {
      await this.client.set(key, randomBytes(32).toString('hex'), 'NX');
      const hex = await this.client.get(key);
      if (!hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${key} holds no 64-digit hex secret`);
      return Buffer.from(hex, 'hex');
    } catch (err) {
      throw unavailable(err, `reading the shared secret ${key} failed`);
    }
  }

  /** Closes the watcher's connections and the command client. */
  async close(): Promise<void> {
    await this.metaWatcher.close();
    await this.watcher.close();
    this.client.disconnect();
  }
}
