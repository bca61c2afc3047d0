/**
 * A crash while records wait in their partitions' buffers (dynamic partitioning): the source
 * batches they came in stay pending in the journal until every partition object holding their
 * records is written, so after a SIGKILL the restarted node replays them into fresh buffers and
 * writes every acknowledged record — one object per partition. A SIGTERM (drain) writes the open
 * partition buffers at once instead of at the end of their interval.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, spawnHydrant, tempDir, waitFor } from '../helpers/hydrant.js';
import { jqProcessors, ROLE } from '../helpers/transform-testbed.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
const BUCKET = 'partitions';
const NAME = 'parts';
const INTERVAL_S = 12;

describe('crash with records in partition buffers', () => {
  let s3: S3;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    dir = await tempDir('hydrant-partition-crash');
  });

  afterAll(async () => {
    await s3?.stop();
    await dir?.remove();
  });

  it('nothing acknowledged is lost after SIGKILL: the pending source batches are replayed into the partition buffers', async () => {
    const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const dataDir = join(dir.path, 'data');
    const args = ['--port', '0', '--data-dir', dataDir];
    const journal = async () => JSON.parse(await readFile(join(dataDir, 'firehose', NAME, 'delivery', 'checkpoint.json'), 'utf8').catch(() => '{"pending":[]}')) as { pending: unknown[] };
    let n = 0;
    const put = async (endpoint: string, customers: string[]) => {
      const client = firehoseClient(endpoint, undefined, { maxAttempts: 1 });
      const out = await client.send(new PutRecordBatchCommand({
        DeliveryStreamName: NAME,
        Records: customers.map((customer_id) => ({ Data: Buffer.from(JSON.stringify({ customer_id, n: n++ })) })),
      }));
      client.destroy();
      expect(out.FailedPutCount).toBe(0);
    };

    const first = await spawnHydrant(args, env);
    const client = firehoseClient(first.endpoint, undefined, { maxAttempts: 1 });
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: NAME,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'data/customer=!{partitionKeyFromQuery:customer}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: INTERVAL_S },
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: { Enabled: true, Processors: jqProcessors('{customer: .customer_id}') },
      },
    }));
    client.destroy();
    await put(first.endpoint, ['acme', 'globex']);
    // Two source batches are journaled and waiting for their partitions' buffers (interval 12 s).
    await waitFor(async () => ((await journal()).pending.length >= 1 ? true : undefined), 10_000, 50);
    await new Promise((r) => setTimeout(r, 1_600));
    await put(first.endpoint, ['acme', 'initech', 'globex']);
    await waitFor(async () => ((await journal()).pending.length >= 2 ? true : undefined), 10_000, 50);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(await s3.listKeys(BUCKET)).toEqual([]);

    const second = await spawnHydrant(args, env);
    const keys = await waitFor(async () => {
      const k = await s3.listKeys(BUCKET, 'data/');
      return k.length >= 3 ? k : undefined;
    }, 60_000, 200);
    await new Promise((r) => setTimeout(r, 1_500)); // a duplicate would show up now
    expect(await s3.listKeys(BUCKET, 'data/')).toEqual(keys);
    const read = async (key: string) => (await s3.getObject(BUCKET, key)).toString().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
    const byPartition = new Map<string, number[]>();
    for (const key of keys) byPartition.set(key.split('/')[1], await read(key));
    expect(byPartition).toEqual(new Map([['customer=acme', [0, 2]], ['customer=globex', [1, 4]], ['customer=initech', [3]]]));
    await waitFor(async () => ((await journal()).pending.length === 0 ? true : undefined), 10_000, 100);

    // SIGTERM drains: the open partition buffers are written now, not at the end of their interval.
    await put(second.endpoint, ['acme', 'umbrella']);
    await waitFor(async () => ((await journal()).pending.length >= 1 ? true : undefined), 10_000, 50);
    const stopping = Date.now();
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(INTERVAL_S * 1000);
    const after = (await s3.listKeys(BUCKET, 'data/')).filter((k) => !keys.includes(k));
    expect(after).toHaveLength(2);
    const drained = new Map<string, number[]>();
    for (const key of after) drained.set(key.split('/')[1], await read(key));
    expect(drained).toEqual(new Map([['customer=acme', [5]], ['customer=umbrella', [6]]]));
    expect((await journal()).pending).toEqual([]);
    expect(await s3.listKeys(BUCKET, 'errors/')).toEqual([]);
  });
});
