import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeliveryStreamCommand, DeleteDeliveryStreamCommand, DescribeDeliveryStreamCommand, ListDeliveryStreamsCommand,
  PutRecordBatchCommand, PutRecordCommand, UpdateDestinationCommand, type FirehoseClient,
} from '@aws-sdk/client-firehose';
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand,
  PutRecordsCommand, SplitShardCommand, type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { RecordAggregator } from 'aws-kinesis-agg';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, kinesisClient, startTestHydrant, tempDir, waitFor } from '../helpers/hydrant.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'from-kinesis';
const KEYS = Array.from({ length: 24 }, (_, i) => `user-${i}`);
const arnOf = (stream: string) => `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;

/** One line per record: `<partition key>:<per-key counter>:<padding>\n`, so objects split back into records. */
const line = (key: string, n: number, pad: number) => Buffer.from(`${key}:${n}:${'x'.repeat(pad + (n * 7) % 90)}\n`);

/** Per-key counters of what was acknowledged by Kinesis: the records that must arrive. */
class Written {
  readonly next = new Map<string, number>();
  total = 0;
  /** `pad` bytes of padding per record (plus a little). */
  constructor(private readonly pad = 0) {}

  /** `perKey` more records for every key, in PutRecords calls of up to 500, each key in order. */
  async write(client: KinesisClient, stream: string, perKey: number, keys = KEYS): Promise<void> {
    const pending: { key: string; n: number }[] = [];
    for (let i = 0; i < perKey; i++) {
      for (const key of keys) {
        const n = this.next.get(key) ?? 0;
        this.next.set(key, n + 1);
        pending.push({ key, n });
      }
    }
    const perCall = Math.min(500, Math.floor(4_000_000 / (this.pad + 200)));
    for (let i = 0; i < pending.length; i += perCall) {
      const chunk = pending.slice(i, i + perCall);
      const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: chunk.map((r) => ({ PartitionKey: r.key, Data: line(r.key, r.n, this.pad) })) }));
      expect(out.FailedRecordCount ?? 0).toBe(0);
      this.total += chunk.length;
    }
  }
}

interface Delivered {
  key: string;
  records: { key: string; n: number }[];
}

async function delivered(s3: S3, prefix: string, bucket = BUCKET): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const key of await s3.listKeys(bucket, prefix)) {
    const raw = await s3.getObject(bucket, key);
    const body = key.endsWith('.gz') ? gunzipSync(raw) : raw;
    const text = body.toString();
    expect(text.endsWith('\n'), `object ${key} ends with a whole record`).toBe(true);
    out.push({ key, records: text.slice(0, -1).split('\n').map((l) => ({ key: l.split(':')[0], n: Number(l.split(':')[1]) })) });
  }
  return out;
}

async function waitForAll(s3: S3, prefix: string, total: number, bucket = BUCKET): Promise<Delivered[]> {
  let objects: Delivered[] = [];
  await waitFor(async () => {
    objects = await delivered(s3, prefix, bucket);
    return objects.reduce((n, o) => n + o.records.length, 0) >= total;
  }, 60_000, 250);
  return objects;
}

/**
 * Every written record exactly once; within an object each key's records in order; and across
 * objects a key's records never interleave, so the objects put in order make one increasing run.
 */
function expectExactlyOnceInOrder(objects: Delivered[], written: Written): void {
  const count = new Map<string, number>();
  const spans = new Map<string, { min: number; max: number }[]>();
  for (const o of objects) {
    const perKey = new Map<string, number[]>();
    for (const r of o.records) {
      const id = `${r.key}:${r.n}`;
      count.set(id, (count.get(id) ?? 0) + 1);
      const list = perKey.get(r.key) ?? [];
      list.push(r.n);
      perKey.set(r.key, list);
    }
    for (const [key, ns] of perKey) {
      for (let i = 1; i < ns.length; i++) expect(ns[i], `${key} in ${o.key}`).toBeGreaterThan(ns[i - 1]);
      const list = spans.get(key) ?? [];
      list.push({ min: ns[0], max: ns[ns.length - 1] });
      spans.set(key, list);
    }
  }
  expect(objects.reduce((n, o) => n + o.records.length, 0)).toBe(written.total);
  for (const [key, last] of written.next) {
    for (let n = 0; n < last; n++) expect(count.get(`${key}:${n}`), `record ${key}:${n}`).toBe(1);
    const sorted = (spans.get(key) ?? []).sort((a, b) => a.min - b.min);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].min, `${key}: objects interleave`).toBeGreaterThan(sorted[i - 1].max);
  }
  expect([...count.keys()].every((id) => written.next.has(id.split(':')[0]))).toBe(true);
}

async function active(client: KinesisClient, stream: string): Promise<void> {
  await waitFor(async () => (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE', 10_000, 20);
}

async function openShards(client: KinesisClient, stream: string): Promise<{ id: string; start: bigint; end: bigint }[]> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: stream, ShardFilter: { Type: 'AT_LATEST' } }))).Shards ?? [];
  return shards.map((s) => ({ id: s.ShardId!, start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) }));
}

function createFromKinesis(firehose: FirehoseClient, name: string, stream: string, prefix: string, compression: 'GZIP' | 'UNCOMPRESSED' = 'UNCOMPRESSED', bucket = BUCKET) {
  return firehose.send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: name,
    DeliveryStreamType: 'KinesisStreamAsSource',
    KinesisStreamSourceConfiguration: { KinesisStreamARN: arnOf(stream), RoleARN: ROLE },
    ExtendedS3DestinationConfiguration: {
      RoleARN: ROLE,
      BucketARN: `arn:aws:s3:::${bucket}`,
      Prefix: prefix,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
      CompressionFormat: compression,
    },
  }));
}

const kinesisConfig = { createDelayMs: 20, updateDelayMs: 20, shardLimits: false as const };

describe('Firehose delivery streams with a Kinesis data stream as source', () => {
  let s3: S3;
  let node: Node;
  let firehose: FirehoseClient;
  let kinesis: KinesisClient;
  const s3Config = () => ({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' });

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    node = await startTestHydrant({ s3: s3Config(), kinesis: kinesisConfig });
    firehose = firehoseClient(node.endpoint);
    kinesis = kinesisClient(node.endpoint);
  });

  afterAll(async () => {
    firehose?.destroy();
    kinesis?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  it('refuses a missing or inconsistent source with InvalidArgumentException', async () => {
    await expect(createFromKinesis(firehose, 'no-source', 'does-not-exist', 'x/'))
      .rejects.toMatchObject({ name: 'InvalidArgumentException', message: 'Stream does-not-exist under account 000000000000 not found.' });
    await expect(firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'no-config',
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}` },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('KinesisStreamSourceConfiguration is required') });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'refusals', ShardCount: 1 }));
    await active(kinesis, 'refusals');
    await expect(firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'with-sse',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: arnOf('refusals'), RoleARN: ROLE },
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}` },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('DeliveryStreamEncryptionConfigurationInput') });
    await expect(firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'direct-with-kinesis-config',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: arnOf('refusals'), RoleARN: ROLE },
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}` },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: 'KinesisStreamSourceConfiguration cannot be given for a DirectPut delivery stream.' });
    const names = (await firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames ?? [];
    expect(names.filter((n) => ['no-source', 'no-config', 'with-sse', 'direct-with-kinesis-config'].includes(n))).toEqual([]);
  });

  it('two delivery streams on one Kinesis stream each get every record written after creation exactly once, in order across a split and a merge', async () => {
    const stream = 'clicks';
    // The bucket appears only after the reshards: until then delivery fails and retries, the
    // readers stall behind full batches, and the parents still hold unread records when their
    // children appear, so reading a child too early would show as keys out of order.
    const bucket = 'appears-late';
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
    await active(kinesis, stream);
    // Written before the delivery streams exist: LATEST at creation means these are never delivered.
    const early = new Written();
    await early.write(kinesis, stream, 3, ['early-0', 'early-1', 'early-2']);

    const createdAt = Date.now();
    const a = await createFromKinesis(firehose, 'clicks-a', stream, 'a/', 'GZIP', bucket);
    await createFromKinesis(firehose, 'clicks-b', stream, 'b/', 'UNCOMPRESSED', bucket);
    expect(a.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks-a');
    const desc = (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'clicks-a' }))).DeliveryStreamDescription!;
    expect(desc.DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(desc.DeliveryStreamStatus).toBe('ACTIVE');
    expect(desc.Source?.DirectPutSourceDescription).toBeUndefined();
    expect(desc.Source?.KinesisStreamSourceDescription).toMatchObject({ KinesisStreamARN: arnOf(stream), RoleARN: ROLE });
    const start = desc.Source!.KinesisStreamSourceDescription!.DeliveryStartTimestamp!.getTime();
    expect(Math.abs(start - createdAt)).toBeLessThan(5_000);
    expect((await firehose.send(new ListDeliveryStreamsCommand({ DeliveryStreamType: 'KinesisStreamAsSource' }))).DeliveryStreamNames).toEqual(['clicks-a', 'clicks-b']);

    const refused = { name: 'InvalidArgumentException', message: 'This operation is not permitted on KinesisStreamAsSource delivery stream type.' };
    await expect(firehose.send(new PutRecordCommand({ DeliveryStreamName: 'clicks-a', Record: { Data: Buffer.from('x') } }))).rejects.toMatchObject(refused);
    await expect(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks-b', Records: [{ Data: Buffer.from('x') }] }))).rejects.toMatchObject(refused);

    const written = new Written(8_000);
    await written.write(kinesis, stream, 20);
    // Split the first shard in the middle of its range while records keep coming.
    const [first] = await openShards(kinesis, stream);
    const during = written.write(kinesis, stream, 20);
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: first.id, NewStartingHashKey: String((first.start + first.end) / 2n) }));
    await during;
    await active(kinesis, stream);
    await written.write(kinesis, stream, 15);
    const afterSplit = await openShards(kinesis, stream);
    expect(afterSplit).toHaveLength(3);
    // Merge the upper child of the split with its neighbour, again while writing.
    const upper = afterSplit.find((s) => s.start === (first.start + first.end) / 2n)!;
    const neighbour = afterSplit.find((s) => s.start === upper.end + 1n)!;
    const duringMerge = written.write(kinesis, stream, 20);
    await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: upper.id, AdjacentShardToMerge: neighbour.id }));
    await duringMerge;
    await active(kinesis, stream);
    expect(await openShards(kinesis, stream)).toHaveLength(2);
    await written.write(kinesis, stream, 15);
    await s3.createBucket(bucket);

    const [gotA, gotB] = await Promise.all([waitForAll(s3, 'a/', written.total, bucket), waitForAll(s3, 'b/', written.total, bucket)]);
    // A moment more: anything extra (a duplicate, or an early record) would show up now.
    await new Promise((r) => setTimeout(r, 1500));
    for (const [prefix, got] of [['a/', gotA], ['b/', gotB]] as const) {
      const final = await delivered(s3, prefix, bucket);
      expect(final.length).toBe(got.length);
      expectExactlyOnceInOrder(final, written);
    }
    expect(gotA.every((o) => o.key.endsWith('.gz') && /\/clicks-a-1-/.test(o.key))).toBe(true);
    expect(gotB.every((o) => !o.key.endsWith('.gz') && /\/clicks-b-1-/.test(o.key))).toBe(true);
  });

  it('delivers KPL-aggregated records as their user records; plain and corrupt aggregates as they are', async () => {
    const stream = 'kpl';
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await active(kinesis, stream);
    await createFromKinesis(firehose, 'kpl-out', stream, 'kpl/');

    const expected: Buffer[] = [];
    const entries: { PartitionKey: string; Data: Buffer; ExplicitHashKey?: string }[] = [];
    for (let agg = 0; agg < 3; agg++) {
      const aggregator = new RecordAggregator();
      for (let i = 0; i < 50; i++) {
        const data = Buffer.from(`agg${agg}-user${i}:${'y'.repeat(i)}\n`);
        aggregator.addUserRecord({ partitionKey: `pk-${i % 5}`, data });
        expected.push(data);
      }
      const encoded = aggregator.build() as { partitionKey: string; data: Buffer };
      entries.push({ PartitionKey: encoded.partitionKey, Data: encoded.data });
      if (agg === 0) {
        const plain = Buffer.from('a plain record\n');
        entries.push({ PartitionKey: 'plain', Data: plain });
        expected.push(plain);
      }
    }
    // Magic and digest of an aggregate but a body that does not match: passed on unchanged.
    const corrupt = Buffer.from(entries[0].Data);
    corrupt[10] ^= 0xff;
    entries.push({ PartitionKey: 'corrupt', Data: corrupt });
    expected.push(corrupt);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    expect(out.FailedRecordCount ?? 0).toBe(0);

    const want = Buffer.concat(expected);
    const body = await waitFor(async () => {
      const keys = await s3.listKeys(BUCKET, 'kpl/');
      const all = Buffer.concat(await Promise.all(keys.map((k) => s3.getObject(BUCKET, k))));
      return all.length >= want.length ? all : undefined;
    }, 30_000, 200);
    expect(body.equals(want)).toBe(true);

    // Deleting the source stops the reader; the delivery stream stays and can be deleted.
    await kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
    await waitFor(async () => {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
        return false;
      } catch (err) {
        return (err as Error).name === 'ResourceNotFoundException';
      }
    }, 10_000, 50);
    const desc = (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'kpl-out' }))).DeliveryStreamDescription!;
    expect(desc.DeliveryStreamStatus).toBe('ACTIVE');
    expect(desc.Source?.KinesisStreamSourceDescription?.KinesisStreamARN).toBe(arnOf(stream));
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'kpl-out' }));
    expect((await firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).not.toContain('kpl-out');
  });
});

