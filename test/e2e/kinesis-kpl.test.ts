import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand,
  type KinesisClient, type _Record,
} from '@aws-sdk/client-kinesis';
import { deaggregateSync } from 'aws-kinesis-agg';
import { aggregateAll, type UserRecord } from '../helpers/kpl.js';
import { kinesisClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

/** What `deaggregateSync` emits for a record in the SDK v3 shape (Data back as base64). */
interface DeaggregatedRecord { PartitionKey: string; ExplicitPartitionKey?: string; SequenceNumber: string; SubSequenceNumber?: number; Data: string }

const HALF = 1n << 127n;
const MAGIC = Buffer.from('f3899ac2', 'hex');

function deaggregate(r: _Record): DeaggregatedRecord[] {
  let users: DeaggregatedRecord[] = [];
  // The Lambda-style shape the library documents; `true` verifies the aggregate's MD5 trailer.
  deaggregateSync({ PartitionKey: r.PartitionKey, SequenceNumber: r.SequenceNumber, Data: Buffer.from(r.Data!).toString('base64') }, true, (err, out) => {
    if (err) throw err;
    // The library's typings describe its lower-case (v2) shape; given a v3-shaped record it answers in kind.
    users = (out ?? []) as unknown as DeaggregatedRecord[];
  });
  return users;
}

/** MD5 of the partition key as a 128-bit integer: where Kinesis routes a record without an explicit hash key. */
const md5Key = (pk: string) => BigInt(`0x${createHash('md5').update(pk, 'utf8').digest('hex')}`);

async function readShard(client: KinesisClient, stream: string, shardId: string, type: 'TRIM_HORIZON' | 'AT_SEQUENCE_NUMBER' = 'TRIM_HORIZON', seq?: string): Promise<_Record[]> {
  let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type, StartingSequenceNumber: seq }))).ShardIterator;
  const records: _Record[] = [];
  for (;;) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
    records.push(...page.Records!);
    if (page.Records!.length === 0 || !page.NextShardIterator) return records;
    it = page.NextShardIterator;
  }
}

/**
 * KPL-aggregated records (magic, protobuf AggregatedRecord, MD5) go through PutRecords and come
 * back from GetRecords exactly as sent: this API stores Kinesis records, it does not de-aggregate.
 * A consumer (KCL, `aws-kinesis-agg`) then finds the user records inside.
 */
