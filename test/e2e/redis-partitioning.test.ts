/**
 * Dynamic partitioning on the Redis backend: a partitioned stream keeps one buffer per partition
 * there too (its node delivers what it cut; delivery jobs are for the other streams), so records
 * of one partition put in several calls land in ONE object per partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { documents, param, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const BUCKET = 'lake';
const keyPrefix = uniquePrefix('partitions');

describe('dynamic partitioning with --backend redis', () => {
  let bed: TransformTestbed;

  beforeAll(async () => {
    bed = await startTransformTestbed(BUCKET, { backend: 'redis', redis: { url: REDIS_URL, keyPrefix, leaseTtlMs: 3000 } });
  }, 60_000);
  afterAll(async () => {
    await bed?.stop();
    await deletePrefix(keyPrefix);
  });

  it('records of a partition put in several calls are one object per partition', async () => {
    const name = 'orders';
    await bed.client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/customer=!{partitionKeyFromQuery:customer}/`,
        ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 4 },
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'MetadataExtraction', Parameters: [param('MetadataExtractionQuery', '{customer: .customer_id}'), param('JsonParsingEngine', 'JQ-1.6')] },
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      },
    }));
    // Partition a opens at 0 s (its buffer is written at ~4 s), b at 1.5 s (written at ~5.5 s, so
    // its record put at 4.5 s is in it); one buffer for the whole stream would have been cut at
    // ~4 s and given b a second object.
    const calls = [['a'], ['a', 'b'], ['b'], ['b']];
    const sent: Record<string, unknown>[] = [];
    for (let call = 0; call < calls.length; call++) {
      const records = calls[call].flatMap((customer) => [0, 1].map((i) => ({ customer_id: customer, n: call * 10 + i })));
      sent.push(...records);
      const out = await bed.client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((r) => ({ Data: Buffer.from(JSON.stringify(r)) })) }));
      expect(out.FailedPutCount).toBe(0);
      if (call < calls.length - 1) await new Promise((r) => setTimeout(r, 1500));
    }
    const objects = await bed.objects(`${name}/`, 2);
    // Give a second object per partition (the old per-batch split) the time to show up.
    await new Promise((r) => setTimeout(r, 2000));
    const keys = await bed.s3.listKeys(BUCKET, `${name}/`);
    expect(keys).toHaveLength(2);
    expect(keys.map((k) => k.split('/')[1]).sort()).toEqual(['customer=a', 'customer=b']);
    const got = documents(objects.values());
    expect(got.map((d) => JSON.stringify(d)).sort()).toEqual(sent.map((d) => JSON.stringify(d)).sort());
    expect(await bed.s3.listKeys(BUCKET, `${name}-errors/`)).toEqual([]);
  }, 60_000);
});
