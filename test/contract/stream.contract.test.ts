import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionKeyHash } from '../../src/stream/hash.js';
import { LogStream } from '../../src/stream/log-stream.js';
import { BACKENDS, type BackendUnderTest } from './backends.js';

const HALF = 1n << 127n;
const MAX = (1n << 128n) - 1n;
const data = (s: string) => ({ partitionKey: s, data: Buffer.from(s) });

describe.each(BACKENDS)('stream metadata contract: $name', (factory) => {
  let b: BackendUnderTest;
  const streams: LogStream[] = [];
  beforeEach(async () => {
    b = await factory.setup();
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    await b.cleanup();
  });

  async function create(name: string, shardCount: number): Promise<LogStream> {
    const s = await LogStream.create(b.streamOptions(name), { name, shardCount, retentionHours: 24 });
    streams.push(s);
    return s;
  }

  it('creates shards tiling the hash-key space and routes keys by MD5 hash', async () => {
    const s = await create('events', 2);
    expect(s.meta.shards.map((x) => [x.shardId, x.startingHashKey, x.endingHashKey])).toEqual([
      ['shardId-000000000000', '0', String(HALF - 1n)],
      ['shardId-000000000001', String(HALF), String(MAX)],
    ]);
    expect(s.meta.shards.every((x) => x.createdAt === b.clock.now)).toBe(true);
    expect(s.shardFor(0n).shardId).toBe('shardId-000000000000');
    expect(s.shardFor(MAX).shardId).toBe('shardId-000000000001');
    const key = 'user-1';
    expect(s.shardFor(partitionKeyHash(key)).shardId).toBe(partitionKeyHash(key) < HALF ? 'shardId-000000000000' : 'shardId-000000000001');
  });

  it('split and merge record lineage, close parents at their last record and route to the children', async () => {
    const s = await create('events', 1);
    const parent = 'shardId-000000000000';
    await s.appendBatch(parent, [data('a'), data('b')]);
    b.clock.now += 1_000;
    let resharded = false;
    const waiting = s.waitForReshard().then(() => { resharded = true; });
    const children = await s.split(parent, HALF);
    await waiting;
    expect(resharded).toBe(true);
    expect(children.map((c) => [c.shardId, c.parentShardId, c.startingHashKey, c.endingHashKey, c.createdAt])).toEqual([
      ['shardId-000000000001', parent, '0', String(HALF - 1n), b.clock.now],
      ['shardId-000000000002', parent, String(HALF), String(MAX), b.clock.now],
    ]);
    expect(s.shard(parent)).toMatchObject({ closedAt: b.clock.now, endPosition: 2 });
    expect(s.openShards().map((x) => x.shardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    expect(s.shardFor(HALF).shardId).toBe('shardId-000000000002');
    expect(s.children(parent).map((c) => c.shardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    // The parent stays readable.
    expect((await s.log(parent).read(0)).map((r) => r.partitionKey)).toEqual(['a', 'b']);
    await s.appendBatch('shardId-000000000002', [data('c')]);

    const merged = await s.merge('shardId-000000000001', 'shardId-000000000002');
    expect(merged).toMatchObject({ shardId: 'shardId-000000000003', parentShardId: 'shardId-000000000001', adjacentParentShardId: 'shardId-000000000002', startingHashKey: '0', endingHashKey: String(MAX) });
    expect(s.shard('shardId-000000000002')!.endPosition).toBe(1);
    expect(s.shard('shardId-000000000001')!.endPosition).toBe(0);
    expect(s.openShards().map((x) => x.shardId)).toEqual(['shardId-000000000003']);
    expect(s.meta.nextShardIndex).toBe(4);
    await expect(s.split(parent, HALF)).rejects.toThrow(/not open/);
  });

  it('reopening sees the shards, lineage, retention and data as left', async () => {
    const s = await create('events', 1);
    await s.appendBatch('shardId-000000000000', [data('a')]);
    await s.split('shardId-000000000000', HALF);
    await s.setRetentionHours(48);
    await s.appendBatch('shardId-000000000001', [data('b')]);
    const meta = s.meta;
    await s.close();
    streams.length = 0;
    const again = (await LogStream.open(b.streamOptions('events')))!;
    streams.push(again);
    expect(again.meta.shards).toEqual(meta.shards);
    expect(again.meta.retentionHours).toBe(48);
    expect((await again.log('shardId-000000000001').read(0)).map((r) => r.partitionKey)).toEqual(['b']);
    expect(again.log('shardId-000000000000').nextPosition).toBe(1);
    expect(await LogStream.open(b.streamOptions('no-such-stream'))).toBeUndefined();
  });

  it('destroy removes the stream and its data', async () => {
    const s = await create('events', 2);
    await s.appendBatch('shardId-000000000001', [data('a')]);
    await s.destroy();
    streams.length = 0;
    expect(await LogStream.open(b.streamOptions('events'))).toBeUndefined();
    const fresh = await create('events', 1);
    expect(await fresh.log('shardId-000000000000').read(0)).toEqual([]);
  });
});