describe('KPL-aggregated records', () => {
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  let client: KinesisClient;
  beforeAll(async () => {
    node = await startTestHydrant({ kinesis: { createDelayMs: 20, shardLimits: false } });
    client = kinesisClient(node.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await node?.stop();
  });

  it('are stored and returned byte for byte, and de-aggregate into the user records with keys and sub-sequence numbers', async () => {
    const stream = 'kpl';
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
    await waitFor(async () => (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamStatus === 'ACTIVE', 10_000, 20);

    // Small user records of varied sizes (one empty) with partition keys only; user records that all
    // carry explicit hash keys in shard 1's range; and 10 KiB records, more than one aggregate holds.
    const small: UserRecord[] = Array.from({ length: 60 }, (_, i) => ({ partitionKey: `user-${i % 17}`, data: randomBytes(i === 5 ? 0 : (i * 37) % 2000 + 1) }));
    const hashed: UserRecord[] = Array.from({ length: 25 }, (_, i) => ({ partitionKey: `device-${i}`, explicitHashKey: (HALF + BigInt(i) * 1_000_003n).toString(), data: randomBytes(100 + i) }));
    const large: UserRecord[] = Array.from({ length: 240 }, (_, i) => ({ partitionKey: `big-${i}`, data: randomBytes(10 * 1024) }));
    const groups = [small, hashed, large];
    const aggregates = await Promise.all(groups.map(aggregateAll));
    expect(aggregates.map((a) => a.length)).toEqual([1, 1, 3]);
    const encoded = aggregates.flat();
    for (const e of encoded) {
      expect(e.data.subarray(0, 4).equals(MAGIC)).toBe(true);
      expect(e.data.length + Buffer.byteLength(e.partitionKey)).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(encoded[1].ExplicitHashKey).toBe(hashed[0].explicitHashKey);
    // A plain record next to the aggregates: consumers pass it through unchanged.
    const plain = { partitionKey: 'plain', data: Buffer.from('not aggregated') };

    const put = await client.send(new PutRecordsCommand({
      StreamName: stream,
      Records: [...encoded.map((e) => ({ PartitionKey: e.partitionKey, ExplicitHashKey: e.ExplicitHashKey, Data: e.data })), { PartitionKey: plain.partitionKey, Data: plain.data }],
    }));
    expect(put.FailedRecordCount).toBe(0);
    const results = put.Records!;

    // Each aggregate is routed by its own (first user record's) key, as the KPL intends.
    const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
    const owner = (key: bigint) => shards.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= key && key <= BigInt(s.HashKeyRange!.EndingHashKey!))!.ShardId;
    encoded.forEach((e, i) => expect(results[i].ShardId).toBe(owner(e.ExplicitHashKey !== undefined ? BigInt(e.ExplicitHashKey) : md5Key(e.partitionKey))));
    expect(results[1].ShardId).toBe('shardId-000000000001');

    const read = (await Promise.all(shards.map((s) => readShard(client, stream, s.ShardId!)))).flat();
    const bySeq = new Map(read.map((r) => [r.SequenceNumber!, r]));
    expect(read).toHaveLength(encoded.length + 1); // one Kinesis record per aggregate: nothing split up
    encoded.forEach((e, i) => {
      const r = bySeq.get(results[i].SequenceNumber!)!;
      expect(r, `aggregate ${i}`).toBeDefined();
      expect(r.PartitionKey).toBe(e.partitionKey);
      expect(Buffer.from(r.Data!).equals(e.data), `aggregate ${i} byte for byte`).toBe(true);
    });

    // De-aggregation gives back every group's user records, in order, with sub-sequence numbers 0..n-1.
    let k = 0;
    groups.forEach((group, g) => {
      const users: DeaggregatedRecord[] = [];
      for (const _ of aggregates[g]) {
        const outer = bySeq.get(results[k].SequenceNumber!)!;
        const inner = deaggregate(outer);
        expect(inner.map((u) => u.SubSequenceNumber)).toEqual(inner.map((_u, i) => i));
        expect(inner.every((u) => u.SequenceNumber === outer.SequenceNumber)).toBe(true);
        users.push(...inner);
        k++;
      }
      // (data compared as base64 text: deep equality of Buffers is slow)
      expect(users.map((u) => ({ partitionKey: u.PartitionKey, explicitHashKey: u.ExplicitPartitionKey, data: u.Data })))
        .toEqual(group.map((u) => ({ partitionKey: u.partitionKey, explicitHashKey: u.explicitHashKey, data: u.data.toString('base64') })));
    });
    const passedThrough = deaggregate(bySeq.get(results[encoded.length].SequenceNumber!)!);
    expect(passedThrough).toHaveLength(1);
    expect(passedThrough[0].PartitionKey).toBe('plain');
    expect(passedThrough[0].SubSequenceNumber).toBeUndefined();
    expect(Buffer.from(passedThrough[0].Data, 'base64').equals(plain.data)).toBe(true);

    // A KCL restarting from a checkpoint inside an aggregate asks for AT_SEQUENCE_NUMBER of the
    // aggregate: the whole aggregate comes first, unchanged, so it can skip the sub-records it did.
    // results[3] is the second of the three aggregates of `large`.
    const before = deaggregate(bySeq.get(results[2].SequenceNumber!)!).length;
    const resumed = await readShard(client, stream, results[3].ShardId!, 'AT_SEQUENCE_NUMBER', results[3].SequenceNumber);
    expect(resumed[0].SequenceNumber).toBe(results[3].SequenceNumber);
    expect(Buffer.from(resumed[0].Data!).equals(encoded[3].data)).toBe(true);
    const again = deaggregate(resumed[0]);
    expect(again.map((u) => u.PartitionKey)).toEqual(large.slice(before, before + again.length).map((u) => u.partitionKey));
  });
});
