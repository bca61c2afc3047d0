import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionKeyHash } from '../../../src/stream/hash.js';
import { LogStream } from '../../../src/stream/log-stream.js';
import { FileCheckpointStore, SHARD_END } from '../../../src/stream/consumer/checkpoint.js';
import { ShardCoordinator, type ShardOutcome, type ShardTask } from '../../../src/stream/consumer/coordinator.js';
import { InProcessLeaseStore, type LeaseStore } from '../../../src/stream/consumer/lease.js';
import { isReadToEnd } from '../../../src/stream/consumer/lineage.js';
import { tempDir, waitFor } from '../../helpers/util.js';

const HALF = 1n << 127n;
const KEYS = Array.from({ length: 24 }, (_, i) => `key-${i}`);

interface Seen {
  shardId: string;
  key: string;
  n: number;
}

/**
 * A KCL-style record processor on the coordinator: reads its shard in small steps (slowly, so a
 * child started too early would interleave with its parent), checkpoints after each step with a
 * lease check (fencing), and checkpoints SHARD_END at the end of a closed shard.
 */
function consumer(stream: LogStream, store: FileCheckpointStore, leases: LeaseStore, seen: Seen[]) {
  const coordinator: ShardCoordinator = new ShardCoordinator({
    stream,
    checkpoints: store,
    initialCheckpoint: () => 0,
    leases,
    owner: 'worker-1',
    leaseKey: (id) => `test-app/${id}`,
    process: async (task: ShardTask): Promise<ShardOutcome> => {
      const id = task.shard.shardId;
      const log = stream.log(id);
      let pos = task.from;
      while (!task.signal.aborted) {
        const wake = coordinator.wakeSignal;
        if (isReadToEnd(stream.shard(id)!, pos)) {
          await store.set(id, SHARD_END);
          return 'ended';
        }
        const records = await log.read(pos, { maxRecords: 7 });
        if (records.length === 0) {
          if (coordinator.isDraining) return 'stopped';
          await log.waitForData(pos, wake);
          continue;
        }
        await new Promise((r) => setTimeout(r, 2));
        for (const r of records) {
          const [key, n] = r.data.toString().split(':');
          seen.push({ shardId: id, key, n: Number(n) });
        }
        pos = records[records.length - 1].position + 1;
        if (!(await leases.holds(task.lease))) return 'stopped';
        await store.set(id, pos);
      }
      return 'stopped';
    },
  });
  return coordinator;
}

