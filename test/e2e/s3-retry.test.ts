import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';
import { makeRecord, parseRecords } from '../helpers/records.js';

describe('S3 failures are retried until S3 accepts', () => {
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  let client: FirehoseClient;

  beforeAll(async () => {
    s3 = await startS3Server();
    node = await startTestHydrant({ s3: { endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' } });
    client = firehoseClient(node.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  const metric = async (name: string) => {
    const m = new RegExp(`^${name}\\{DeliveryStreamName="late"\\} ([0-9.e+-]+)$`, 'm').exec(await node.metrics.text());
    return m ? Number(m[1]) : undefined;
  };

  it('a missing bucket is retried with backoff, then every record lands once', async () => {
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'late',
      ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/x', BucketARN: 'arn:aws:s3:::not-yet', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
    }));
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'late', Records: Array.from({ length: 300 }, (_, i) => ({ Data: makeRecord(i, 64) })) }));
    expect(out.FailedPutCount).toBe(0);
    // The bucket does not exist: attempts fail and are counted.
    await waitFor(async () => ((await metric('DeliveryToS3_Attempts')) ?? 0) >= 2);
    expect(await metric('DeliveryToS3_Success')).toBe(0);
    expect(await metric('DeliveryToS3_Records')).toBeUndefined();

    await s3.createBucket('not-yet');
    const ids = await waitFor(async () => {
      const seen: number[] = [];
      for (const key of await s3.listKeys('not-yet', '')) for (const r of parseRecords(await s3.getObject('not-yet', key))) seen.push(r.id);
      return seen.length >= 300 ? seen : undefined;
    }, 30_000, 200);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await metric('DeliveryToS3_Records')).toBe(300);
    expect(await metric('DeliveryToS3_Success')).toBeGreaterThan(0);
    expect(await metric('DeliveryToS3_Success')).toBeLessThan(1);
  }, 60_000);
});
