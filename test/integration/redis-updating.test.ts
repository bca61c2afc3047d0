/**
 * Kinesis streams on the Redis backend: a stream left UPDATING by a node that went away during a
 * reshard's UPDATING window becomes ACTIVE again through another node (the change it was asked
 * for was not applied), so the stream can be resharded again.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisStreams } from '../../src/stream/registry/kinesis-streams.js';
import type { RedisBackend } from '../../src/stream/redis/backend.js';
import { deletePrefix, testBackend, uniquePrefix } from '../helpers/redis.js';
import { tempDir, waitFor } from '../helpers/util.js';

const quiet = pino({ level: 'silent' });

describe('a stream left UPDATING on Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function node(keyPrefix: string, updateDelayMs: number): Promise<KinesisStreams> {
    const backend: RedisBackend = await testBackend({ keyPrefix });
    const dir = await tempDir('updating');
    const streams = await KinesisStreams.open({
      dataDir: dir.path, region: 'us-east-1', accountId: '123456789012', logger: quiet, fsync: false,
      createDelayMs: 0, updateDelayMs, deleteDelayMs: 0, shardLimits: false, redis: backend, catalogSyncMs: 200,
    });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await streams.close();
      await backend.close();
      await dir.remove();
    };
    cleanups.push(close);
    return Object.assign(streams, { closeNode: close });
  }

  it('is made ACTIVE by another node a few seconds after its window, and can be resharded again', async () => {
    const keyPrefix = uniquePrefix('updating');
    cleanups.push(async () => { await deletePrefix(keyPrefix); });
    const a = await node(keyPrefix, 300);
    const b = await node(keyPrefix, 300);
    await a.create({ StreamName: 'orders', ShardCount: 2 });
    await waitFor(() => a.find('orders')?.status === 'ACTIVE' && b.find('orders')?.status === 'ACTIVE');
    await a.updateShardCount({ StreamName: 'orders', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' });
    // Node a goes away inside the window: its timer, which would apply the change, never fires.
    await (a as KinesisStreams & { closeNode(): Promise<void> }).closeNode();
    await waitFor(() => b.find('orders')?.status === 'UPDATING', 5_000);
    const started = Date.now();
    await waitFor(() => b.find('orders')?.status === 'ACTIVE', 15_000, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    expect(b.find('orders')!.log.openShards()).toHaveLength(2);
    // Usable again: b reshards it itself.
    await b.updateShardCount({ StreamName: 'orders', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' });
    await waitFor(() => b.find('orders')?.status === 'ACTIVE' && b.find('orders')!.log.openShards().length === 4, 10_000);
  }, 40_000);
});
