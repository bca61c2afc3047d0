/**
 * The built-in processors end to end: KPL-aggregated records written to a Kinesis data stream
 * reach the transform (and S3) as their user records; concatenated JSON splits with
 * RecordDeAggregation; CloudWatch Logs subscription payloads (gzip) are decompressed and their
 * log events extracted; a record that is not gzip ends under decompression-failed/ as it was sent.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient, type ProcessorParameter } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { startS3Server } from '../helpers/s3-server.js';
import { aggregateAll } from '../helpers/kpl.js';
import { firehoseClient, kinesisClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'processed';
const FUNCTIONS = join(import.meta.dirname, '..', 'fixtures', 'functions');

const param = (ParameterName: string, ParameterValue: string): ProcessorParameter => ({ ParameterName: ParameterName as ProcessorParameter['ParameterName'], ParameterValue });

/** A CloudWatch Logs subscription payload as CloudWatch delivers it: gzipped JSON. */
function cloudWatchPayload(messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE', messages: string[]): Buffer {
  return gzipSync(JSON.stringify({
    messageType,
    owner: '123456789012',
    logGroup: '/aws/lambda/app',
    logStream: '2024/06/10/[$LATEST]abc',
    subscriptionFilters: ['to-firehose'],
    logEvents: messages.map((message, i) => ({ id: String(36000000000000000000000000000000000000000000000000000000 + i), timestamp: 1718000000000 + i, message })),
  }));
}