describe('a Kinesis-sourced delivery stream across restarts', () => {
  let s3: S3;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    dir = await tempDir('kinesis-source-restart');
  });

  afterAll(async () => {
    await s3?.stop();
    await dir?.remove();
  });

  it('loses and duplicates nothing when Hydrant stops mid-way: before anything was read, with records buffered, and with batches pending', async () => {
    const start = () => startTestHydrant({
      dataDir: dir.path,
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      kinesis: kinesisConfig,
    });
    const stream = 'orders';
    const later = 'orders-later';
    const written = new Written(500);
    let node = await start();
    let kinesis = kinesisClient(node.endpoint);
    let firehose = firehoseClient(node.endpoint);
    const restart = async () => {
      kinesis.destroy();
      firehose.destroy();
      await node.close();
      node = await start();
      kinesis = kinesisClient(node.endpoint);
      firehose = firehoseClient(node.endpoint);
    };
    const both = async () => [...await delivered(s3, 'orders/'), ...await delivered(s3, 'orders/', later)];
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
      await active(kinesis, stream);
      await new Written().write(kinesis, stream, 2, ['before-0', 'before-1']);
      await createFromKinesis(firehose, 'orders-out', stream, 'orders/');
      // Written right after creation and stopped at once: the start position must be durable already.
      await written.write(kinesis, stream, 5);
      await restart();
      await written.write(kinesis, stream, 10);
      await waitForAll(s3, 'orders/', written.total);

      // Send new batches to a bucket that does not exist yet: they are journaled and keep failing.
      const desc = (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders-out' }))).DeliveryStreamDescription!;
      await firehose.send(new UpdateDestinationCommand({
        DeliveryStreamName: 'orders-out',
        CurrentDeliveryStreamVersionId: desc.VersionId,
        DestinationId: desc.Destinations![0].DestinationId,
        ExtendedS3DestinationUpdate: { BucketARN: `arn:aws:s3:::${later}` },
      }));
      const [first] = await openShards(kinesis, stream);
      const during = written.write(kinesis, stream, 10);
      await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: first.id, NewStartingHashKey: String((first.start + first.end) / 2n) }));
      await during;
      await active(kinesis, stream);
      await written.write(kinesis, stream, 5);
      await new Promise((r) => setTimeout(r, 1500));
      await written.write(kinesis, stream, 3);
      // Pending batches (replayed after the restart), buffered records, and unread ones.
      await restart();
      await written.write(kinesis, stream, 5);
      await s3.createBucket(later);

      await waitFor(async () => (await both()).reduce((n, o) => n + o.records.length, 0) >= written.total, 60_000, 250);
      await new Promise((r) => setTimeout(r, 1500));
      expectExactlyOnceInOrder(await both(), written);
      expect((await delivered(s3, 'orders/', later)).length).toBeGreaterThan(0);
    } finally {
      kinesis.destroy();
      firehose.destroy();
      await node.close();
    }
  });
});
