import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { startTestHydrant, waitFor } from '../helpers/hydrant.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;

// What the Java SDK and the KPL send: CBOR bodies with byte-string blobs, tag-1 millisecond timestamps.
const encoder = new Encoder({ useRecords: false, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

describe('Kinesis over CBOR 1.1', () => {
  let node: Node;
  const call = async (op: string, body: unknown) => {
    const res = await fetch(node.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-cbor-1.1', 'x-amz-target': `Kinesis_20131202.${op}`, authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00' },
      body: encoder.encode(body),
    });
    const raw = Buffer.from(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get('content-type'), raw, body: raw.length ? decoder.decode(raw) as Record<string, unknown> : undefined };
  };

  beforeAll(async () => {
    node = await startTestHydrant({ kinesis: { createDelayMs: 0, shardLimits: false } });
  });
  afterAll(() => node.stop());

  it('puts and gets records with byte strings and tag-1 millisecond timestamps', async () => {
    expect((await call('CreateStream', { StreamName: 'java', ShardCount: 1 })).status).toBe(200);
    await waitFor(async () => ((await call('DescribeStreamSummary', { StreamName: 'java' })).body?.StreamDescriptionSummary as { StreamStatus: string }).StreamStatus === 'ACTIVE' || undefined);
    const data = Buffer.from([0, 1, 2, 250, 255]);
    const before = Date.now();
    const put = await call('PutRecord', { StreamName: 'java', PartitionKey: 'pk', Data: data });
    const later = await call('PutRecord', { StreamName: 'java', PartitionKey: 'pk', Data: Buffer.from('later') });
    expect(put.status).toBe(200);
    expect(put.type).toBe('application/x-amz-cbor-1.1');
    const it = await call('GetShardIterator', { StreamName: 'java', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Tag(before - 1000, 1) });
    expect(it.status).toBe(200);
    const got = await call('GetRecords', { ShardIterator: (it.body as { ShardIterator: string }).ShardIterator });
    const records = got.body!.Records as { Data: Uint8Array; PartitionKey: string; SequenceNumber: string; ApproximateArrivalTimestamp: unknown }[];
    expect(records).toHaveLength(2);
    expect((later.body as { SequenceNumber: string }).SequenceNumber).toBe(records[1].SequenceNumber);
    // A timestamp between the two records (tag 1, epoch ms) starts at the second one.
    const arrivedFirst = (records[0].ApproximateArrivalTimestamp as { ms: number }).ms;
    const mid = await call('GetShardIterator', { StreamName: 'java', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Tag(arrivedFirst + 1, 1) });
    const second = await call('GetRecords', { ShardIterator: (mid.body as { ShardIterator: string }).ShardIterator });
    expect((second.body!.Records as unknown[]).length).toBeLessThanOrEqual(1);
    expect(Buffer.from(records[0].Data).equals(data)).toBe(true);
    expect(records[0].SequenceNumber).toBe((put.body as { SequenceNumber: string }).SequenceNumber);
    // The arrival time is tag 1 around an integer of epoch milliseconds, never a float.
    expect(got.raw.includes(Buffer.from([0xc1, 0xfb]))).toBe(false);
    const ms = records[0].ApproximateArrivalTimestamp as { ms?: number; getTime?: () => number };
    const value = typeof ms.getTime === 'function' ? ms.getTime() : ms.ms!;
    expect(Math.abs(value - Date.now())).toBeLessThan(10_000);
  });

  it('answers errors in CBOR with the AWS error name', async () => {
    const res = await call('DescribeStream', { StreamName: 'nope' });
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/x-amz-cbor-1.1');
    expect(res.body).toEqual({ __type: 'ResourceNotFoundException', message: 'Stream nope under account 000000000000 not found.' });
  });
});
