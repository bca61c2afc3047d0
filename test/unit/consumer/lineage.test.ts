import { describe, expect, it } from 'vitest';
import type { ShardMeta } from '../../../src/stream/log-stream.js';
import { isReadToEnd, parentsOf, readyShards } from '../../../src/stream/consumer/lineage.js';

const shard = (index: number, more: Partial<ShardMeta> = {}): ShardMeta => ({
  shardId: `shardId-${String(index).padStart(12, '0')}`,
  index,
  startingHashKey: '0',
  endingHashKey: '1',
  createdAt: 0,
  ...more,
});
const ids = (shards: ShardMeta[]) => shards.map((s) => s.shardId.slice(-1));

describe('shard lineage', () => {
  // 0 and 1 at creation; 0 split into 2 and 3; 3 merged with 1 into 4.
  const s0 = shard(0, { closedAt: 1, endPosition: 10 });
  const s1 = shard(1, { closedAt: 2, endPosition: 5 });
  const s2 = shard(2, { parentShardId: s0.shardId });
  const s3 = shard(3, { parentShardId: s0.shardId, closedAt: 2, endPosition: 7 });
  const s4 = shard(4, { parentShardId: s3.shardId, adjacentParentShardId: s1.shardId });
  const all = [s0, s1, s2, s3, s4];

  it('names one parent after a split and two after a merge', () => {
    expect(parentsOf(s0)).toEqual([]);
    expect(parentsOf(s2)).toEqual([s0.shardId]);
    expect(parentsOf(s4)).toEqual([s3.shardId, s1.shardId]);
  });

  it('offers only the shards whose parents are all read to their end', () => {
    const ended = new Set<string>();
    const ready = () => ids(readyShards(all, (id) => ended.has(id)));
    expect(ready()).toEqual(['0', '1']);
    ended.add(s0.shardId);
    expect(ready()).toEqual(['1', '2', '3']);
    // The merged child needs both parents: 3 alone is not enough, nor 1 alone.
    ended.add(s3.shardId);
    expect(ready()).toEqual(['1', '2']);
    ended.delete(s3.shardId);
    ended.add(s1.shardId);
    expect(ready()).toEqual(['2', '3']);
    ended.add(s3.shardId);
    expect(ready()).toEqual(['2', '4']);
  });

  it('treats a parent it does not know as finished', () => {
    expect(ids(readyShards([s2, s4], () => false))).toEqual(['2', '4']);
  });

  it('knows a closed shard is read to its end only once its end is recorded and reached', () => {
    expect(isReadToEnd(s0, 9)).toBe(false);
    expect(isReadToEnd(s0, 10)).toBe(true);
    expect(isReadToEnd(shard(5, { closedAt: 1 }), 1000)).toBe(false);
    expect(isReadToEnd(s2, 1000)).toBe(false);
  });
});
