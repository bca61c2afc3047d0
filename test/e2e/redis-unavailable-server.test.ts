import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { firehoseClient, kinesisClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { post } from '../helpers/raw-http.js';

describe('Redis unreachable: the server answers ServiceUnavailableException and stores nothing', () => {
  let proxy: TcpProxy;
  let s3: S3TestServer;
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  let fh: FirehoseClient;
  let ks: KinesisClient;
  const prefix = uniquePrefix('unavail');

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('unavail');
    const target = new URL(REDIS_URL);
    proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
    node = await startTestHydrant({
      backend: 'redis',
      redis: { url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix, commandTimeoutMs: 1_000 },
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      kinesis: { createDelayMs: 0, shardLimits: false },
    });
    fh = firehoseClient(node.endpoint, undefined, { maxAttempts: 1 });
    ks = kinesisClient(node.endpoint, { maxAttempts: 1 });
    await fh.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'd',
      ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/x', BucketARN: 'arn:aws:s3:::unavail', BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 } },
    }));
    await ks.send(new CreateStreamCommand({ StreamName: 'k', ShardCount: 2 }));
    await waitFor(async () => (await ks.send(new DescribeStreamSummaryCommand({ StreamName: 'k' }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE');
  });
  afterAll(async () => {
    fh?.destroy();
    ks?.destroy();
    await node?.stop();
    await proxy?.stop();
    await s3?.stop();
    await deletePrefix(prefix);
  });

  it('PutRecordBatch and PutRecords fail with a retryable 503 while Redis is down, and work once it is back', async () => {
    const records = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(`${tag}-${i}`), PartitionKey: `${tag}-${i}` }));
    await ks.send(new PutRecordsCommand({ StreamName: 'k', Records: records('before', 10) }));

    proxy.setDown(true);
    const failures = await Promise.all([
      fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'd', Records: records('during', 20).map(({ Data }) => ({ Data })) })).then(() => undefined, (e: unknown) => e),
      ks.send(new PutRecordsCommand({ StreamName: 'k', Records: records('during', 20) })).then(() => undefined, (e: unknown) => e),
    ]);
    for (const err of failures) {
      const e = err as { name: string; message: string; $metadata: { httpStatusCode?: number }; $retryable?: unknown; $response?: { headers: Record<string, string> } };
      expect(e?.name).toBe('ServiceUnavailableException');
      expect(e.$metadata.httpStatusCode).toBe(503);
      expect(e.message).toMatch(/retry/i);
      expect(e.$response?.headers['retry-after']).toBe('1');
    }
    // The REST routes answer the same way (not an InternalFailure).
    for (const path of ['/v1/streams/k/records?partitionKey=p', '/v1/deliverystreams/d/records']) {
      const rest = await post(node.endpoint, path, '{"during":"rest"}\n', { 'content-type': 'application/x-ndjson' });
      expect(rest.status).toBe(503);
      expect(rest.json.__type).toBe('ServiceUnavailableException');
      expect(rest.headers['retry-after']).toBe('1');
    }

    proxy.setDown(false);
    await waitFor(() => ks.send(new PutRecordsCommand({ StreamName: 'k', Records: records('after', 10) })).then((o) => o.FailedRecordCount === 0, () => false), 20_000, 200);
    await waitFor(() => fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'd', Records: [{ Data: Buffer.from('after') }] })).then((o) => o.FailedPutCount === 0, () => false), 20_000, 200);

    // Nothing of the failed calls was stored: the shards hold the records before and after only.
    const stored: string[] = [];
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const it = (await ks.send(new GetShardIteratorCommand({ StreamName: 'k', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      const out = await ks.send(new GetRecordsCommand({ ShardIterator: it! }));
      for (const r of out.Records ?? []) stored.push(Buffer.from(r.Data!).toString());
    }
    expect(stored.filter((s) => s.startsWith('during'))).toEqual([]);
    expect(stored.filter((s) => s.startsWith('before'))).toHaveLength(10);
    expect(stored.filter((s) => s.startsWith('after')).length).toBeGreaterThanOrEqual(10);
  });
});