describe('ShardCoordinator', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const counters = new Map<string, number>();
  async function write(stream: LogStream, perKey: number): Promise<void> {
    for (let i = 0; i < perKey; i++) {
      for (const key of KEYS) {
        const n = counters.get(key) ?? 0;
        counters.set(key, n + 1);
        const shard = stream.shardFor(partitionKeyHash(key));
        await stream.append(shard.shardId, [{ partitionKey: key, data: Buffer.from(`${key}:${n}`) }]);
      }
    }
  }

  function checkOrder(seen: Seen[]): void {
    const next = new Map<string, number>();
    for (const s of seen) {
      expect(s.n, `${s.key} in ${s.shardId}`).toBe(next.get(s.key) ?? 0);
      next.set(s.key, s.n + 1);
    }
    for (const key of KEYS) expect(next.get(key)).toBe(counters.get(key));
  }

  it('reads a parent to its end before its children, both parents before a merged child, and resumes from checkpoints', async () => {
    counters.clear();
    const tmp = await tempDir('coordinator');
    cleanups.push(tmp.remove);
    const logOpts = { dir: join(tmp.path, 'log'), fsync: false };
    const stream = await LogStream.create(logOpts, { name: 's', shardCount: 2, retentionHours: 24 });
    cleanups.push(() => stream.close());
    const storePath = join(tmp.path, 'app', 'checkpoints.json');
    const store = await FileCheckpointStore.open(storePath);
    const leases = new InProcessLeaseStore();
    const seen: Seen[] = [];
    const first = consumer(stream, store, leases, seen);

    await write(stream, 10);
    first.start();
    await write(stream, 5);
    // Split shard 0 while it is being read, keep writing, then merge a child of the split with shard 1.
    const [lower, upper] = await stream.split('shardId-000000000000', HALF / 2n);
    await write(stream, 10);
    const merged = await stream.merge(upper.shardId, 'shardId-000000000001');
    await write(stream, 10);
    const total = () => [...counters.values()].reduce((a, b) => a + b, 0);
    await waitFor(() => seen.length === total(), 20_000);
    checkOrder(seen);

    // Lineage, as the order the shards were read in: a child's first record after its parents' last.
    const firstAt = (id: string) => seen.findIndex((s) => s.shardId === id);
    const lastAt = (id: string) => seen.map((s) => s.shardId).lastIndexOf(id);
    for (const child of stream.meta.shards.filter((s) => s.parentShardId)) {
      if (firstAt(child.shardId) < 0) continue;
      for (const parent of [child.parentShardId!, child.adjacentParentShardId].filter((p): p is string => p !== undefined)) {
        expect(firstAt(child.shardId), `${child.shardId} after ${parent}`).toBeGreaterThan(lastAt(parent));
      }
    }
    expect(firstAt(merged.shardId)).toBeGreaterThan(0);
    await waitFor(() => store.checkpoint('shardId-000000000000') === SHARD_END && store.checkpoint(upper.shardId) === SHARD_END && store.checkpoint('shardId-000000000001') === SHARD_END);
    expect(first.isEnded(upper.shardId)).toBe(true);
    expect(first.runningShards().sort()).toEqual([lower.shardId, merged.shardId].sort());
    await first.stop();
    // Stopping released every lease.
    expect(await leases.acquire(`test-app/${merged.shardId}`, 'someone-else')).toBeDefined();

    // A restart (new store object, new leases) resumes from the checkpoints: nothing is read twice.
    await write(stream, 3);
    const before = seen.length;
    const second = consumer(stream, await FileCheckpointStore.open(storePath), new InProcessLeaseStore(), seen);
    second.start();
    cleanups.push(() => second.stop());
    await waitFor(() => seen.length === total(), 20_000);
    expect(seen.slice(before).every((s) => s.shardId === lower.shardId || s.shardId === merged.shardId)).toBe(true);
    checkOrder(seen);
    await second.drain();
    expect(second.runningShards()).toEqual([]);
  });

  it('does not read a shard whose lease another worker holds, and takes it once released', async () => {
    counters.clear();
    const tmp = await tempDir('coordinator');
    cleanups.push(tmp.remove);
    const stream = await LogStream.create({ dir: join(tmp.path, 'log'), fsync: false }, { name: 's', shardCount: 2, retentionHours: 24 });
    cleanups.push(() => stream.close());
    const leases = new InProcessLeaseStore();
    const held = (await leases.acquire('test-app/shardId-000000000001', 'worker-2'))!;
    const seen: Seen[] = [];
    const c = new ShardCoordinator({
      ...{ stream, checkpoints: await FileCheckpointStore.open(join(tmp.path, 'cp.json')), initialCheckpoint: () => 0, leases, owner: 'worker-1' },
      leaseKey: (id) => `test-app/${id}`,
      retryMs: 20,
      process: async (task) => {
        for (const r of await stream.log(task.shard.shardId).read(task.from)) seen.push({ shardId: task.shard.shardId, key: r.partitionKey, n: r.position });
        await new Promise<void>((resolve) => task.signal.addEventListener('abort', () => resolve(), { once: true }));
        return 'stopped';
      },
    });
    await write(stream, 4);
    c.start();
    cleanups.push(() => c.stop());
    await waitFor(() => c.runningShards().length === 1);
    expect(c.runningShards()).toEqual(['shardId-000000000000']);
    await leases.release(held);
    await waitFor(() => c.runningShards().length === 2, 5_000);
    expect(new Set(seen.map((s) => s.shardId))).toEqual(new Set(['shardId-000000000000', 'shardId-000000000001']));
  });
});
