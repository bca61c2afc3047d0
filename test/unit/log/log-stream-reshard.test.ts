import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionKeyHash } from '../../../src/stream/hash.js';
import { LogStream, type StreamMeta } from '../../../src/stream/log-stream.js';
import { uniformScalingPlan, pickSplitKey } from '../../../src/stream/registry/scaling.js';
import { tempDir } from '../../helpers/util.js';

const quiet = { warn: () => undefined };
const HALF = 1n << 127n;

describe('LogStream resharding', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function fresh(shardCount = 1): Promise<{ stream: LogStream; dir: string }> {
    const tmp = await tempDir();
    const dir = join(tmp.path, 's');
    const stream = await LogStream.create({ dir, fsync: false, logger: quiet }, { name: 's', shardCount, retentionHours: 24 });
    cleanups.push(async () => {
      await stream.close();
      await tmp.remove();
    });
    return { stream, dir };
  }

  it('routes by hash range, and after a split sends new writes to the children while in-flight ones finish in the parent', async () => {
    const { stream } = await fresh(1);
    const parent = 'shardId-000000000000';
    const inFlight = stream.appendBatch(parent, [{ partitionKey: 'a', data: Buffer.from('before') }]);
    const children = await stream.split(parent, HALF);
    await inFlight;
    expect(children.map((c) => [c.shardId, c.startingHashKey, c.endingHashKey])).toEqual([
      ['shardId-000000000001', '0', String(HALF - 1n)],
      ['shardId-000000000002', String(HALF), String((1n << 128n) - 1n)],
    ]);
    const closed = stream.shard(parent)!;
    expect(closed.closedAt).toBeTypeOf('number');
    expect(closed.endPosition).toBe(1);
    expect(stream.shardFor(0n).shardId).toBe('shardId-000000000001');
    expect(stream.shardFor(HALF).shardId).toBe('shardId-000000000002');
    expect(stream.shardFor(partitionKeyHash('a')).parentShardId).toBe(parent);
    expect(stream.children(parent).map((c) => c.shardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);

    const merged = await stream.merge('shardId-000000000001', 'shardId-000000000002');
    expect(merged).toMatchObject({ shardId: 'shardId-000000000003', parentShardId: 'shardId-000000000001', adjacentParentShardId: 'shardId-000000000002', startingHashKey: '0' });
    expect(stream.openShards().map((s) => s.shardId)).toEqual(['shardId-000000000003']);
  });

  it('wakes reshard waiters', async () => {
    const { stream } = await fresh(1);
    const woke = stream.waitForReshard();
    await stream.split('shardId-000000000000', HALF);
    await expect(woke).resolves.toBeUndefined();
  });

  it('persists lineage and repairs a shard closed without a recorded end (crash between the two meta writes)', async () => {
    const { stream, dir } = await fresh(1);
    await stream.appendBatch('shardId-000000000000', [{ partitionKey: 'a', data: Buffer.from('1') }, { partitionKey: 'b', data: Buffer.from('2') }]);
    await stream.split('shardId-000000000000', HALF);
    await stream.close();
    const metaPath = join(dir, 'stream.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as StreamMeta;
    delete meta.shards[0].endPosition;
    await writeFile(metaPath, JSON.stringify(meta));
    const reopened = (await LogStream.open({ dir, fsync: false, logger: quiet }))!;
    cleanups.push(() => reopened.close());
    expect(reopened.shard('shardId-000000000000')!.endPosition).toBe(2);
    expect(reopened.openShards().map((s) => s.shardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    const saved = JSON.parse(await readFile(metaPath, 'utf8')) as StreamMeta;
    expect(saved.shards[0].endPosition).toBe(2);
  });
});

describe('scaling plans', () => {
  const shard = (start: bigint, end: bigint) => ({ shardId: 'x', index: 0, createdAt: 0, startingHashKey: start.toString(), endingHashKey: end.toString() });

  it('scales 2 → 3 uniformly with splits at the new boundaries, then merges inside each target range', () => {
    const max = (1n << 128n) - 1n;
    const plan = uniformScalingPlan([shard(0n, HALF - 1n), shard(HALF, max)], 3);
    const third = (1n << 128n) / 3n;
    expect(plan.steps.filter((s) => s.kind === 'split')).toEqual([{ kind: 'split', at: third }, { kind: 'split', at: 2n * third }]);
    expect(plan.peakExtraShards).toBe(2);
    expect(plan.steps.filter((s) => s.kind === 'merge')).toHaveLength(3);
  });

  it('splits a hot shard at the median of its recent keys, or in the middle', () => {
    const s = shard(0n, 999n);
    expect(pickSplitKey(s, [10n, 20n, 30n, 40n, 500n])).toBe(30n);
    expect(pickSplitKey(s, [7n, 7n, 7n])).toBe(500n);
    expect(pickSplitKey(shard(0n, 1n), [])).toBeUndefined();
  });
});
