import { join } from 'node:path';
import { FileCheckpointStore, type CheckpointStore } from '../../src/stream/consumer/checkpoint.js';
import { InProcessLeaseStore, type LeaseStore } from '../../src/stream/consumer/lease.js';
import { ShardLog, type ShardLogBackend } from '../../src/stream/log/index.js';
import type { LogStreamOptions } from '../../src/stream/log-stream.js';
import type { RedisBackend } from '../../src/stream/redis/backend.js';
import { RedisCheckpointStore } from '../../src/stream/redis/checkpoint-store.js';
import { RedisLeaseStore } from '../../src/stream/redis/lease-store.js';
import { deletePrefix, testBackend, uniquePrefix } from '../helpers/redis.js';
import { tempDir } from '../helpers/util.js';

/** A test clock: epoch ms that tests move by hand. */
export interface Clock {
  now: number;
}

/**
 * One backend as the contract suite sees it: fresh storage per `setup`, a clock the test moves,
 * and factories for each interface under contract. `cleanup` deletes everything it created.
 */
export interface BackendUnderTest {
  readonly clock: Clock;
  /** The log of one shard; opening the same name again (after closing) sees the same data. */
  openLog(name: string): Promise<ShardLogBackend>;
  /** The lease store of a group (every call sees the same leases), grants lasting `ttlMs` on the clock. */
  leaseStore(group: string, ttlMs: number): LeaseStore;
  /** A consumer's checkpoints; opening again sees what was written. Lease keys are `<group>/<shardId>`. */
  checkpointStore(group: string): Promise<CheckpointStore>;
  /** Options for `LogStream.create` / `open` of stream `name` (the same storage every call). */
  streamOptions(name: string): LogStreamOptions;
  cleanup(): Promise<void>;
}

export interface BackendFactory {
  name: 'embedded' | 'redis';
  setup(): Promise<BackendUnderTest>;
}

/**
 * The embedded backend. Segments are tiny (one record each) so that retention and trims, which
 * the embedded log does per segment, land on record boundaries as they do on Redis.
 */
const embedded: BackendFactory = {
  name: 'embedded',
  async setup() {
    const tmp = await tempDir('contract');
    const clock: Clock = { now: 1_700_000_000_000 };
    const logs: ShardLog[] = [];
    const leaseStores = new Map<string, InProcessLeaseStore>();
    return {
      clock,
      leaseStore(group, ttlMs) {
        let store = leaseStores.get(group);
        if (!store) leaseStores.set(group, (store = new InProcessLeaseStore({ ttlMs, now: () => clock.now })));
        return store;
      },
      checkpointStore: (group) => FileCheckpointStore.open(join(tmp.path, 'checkpoints', `${group}.json`)),
      streamOptions: (name) => ({ dir: join(tmp.path, 'streams', name), fsync: false, now: () => clock.now, logger: { warn: () => undefined } }),
      async openLog(name) {
        const log = await ShardLog.open({ dir: join(tmp.path, name), fsync: false, segmentBytes: 1, now: () => clock.now, logger: { warn: () => undefined } });
        logs.push(log);
        return log;
      },
      async cleanup() {
        await Promise.all(logs.map((l) => l.close()));
        await tmp.remove();
      },
    };
  },
};

/** The Redis backend on the test server, under a key prefix of its own. */
const redis: BackendFactory = {
  name: 'redis',
  async setup() {
    const prefix = uniquePrefix('contract');
    const clock: Clock = { now: 1_700_000_000_000 };
    const backends: RedisBackend[] = [];
    const connect = async () => {
      const b = await testBackend({ keyPrefix: prefix, now: () => clock.now, watch: { blockMs: 2_000 } });
      backends.push(b);
      return b;
    };
    const main = await connect();
    const logs: ShardLogBackend[] = [];
    const now = () => clock.now;
    return {
      clock,
      leaseStore: (group, ttlMs) => new RedisLeaseStore({ client: main.client, keys: main.keys, group, ttlMs, now }),
      checkpointStore: (group) => RedisCheckpointStore.open({ client: main.client, keys: main.keys, group, leasePrefix: `${group}/`, now }),
      streamOptions: (name) => ({ dir: '', now, logger: { warn: () => undefined }, storage: main.streamStorage(`contract/${name}`) }),
      async openLog(name) {
        const log = await main.openShardLog('contract', name);
        logs.push(log);
        return log;
      },
      async cleanup() {
        await Promise.all(logs.map((l) => l.close()));
        await Promise.all(backends.map((b) => b.close()));
        await deletePrefix(prefix);
      },
    };
  },
};

export const BACKENDS: BackendFactory[] = [embedded, redis];
