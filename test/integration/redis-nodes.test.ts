import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogStream } from '../../src/stream/log-stream.js';
import { ShardClosedError } from '../../src/stream/log/index.js';
import type { RedisBackend } from '../../src/stream/redis/backend.js';
import { deletePrefix, testBackend, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/util.js';

const HALF = 1n << 127n;
const rec = (s: string) => ({ partitionKey: s, data: Buffer.from(s) });
const quiet = { warn: () => undefined };

/** Several nodes of one deployment: one Redis, one key prefix, a backend (connections) each. */
describe('one stream shared by several nodes on Redis', () => {
  let prefix: string;
  const backends: RedisBackend[] = [];
  const streams: LogStream[] = [];
  beforeEach(() => {
    prefix = uniquePrefix('nodes');
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    for (const b of backends.splice(0)) await b.close();
    await deletePrefix(prefix);
  });

  async function node(): Promise<RedisBackend> {
    const b = await testBackend({ keyPrefix: prefix, watch: { blockMs: 1_000 }, meta: { pollMs: 100 } });
    backends.push(b);
    return b;
  }
  async function open(b: RedisBackend, create?: number): Promise<LogStream> {
    const opts = { dir: '', logger: quiet, storage: b.streamStorage('kinesis/events') };
    const s = create ? await LogStream.create(opts, { name: 'events', shardCount: create, retentionHours: 24 }) : (await LogStream.open(opts))!;
    streams.push(s);
    return s;
  }

  it('a second node sees records the first appends, and wakes when they arrive', async () => {
    const a = await open(await node(), 1);
    const b = await open(await node());
    const shard = 'shardId-000000000000';
    await a.appendBatch(shard, [rec('x'), rec('y')]);
    expect((await b.log(shard).read(0)).map((r) => r.partitionKey)).toEqual(['x', 'y']);
    const woke = b.log(shard).waitForData(2);
    await a.appendBatch(shard, [rec('z')]);
    await woke;
    expect(b.log(shard).nextPosition).toBe(3);
    // Both nodes append to one shard: positions stay unique and contiguous.
    await Promise.all([a.appendBatch(shard, [rec('a1'), rec('a2')]), b.appendBatch(shard, [rec('b1'), rec('b2')])]);
    const all = await a.log(shard).read(0);
    expect(all.map((r) => r.position)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(all.findIndex((r) => r.partitionKey === 'a2') - all.findIndex((r) => r.partitionKey === 'a1')).toBe(1);
  });

  it('a reshard by one node reaches the other: new shards, lineage, routing, and a wake-up', async () => {
    const a = await open(await node(), 1);
    const b = await open(await node());
    const resharded = b.waitForReshard();
    await a.split('shardId-000000000000', HALF);
    await resharded;
    await waitFor(() => b.shard('shardId-000000000000')?.endPosition !== undefined);
    expect(b.meta.shards).toEqual(a.meta.shards);
    expect(b.shardFor(HALF).shardId).toBe('shardId-000000000002');
    await b.appendBatch('shardId-000000000002', [rec('child')]);
    expect((await a.log('shardId-000000000002').read(0))[0].partitionKey).toBe('child');
  });

  it('an append to a shard another node closed is refused whole, and the refusal refreshes routing', async () => {
    const nodeB = await node();
    const a = await open(await node(), 1);
    const b = await open(nodeB);
    const parent = 'shardId-000000000000';
    await b.appendBatch(parent, [rec('before')]);
    await a.split(parent, HALF);
    const err = await b.appendBatch(parent, [rec('late-1'), rec('late-2')]).catch((e: unknown) => e);
    expect(ShardClosedError.isInstance(err)).toBe(true);
    expect((await a.log(parent).read(0)).map((r) => r.partitionKey)).toEqual(['before']);
    expect(a.shard(parent)!.endPosition).toBe(1);
    expect(b.shardFor(0n).shardId).toBe('shardId-000000000001');
  });

  it('two nodes splitting the same shard at once: one wins, the other is told the shard is not open', async () => {
    const a = await open(await node(), 1);
    const b = await open(await node());
    const results = await Promise.allSettled([a.split('shardId-000000000000', HALF), b.split('shardId-000000000000', HALF / 2n)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/not open/);
    await waitFor(() => b.meta.version === a.meta.version);
    expect(a.meta.shards.map((s) => s.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(b.meta.shards).toEqual(a.meta.shards);
  });

  it('a closed shard whose resharding node died before recording its end is finished by the next node', async () => {
    const backend = await node();
    const storage = backend.streamStorage('kinesis/events');
    const a = await open(backend, 1);
    await a.appendBatch('shardId-000000000000', [rec('1'), rec('2'), rec('3')]);
    // What a node leaves when it dies after the first metadata write of a split.
    const meta = structuredClone(a.meta);
    meta.shards[0].closedAt = Date.now();
    meta.shards.push({ ...meta.shards[0], shardId: 'shardId-000000000001', index: 1, parentShardId: 'shardId-000000000000', closedAt: undefined });
    meta.nextShardIndex = 2;
    meta.version = (a.meta.version ?? 0) + 1;
    expect(await storage.update(meta, a.meta.version!)).toBe(true);
    const b = await open(await node());
    expect(b.shard('shardId-000000000000')!.endPosition).toBe(3);
    await expect(b.appendBatch('shardId-000000000000', [rec('4')])).rejects.toThrow(/closed/);
    await waitFor(() => a.shard('shardId-000000000000')?.endPosition === 3);
  });
});
