import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHARD_END } from '../../src/stream/consumer/checkpoint.js';
import { ShardCoordinator, type ShardOutcome, type ShardTask } from '../../src/stream/consumer/coordinator.js';
import { isReadToEnd } from '../../src/stream/consumer/lineage.js';
import { LogStream } from '../../src/stream/log-stream.js';
import type { RedisBackend } from '../../src/stream/redis/backend.js';
import { RedisCheckpointStore } from '../../src/stream/redis/checkpoint-store.js';
import { RedisLeaseBalancer } from '../../src/stream/redis/lease-balancer.js';
import { RedisLeaseStore } from '../../src/stream/redis/lease-store.js';
import { NodeRegistry } from '../../src/stream/redis/node-registry.js';
import { deletePrefix, testBackend, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/util.js';

const TTL = 600;
const GROUP = 'app';
const quiet = { warn: () => undefined, error: () => undefined };

interface Node {
  id: string;
  backend: RedisBackend;
  stream: LogStream;
  registry: NodeRegistry;
  coordinator: ShardCoordinator;
  /** (shard, position) of every record this node processed. */
  seen: string[];
}

describe('shard leases shared by nodes on Redis', () => {
  let prefix: string;
  const nodes: Node[] = [];
  beforeEach(() => {
    prefix = uniquePrefix('leases');
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.coordinator.stop().catch(() => undefined);
      n.registry.stop();
      await n.stream.close();
      await n.backend.close();
    }
    await deletePrefix(prefix);
  });

  /** A node: its own Redis connections, the shared stream, a KCL-style consumer with fenced checkpoints. */
  async function start(id: string, create?: number): Promise<Node> {
    const backend = await testBackend({ keyPrefix: prefix, watch: { blockMs: 500 }, meta: { pollMs: 100 } });
    const storage = backend.streamStorage('kinesis/events');
    const stream = create
      ? await LogStream.create({ dir: '', storage }, { name: 'events', shardCount: create, retentionHours: 24 })
      : (await LogStream.open({ dir: '', storage }))!;
    const { client, keys } = backend;
    const leases = new RedisLeaseStore({ client, keys, group: GROUP, ttlMs: TTL });
    const registry = new NodeRegistry({ client, keys, nodeId: id, ttlMs: TTL });
    await registry.start();
    const checkpoints = await RedisCheckpointStore.open({ client, keys, group: GROUP, leasePrefix: `${GROUP}/` });
    const seen: string[] = [];
    const coordinator: ShardCoordinator = new ShardCoordinator({
      stream, checkpoints, leases, owner: id, initialCheckpoint: () => 0,
      leaseKey: (shardId) => `${GROUP}/${shardId}`,
      renewEveryMs: TTL / 4, retryMs: 100, logger: quiet,
      balancer: new RedisLeaseBalancer(leases, registry),
      process: async (task: ShardTask): Promise<ShardOutcome> => {
        const shardId = task.shard.shardId;
        const log = stream.log(shardId);
        let pos = task.from;
        while (!task.signal.aborted) {
          const wake = coordinator.wakeSignal;
          if (isReadToEnd(stream.shard(shardId)!, pos)) {
            await checkpoints.set(shardId, SHARD_END, task.lease);
            return 'ended';
          }
          const records = await log.read(pos, { maxRecords: 5 });
          if (records.length === 0) {
            await log.waitForData(pos, AbortSignal.any([wake, task.signal]));
            continue;
          }
          for (const r of records) seen.push(`${shardId}:${r.position}`);
          pos = records[records.length - 1].position + 1;
          // Fenced: refused once this node lost the lease.
          await checkpoints.set(shardId, pos, task.lease);
        }
        return 'stopped';
      },
    });
    const node = { id, backend, stream, registry, coordinator, seen };
    nodes.push(node);
    coordinator.start();
    return node;
  }

  const append = async (stream: LogStream, n: number) => {
    for (const shard of stream.openShards()) {
      await stream.appendBatch(shard.shardId, Array.from({ length: n }, (_, i) => ({ partitionKey: `k${i}`, data: Buffer.from(String(i)) })));
    }
  };

  it('a joining node gets its share, a dead node\'s shards are taken over from their checkpoints, and no record is lost', async () => {
    const a = await start('node-a', 4);
    await waitFor(() => a.coordinator.runningShards().length === 4);
    await append(a.stream, 10);
    await waitFor(() => a.seen.length === 40);

    const b = await start('node-b');
    await waitFor(() => a.coordinator.runningShards().length === 2 && b.coordinator.runningShards().length === 2);
    await append(a.stream, 10);
    await waitFor(() => new Set([...a.seen, ...b.seen]).size === 80);
    const bShards = b.coordinator.runningShards();

    // node-b dies: its connection is gone, it neither renews, beats nor releases.
    b.registry.stop();
    b.backend.client.disconnect();
    await append(a.stream, 10);
    await waitFor(() => a.coordinator.runningShards().length === 4, 20_000);
    await waitFor(() => new Set([...a.seen, ...b.seen]).size === 120);
    // node-a resumed each of node-b's shards at node-b's fenced checkpoint: nothing node-b
    // checkpointed was read again by node-a (at-least-once allows re-reading only past it).
    for (const shard of bShards) {
      const byB = b.seen.filter((s) => s.startsWith(shard)).map((s) => Number(s.split(':')[1]));
      const byA = a.seen.filter((s) => s.startsWith(shard)).map((s) => Number(s.split(':')[1]));
      const lastCheckpointedByB = Math.max(...byB) + 1;
      expect(Math.min(...byA.filter((p) => p >= 10))).toBeLessThanOrEqual(lastCheckpointedByB);
      expect(new Set([...byA, ...byB]).size).toBe(30);
    }
  });

  it('a checkpoint write under a lease that was taken over is refused', async () => {
    const backend = await testBackend({ keyPrefix: prefix });
    let now = 1_000;
    const { client, keys } = backend;
    try {
      const leases = new RedisLeaseStore({ client, keys, group: GROUP, ttlMs: 100, now: () => now });
      const store = await RedisCheckpointStore.open({ client, keys, group: GROUP, leasePrefix: `${GROUP}/`, now: () => now });
      const old = (await leases.acquire(`${GROUP}/shard-0`, 'a'))!;
      await store.set('shard-0', 5, old);
      now += 200;
      const taken = (await leases.acquire(`${GROUP}/shard-0`, 'b'))!;
      await expect(store.set('shard-0', 9, old)).rejects.toThrow(/no longer held/);
      await store.set('shard-0', 7, taken);
      // Another node's store learns the checkpoint when it takes the shard (refresh).
      const other = await RedisCheckpointStore.open({ client, keys, group: GROUP, leasePrefix: `${GROUP}/`, now: () => now });
      expect(other.checkpoint('shard-0')).toBe(7);
      await store.set('shard-0', 8, taken);
      expect(await other.refresh('shard-0')).toBe(8);
      await expect(other.set('shard-0', 7)).rejects.toThrow(/behind 8/);
    } finally {
      await backend.close();
    }
  });
});