describe('built-in processors through the AWS SDK into S3', () => {
  let s3: S3;
  let node: Node;
  let firehose: FirehoseClient;
  let kinesis: KinesisClient;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    node = await startTestHydrant({
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      kinesis: { createDelayMs: 20, updateDelayMs: 20, shardLimits: false },
      functionsDir: FUNCTIONS,
    });
    firehose = firehoseClient(node.endpoint);
    kinesis = kinesisClient(node.endpoint);
  }, 60_000);

  afterAll(async () => {
    firehose?.destroy();
    kinesis?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  async function bodies(prefix: string, count = 1): Promise<{ key: string; body: string }[]> {
    return waitFor(async () => {
      const keys = await s3.listKeys(BUCKET, prefix);
      if (keys.length < count) return undefined;
      return Promise.all(keys.map(async (key) => ({ key, body: (await s3.getObject(BUCKET, key)).toString('utf8') })));
    }, 60_000, 200);
  }

  it('KPL-aggregated records from a Kinesis stream reach the Lambda and S3 as their user records', async () => {
    const stream = 'kpl-source';
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await waitFor(async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE', 10_000, 20);
    await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'kpl-upper',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`, RoleARN: ROLE },
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'kpl/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'Lambda', Parameters: [param('LambdaArn', 'upper')] },
            { Type: 'AppendDelimiterToRecord', Parameters: [] },
          ],
        },
      },
    }));
    const users = Array.from({ length: 40 }, (_, i) => ({ partitionKey: `pk-${i % 3}`, data: Buffer.from(`user record ${i}`) }));
    const aggregated = await aggregateAll(users);
    expect(aggregated.length).toBeLessThan(users.length);
    const out = await kinesis.send(new PutRecordsCommand({
      StreamName: stream,
      Records: aggregated.map((a) => ({ PartitionKey: a.partitionKey, ExplicitHashKey: a.ExplicitHashKey, Data: a.data })),
    }));
    expect(out.FailedRecordCount).toBe(0);
    const objects = await waitFor(async () => {
      const got = await bodies('kpl/');
      const lines = got.flatMap((o) => o.body.split('\n').filter(Boolean));
      return lines.length >= users.length ? lines : undefined;
    }, 60_000, 200);
    expect(objects.sort()).toEqual(users.map((u) => u.data.toString().toUpperCase()).sort());
  });

  it('the Lambda event carries kinesisRecordMetadata and sourceKinesisStreamArn for a Kinesis source', async () => {
    const stream = 'meta-source';
    const arn = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await waitFor(async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE', 10_000, 20);
    await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'kinesis-meta',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: arn, RoleARN: ROLE },
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'meta/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'kinesis-metadata')] }] },
      },
    }));
    const [aggregated] = await aggregateAll([{ partitionKey: 'user-a', data: Buffer.from('first') }, { partitionKey: 'user-b', data: Buffer.from('second') }]);
    const put = await kinesis.send(new PutRecordsCommand({
      StreamName: stream,
      Records: [{ PartitionKey: 'plain-key', Data: Buffer.from('plain') }, { PartitionKey: aggregated.partitionKey, ExplicitHashKey: aggregated.ExplicitHashKey, Data: aggregated.data }],
    }));
    const [plainSeq, aggSeq] = put.Records!.map((r) => r.SequenceNumber!);
    const seen = await waitFor(async () => {
      const lines = (await bodies('meta/')).flatMap((o) => o.body.split('\n').filter(Boolean));
      return lines.length >= 3 ? lines.map((l) => JSON.parse(l) as { data: string; approximateArrivalTimestamp: number; sourceKinesisStreamArn: string; kinesisRecordMetadata: Record<string, unknown> }) : undefined;
    }, 60_000, 200);
    const byData = new Map(seen.map((s) => [s.data, s]));
    for (const s of seen) {
      expect(s.sourceKinesisStreamArn).toBe(arn);
      expect(s.kinesisRecordMetadata.shardId).toBe(put.Records![0].ShardId);
      expect(s.kinesisRecordMetadata.approximateArrivalTimestamp).toBe(s.approximateArrivalTimestamp);
    }
    expect(byData.get('plain')!.kinesisRecordMetadata).toMatchObject({ partitionKey: 'plain-key', sequenceNumber: plainSeq, subsequenceNumber: 0 });
    expect(byData.get('first')!.kinesisRecordMetadata).toMatchObject({ partitionKey: 'user-a', sequenceNumber: aggSeq, subsequenceNumber: 0 });
    expect(byData.get('second')!.kinesisRecordMetadata).toMatchObject({ partitionKey: 'user-b', sequenceNumber: aggSeq, subsequenceNumber: 1 });
  });

  it('RecordDeAggregation JSON splits concatenated documents; AppendDelimiterToRecord puts one per line', async () => {
    await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'json-split',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'json/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'RecordDeAggregation', Parameters: [param('SubRecordType', 'JSON')] },
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      },
    }));
    await firehose.send(new PutRecordBatchCommand({
      DeliveryStreamName: 'json-split',
      Records: [{ Data: Buffer.from('{"a":1}{"a":2}\n{"a":3}') }, { Data: Buffer.from('{"b":"x"}') }],
    }));
    const [o] = await bodies('json/');
    expect(o.body).toBe('{"a":1}\n{"a":2}\n{"a":3}\n{"b":"x"}\n');
  });

  it('CloudWatch Logs subscription data: gunzipped, log events extracted, control messages dropped, non-gzip records under decompression-failed/', async () => {
    await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'cwl',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'cwl/data/',
        ErrorOutputPrefix: 'cwl/errors/!{firehose:error-output-type}/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'Decompression', Parameters: [param('CompressionFormat', 'GZIP')] },
            { Type: 'CloudWatchLogProcessing', Parameters: [param('DataMessageExtraction', 'true')] },
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      },
    }));
    const notGzip = Buffer.from('plain text, not gzip');
    await firehose.send(new PutRecordBatchCommand({
      DeliveryStreamName: 'cwl',
      Records: [
        { Data: cloudWatchPayload('DATA_MESSAGE', ['GET /index.html 200', 'GET /missing 404']) },
        { Data: cloudWatchPayload('CONTROL_MESSAGE', ['CWL CONTROL MESSAGE: Checking health of destination Firehose.']) },
        { Data: notGzip },
        { Data: cloudWatchPayload('DATA_MESSAGE', ['POST /login 302']) },
      ],
    }));
    const [data] = await bodies('cwl/data/');
    expect(data.body).toBe('GET /index.html 200\nGET /missing 404\nPOST /login 302\n');
    const [failed] = await bodies('cwl/errors/decompression-failed/');
    const docs = failed.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { errorCode: string; errorMessage: string; rawData: string; attemptsMade: number });
    expect(docs).toHaveLength(1);
    expect(docs[0].errorCode).toBe('Decompression.Failed');
    expect(docs[0].errorMessage).toMatch(/could not be decompressed as GZIP/);
    // Written as it arrived (still "compressed"), as Firehose does.
    expect(Buffer.from(docs[0].rawData, 'base64').equals(notGzip)).toBe(true);
  });
});
