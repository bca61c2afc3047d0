import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand,
  GetShardIteratorCommand, ListShardsCommand, ListStreamsCommand, MergeShardsCommand, PutRecordCommand, PutRecordsCommand,
  SplitShardCommand, UpdateShardCountCommand, waitUntilStreamExists, type KinesisClient, type Shard, type _Record,
} from '@aws-sdk/client-kinesis';
import { kinesisClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;

// Throughput limits are off here (a test reads faster than 5 GetRecords/s); they have their own tests.
const fast = { kinesis: { createDelayMs: 50, updateDelayMs: 50, deleteDelayMs: 50, shardLimits: false as const } };

async function active(client: KinesisClient, name: string): Promise<void> {
  await waitFor(async () => {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
  }, 10_000, 25);
}

async function shards(client: KinesisClient, name: string): Promise<Shard[]> {
  return (await client.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
}

/** Everything in a shard from TRIM_HORIZON to its current end (or to its end for a closed shard). */
async function readAll(client: KinesisClient, name: string, shardId: string): Promise<{ records: _Record[]; ended: boolean; children: string[] }> {
  let it = (await client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const records: _Record[] = [];
  for (;;) {
    const r = await client.send(new GetRecordsCommand({ ShardIterator: it }));
    records.push(...(r.Records ?? []));
    if (!r.NextShardIterator) return { records, ended: true, children: (r.ChildShards ?? []).map((c) => c.ShardId!) };
    if ((r.Records ?? []).length === 0 && r.MillisBehindLatest === 0) return { records, ended: false, children: [] };
    it = r.NextShardIterator;
  }
}

/** The independent computation of routing: MD5 as a 128-bit big-endian integer. */
function md5Key(pk: string): bigint {
  return BigInt(`0x${createHash('md5').update(pk, 'utf8').digest('hex')}`);
}

const text = (r: _Record) => Buffer.from(r.Data!).toString();

for (const transport of ['http2', 'http1'] as const) {
  describe(`Kinesis API over ${transport === 'http2' ? 'the SDK default handler (HTTP/2)' : 'NodeHttpHandler (HTTP/1.1)'}`, () => {
    let node: Node;
    let client: KinesisClient;
    beforeAll(async () => {
      node = await startTestHydrant(fast);
      client = kinesisClient(node.endpoint, { http1: transport === 'http1' });
    });
    afterAll(async () => {
      client.destroy();
      await node.stop();
    });

    it('creates, writes, reads from every iterator type, reshards, lists lineage and deletes', async () => {
      const name = `full-${transport}`;
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
      await waitUntilStreamExists({ client, maxWaitTime: 20, minDelay: 1 }, { StreamName: name });
      const desc = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
      expect(desc.StreamStatus).toBe('ACTIVE');
      expect(desc.StreamARN).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${name}`);
      expect(desc.Shards!.map((s) => s.HashKeyRange)).toEqual([
        { StartingHashKey: '0', EndingHashKey: String((1n << 127n) - 1n) },
        { StartingHashKey: String(1n << 127n), EndingHashKey: String((1n << 128n) - 1n) },
      ]);

      const first = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('one') }));
      const second = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('two'), SequenceNumberForOrdering: first.SequenceNumber }));
      expect(BigInt(second.SequenceNumber!)).toBeGreaterThan(BigInt(first.SequenceNumber!));
      expect(second.ShardId).toBe(first.ShardId);
      expect(first.SequenceNumber).toMatch(/^\d{56}$/);
      const shardId = first.ShardId!;

      const iter = async (type: 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'AT_TIMESTAMP', extra: { StartingSequenceNumber?: string; Timestamp?: Date } = {}) =>
        (await client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: type, ...extra }))).ShardIterator!;
      const get = async (it: string) => client.send(new GetRecordsCommand({ ShardIterator: it }));

      expect((await get(await iter('TRIM_HORIZON'))).Records!.map(text)).toEqual(['one', 'two']);
      expect((await get(await iter('AT_SEQUENCE_NUMBER', { StartingSequenceNumber: second.SequenceNumber }))).Records!.map(text)).toEqual(['two']);
      expect((await get(await iter('AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: first.SequenceNumber }))).Records!.map(text)).toEqual(['two']);
      const latest = await iter('LATEST');
      const atTime = await iter('AT_TIMESTAMP', { Timestamp: new Date(Date.now() - 60_000) });
      expect((await get(atTime)).Records!.map(text)).toEqual(['one', 'two']);
      const empty = await get(latest);
      expect(empty.Records).toEqual([]);
      await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('three') }));
      const after = await get(empty.NextShardIterator!);
      expect(after.Records!.map(text)).toEqual(['three']);
      expect(after.Records![0].PartitionKey).toBe('k');
      expect(after.Records![0].ApproximateArrivalTimestamp).toBeInstanceOf(Date);
      expect(Math.abs(after.Records![0].ApproximateArrivalTimestamp!.getTime() - Date.now())).toBeLessThan(10_000);

      // Split the shard holding 'k' in the middle, then merge the two children back.
      const parent = (await shards(client, name)).find((s) => s.ShardId === shardId)!;
      const lo = BigInt(parent.HashKeyRange!.StartingHashKey!);
      const hi = BigInt(parent.HashKeyRange!.EndingHashKey!);
      const mid = (lo + hi) / 2n;
      await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId, NewStartingHashKey: mid.toString() }));
      await active(client, name);
      let list = await shards(client, name);
      const children = list.filter((s) => s.ParentShardId === shardId);
      expect(children).toHaveLength(2);
      expect(children.map((c) => c.HashKeyRange)).toEqual([
        { StartingHashKey: lo.toString(), EndingHashKey: (mid - 1n).toString() },
        { StartingHashKey: mid.toString(), EndingHashKey: hi.toString() },
      ]);
      expect(list.find((s) => s.ShardId === shardId)!.SequenceNumberRange!.EndingSequenceNumber).toMatch(/^\d+$/);
      const parentRead = await readAll(client, name, shardId);
      expect(parentRead.ended).toBe(true);
      expect(parentRead.children.sort()).toEqual(children.map((c) => c.ShardId!).sort());

      await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: children[0].ShardId, AdjacentShardToMerge: children[1].ShardId }));
      await active(client, name);
      list = await shards(client, name);
      const merged = list.find((s) => s.ParentShardId === children[0].ShardId)!;
      expect(merged.AdjacentParentShardId).toBe(children[1].ShardId);
      expect(merged.HashKeyRange).toEqual(parent.HashKeyRange);

      const scaled = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
      expect(scaled).toMatchObject({ CurrentShardCount: 2, TargetShardCount: 4 });
      await active(client, name);
      const open = (await client.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
      expect(open.map((s) => s.HashKeyRange!.StartingHashKey)).toEqual(['0', String(1n << 126n), String(2n << 126n), String(3n << 126n)]);

      expect((await client.send(new ListStreamsCommand({}))).StreamNames).toContain(name);
      await client.send(new DeleteStreamCommand({ StreamName: name }));
      await waitFor(async () => {
        try {
          await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
          return undefined;
        } catch (err) {
          return (err as Error).name === 'ResourceNotFoundException' ? true : undefined;
        }
      }, 10_000, 25);
    });
  });
}

describe('Kinesis semantics', () => {
  let node: Node;
  let client: KinesisClient;
  beforeAll(async () => {
    node = await startTestHydrant(fast);
    client = kinesisClient(node.endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await node.stop();
  });

  it('routes partition keys by MD5 hash ranges, as an independent computation says', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'routing', ShardCount: 3 }));
    await active(client, 'routing');
    const list = await shards(client, 'routing');
    expect(list.map((s) => s.HashKeyRange!.EndingHashKey)).toEqual([
      '113427455640312821154458202477256070484', '226854911280625642308916404954512140969', '340282366920938463463374607431768211455',
    ]);
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`).concat(['a', 'b', 'e', 'f']);
    const res = await client.send(new PutRecordsCommand({ StreamName: 'routing', Records: keys.map((k) => ({ PartitionKey: k, Data: Buffer.from(k) })) }));
    expect(res.FailedRecordCount).toBe(0);
    keys.forEach((k, i) => {
      const h = md5Key(k);
      const expected = list.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= h && h <= BigInt(s.HashKeyRange!.EndingHashKey!))!;
      expect(res.Records![i].ShardId, k).toBe(expected.ShardId);
    });
    // Fixed vectors: MD5('a') = 0cc1…, MD5('b') = 92eb…, MD5('e') = e167…, MD5('f') = 8fa1… of 2^128.
    expect(res.Records!.slice(-4).map((r) => r.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000001']);
    const explicit = await client.send(new PutRecordCommand({ StreamName: 'routing', PartitionKey: 'x', ExplicitHashKey: '340282366920938463463374607431768211455', Data: Buffer.from('e') }));
    expect(explicit.ShardId).toBe('shardId-000000000002');
  });

  it('answers operations without an output shape with 200 and an empty body, as Kinesis does', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'empty-body', ShardCount: 1 }));
    await active(client, 'empty-body');
    const res = await fetch(`${node.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.AddTagsToStream' },
      body: JSON.stringify({ StreamName: 'empty-body', Tags: { team: 'data' } }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('keeps per-key order across a split and a merge for a consumer that follows lineage', async () => {
    const name = 'ordering';
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await active(client, name);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    let n = 0;
    const write = async (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        const r = await client.send(new PutRecordsCommand({ StreamName: name, Records: keys.map((k) => ({ PartitionKey: k, Data: Buffer.from(`${k}:${n}`) })) }));
        expect(r.FailedRecordCount).toBe(0);
      }
    };
    await write(5);
    await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String(1n << 127n) }));
    const writing = write(5); // writes continue while the split happens
    await active(client, name);
    await writing;
    await write(5);
    await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' }));
    await active(client, name);
    await write(5);

    // A lineage-following consumer: a shard is read only after all its parents ended.
    const all = await shards(client, name);
    const done = new Set<string>();
    const seen = new Map<string, number[]>();
    while (done.size < all.length) {
      const ready = all.filter((s) => !done.has(s.ShardId!) && [s.ParentShardId, s.AdjacentParentShardId].every((p) => !p || done.has(p)));
      expect(ready.length).toBeGreaterThan(0);
      for (const s of ready) {
        const { records } = await readAll(client, name, s.ShardId!);
        for (const r of records) {
          const [k, i] = text(r).split(':');
          seen.set(k, [...(seen.get(k) ?? []), Number(i)]);
        }
        done.add(s.ShardId!);
      }
    }
    for (const k of keys) expect(seen.get(k), k).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses bad input with AWS errors and stores nothing', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'errors', ShardCount: 1 }));
    await expect(client.send(new CreateStreamCommand({ StreamName: 'errors', ShardCount: 1 }))).rejects.toMatchObject({
      name: 'ResourceInUseException', message: 'Stream errors under account 000000000000 already exists.',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 'missing', PartitionKey: 'k', Data: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException', message: 'Stream missing under account 000000000000 not found.',
    });
    await active(client, 'errors');
    await expect(client.send(new PutRecordsCommand({
      StreamName: 'errors',
      Records: [{ PartitionKey: 'ok', Data: Buffer.from('fine') }, { PartitionKey: 'k', ExplicitHashKey: String(1n << 128n), Data: Buffer.from('x') }],
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${1n << 128n}` });
    await expect(client.send(new GetShardIteratorCommand({ StreamName: 'errors', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER' }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: 'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.',
    });
    await expect(client.send(new GetShardIteratorCommand({ StreamName: 'errors', ShardId: 'shardId-000000000005', ShardIteratorType: 'LATEST' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException', message: 'Shard shardId-000000000005 in stream errors under account 000000000000 does not exist',
    });
    await expect(client.send(new GetRecordsCommand({ ShardIterator: 'bm90IGFuIGl0ZXJhdG9y' }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: 'Invalid ShardIterator.' });
    await expect(client.send(new SplitShardCommand({ StreamName: 'errors', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1' }))).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream errors under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey 340282366920938463463374607431768211455.",
    });
    await expect(client.send(new CreateStreamCommand({ StreamName: '', ShardCount: 0 }))).rejects.toMatchObject({ name: 'ValidationException' });
    // Nothing of the refused PutRecords was stored.
    expect((await readAll(client, 'errors', 'shardId-000000000000')).records).toEqual([]);
  });
});

describe('Kinesis limits and retention', () => {
  it('throttles writes per record at 1,000 records/s per shard and splits ON_DEMAND streams under load', async () => {
    const node = await startTestHydrant({ kinesis: { createDelayMs: 20, updateDelayMs: 20, onDemand: { checkIntervalMs: 300 } } });
    const client = kinesisClient(node.endpoint);
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'limited', ShardCount: 1 }));
      await active(client, 'limited');
      let ok = 0;
      let throttled = 0;
      for (let i = 0; i < 3; i++) {
        const r = await client.send(new PutRecordsCommand({ StreamName: 'limited', Records: Array.from({ length: 500 }, (_, k) => ({ PartitionKey: `p${k}`, Data: Buffer.from('x') })) }));
        throttled += r.FailedRecordCount!;
        ok += r.Records!.filter((x) => x.SequenceNumber).length;
        for (const x of r.Records!) if (x.ErrorCode) expect(x).toMatchObject({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: expect.stringContaining('shardId-000000000000') });
      }
      // One second's bucket holds 1,000 records; the three calls take well under a second more.
      expect(ok).toBeGreaterThanOrEqual(1000);
      expect(ok).toBeLessThan(1400);
      expect(throttled).toBe(1500 - ok);
      // 1 MiB/s: after a second's rest one 1 MiB record fits, a second one right after does not.
      await new Promise((r) => setTimeout(r, 1100));
      const big = Buffer.alloc(1024 * 1024 - 1);
      await client.send(new PutRecordCommand({ StreamName: 'limited', PartitionKey: 'p', Data: big }));
      await expect(client.send(new PutRecordCommand({ StreamName: 'limited', PartitionKey: 'p', Data: big }))).rejects.toMatchObject({
        name: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard shardId-000000000000 in stream limited under account 000000000000.',
      });
      // Reads: 5 GetRecords calls per second per shard.
      const it = (await client.send(new GetShardIteratorCommand({ StreamName: 'limited', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }))).ShardIterator;
      const reads = await Promise.allSettled(Array.from({ length: 8 }, () => client.send(new GetRecordsCommand({ ShardIterator: it }))));
      expect(reads.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(6);
      expect(reads.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as Error).name)).toContain('ProvisionedThroughputExceededException');

      await client.send(new CreateStreamCommand({ StreamName: 'auto', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
      await active(client, 'auto');
      expect((await shards(client, 'auto'))).toHaveLength(4);
      const load = async () => {
        for (let i = 0; i < 12; i++) {
          await client.send(new PutRecordsCommand({ StreamName: 'auto', Records: Array.from({ length: 500 }, (_, k) => ({ PartitionKey: `u${i}-${k}`, Data: Buffer.alloc(100) })) }));
        }
      };
      await waitFor(async () => {
        await load();
        return (await client.send(new ListShardsCommand({ StreamName: 'auto', ShardFilter: { Type: 'AT_LATEST' } }))).Shards!.length > 4 ? true : undefined;
      }, 20_000, 50);
      const all = await shards(client, 'auto');
      expect(all.some((s) => s.ParentShardId)).toBe(true);
    } finally {
      client.destroy();
      await node.stop();
    }
  });

  it('removes data older than the retention period (injected clock)', async () => {
    let now = Date.now();
    const node = await startTestHydrant({ kinesis: { createDelayMs: 0, shardLimits: false } }, { now: () => now });
    const client = kinesisClient(node.endpoint);
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'retained', ShardCount: 1 }));
      await active(client, 'retained');
      await client.send(new PutRecordCommand({ StreamName: 'retained', PartitionKey: 'k', Data: Buffer.from('old') }));
      now += 23 * 3_600_000;
      await client.send(new PutRecordCommand({ StreamName: 'retained', PartitionKey: 'k', Data: Buffer.from('new') }));
      expect((await readAll(client, 'retained', 'shardId-000000000000')).records.map(text)).toEqual(['old', 'new']);
      now += 2 * 3_600_000; // 'old' is 25 h old, 'new' 2 h
      await node.kinesisStreams.applyRetention();
      expect((await readAll(client, 'retained', 'shardId-000000000000')).records.map(text)).toEqual(['new']);
      now += 23 * 3_600_000;
      expect((await readAll(client, 'retained', 'shardId-000000000000')).records.map(text)).toEqual([]);
    } finally {
      client.destroy();
      await node.stop();
    }
  });
});

