/**
 * The S3 destination's two dynamic-partitioning modes, against a real S3 server (fauxqs):
 * partition buffers (records of several source batches in one object per partition, the batch
 * durable only once its objects are written) and, for delivery as scheduler jobs, the split of
 * each batch into one object per partition at keys derived from the batch (a replay overwrites).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/core/record.js';
import type { EncodeOptions } from '../../../src/delivery/destination.js';
import { S3Destination } from '../../../src/delivery/destinations/s3.js';
import { resolveS3Destination, type ExtendedS3DestinationConfiguration } from '../../../src/delivery/destinations/s3-config.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { SdkObjectStore } from '../../../sinks/s3/sdk-store.js';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../../helpers/s3-server.js';

const at = Date.UTC(2024, 5, 10, 13, 5, 42);

describe('S3 destination with dynamic partitioning', () => {
  let s3: S3TestServer;
  let store: SdkObjectStore;

  beforeAll(async () => {
    s3 = await startS3Server();
    store = new SdkObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, forcePathStyle: true });
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
  });

  const destination = (bucket: string) => {
    const cfg: ExtendedS3DestinationConfiguration = {
      RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: `arn:aws:s3:::${bucket}`, Prefix: 'd/c=!{partitionKeyFromQuery:c}/', ErrorOutputPrefix: 'e/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 3600 }, DynamicPartitioningConfiguration: { Enabled: true },
    };
    return new S3Destination({ streamName: 's', current: () => ({ config: resolveS3Destination(cfg), version: 1 }), store, metrics: new Metrics({ defaultMetrics: false }) });
  };
  /** A transformed source batch: records `c:n`, partition key c. */
  const batch = (d: S3Destination, id: string, items: string[]) => {
    const records: LogRecord[] = items.map((t, i) => ({ position: i, arrivedAt: at + i, partitionKey: '', data: Buffer.from(`${t}\n`) }));
    const opts: EncodeOptions = { transformed: { sources: records, origin: records.map((_r, i) => i), partitionKeys: items.map((t) => ({ query: { c: t.split(':')[0] } })) } };
    const plan = JSON.parse(JSON.stringify(d.plan({ id, ranges: [{ shardId: 'shardId-000000000000', first: 0, last: items.length - 1 }], records, oldestArrival: at, bytes: 0 }))) as Record<string, unknown>;
    return { records, opts, plan };
  };
  const contents = async (bucket: string) => {
    const out = new Map<string, string>();
    for (const k of await s3.listKeys(bucket)) out.set(k.split('/')[1], (await s3.getObject(bucket, k)).toString());
    return out;
  };

  it('partition buffers: one object per partition over several source batches, each batch durable once its objects are written', async () => {
    await s3.createBucket('buffered');
    const d = destination('buffered');
    expect(d.limits()).toEqual({ maxBytes: 1024 * 1024, intervalMs: 1000 });
    const receipts = [];
    for (const [id, items] of [['A', ['x:1', 'y:2']], ['B', ['x:3']]] as const) {
      const b = batch(d, id, [...items]);
      const receipt = await d.deliver(b.plan, await d.encode(b.plan, b.records, b.opts), new AbortController().signal);
      receipts.push(receipt!.durable);
    }
    expect(await s3.listKeys('buffered')).toEqual([]); // an hour's interval: still buffered
    await d.flush();
    await Promise.all(receipts);
    expect(await contents('buffered')).toEqual(new Map([['c=x', 'x:1\nx:3\n'], ['c=y', 'y:2\n']]));
    await d.close();
  });
});