describe('Kinesis streams across a restart', () => {
  it('keeps streams, shards, records, lineage and iterators', async () => {
    const { tempDir } = await import('../helpers/util.js');
    const dir = await tempDir();
    try {
      let node = await startTestHydrant({ ...fast, dataDir: dir.path });
      let client = kinesisClient(node.endpoint);
      await client.send(new CreateStreamCommand({ StreamName: 'durable', ShardCount: 1 }));
      await active(client, 'durable');
      const put = await client.send(new PutRecordCommand({ StreamName: 'durable', PartitionKey: 'k', Data: Buffer.from('kept') }));
      await client.send(new SplitShardCommand({ StreamName: 'durable', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String(1n << 127n) }));
      await active(client, 'durable');
      const it = (await client.send(new GetShardIteratorCommand({ StreamName: 'durable', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      client.destroy();
      await node.close();

      node = await startTestHydrant({ ...fast, dataDir: dir.path });
      client = kinesisClient(node.endpoint);
      try {
        const r = await client.send(new GetRecordsCommand({ ShardIterator: it }));
        expect(r.Records!.map((x) => [x.SequenceNumber, text(x)])).toEqual([[put.SequenceNumber, 'kept']]);
        expect(r.NextShardIterator).toBeUndefined();
        expect(r.ChildShards!.map((c) => c.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
        const after = await client.send(new PutRecordCommand({ StreamName: 'durable', PartitionKey: 'k', Data: Buffer.from('new') }));
        expect(after.ShardId).not.toBe('shardId-000000000000');
      } finally {
        client.destroy();
        await node.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
