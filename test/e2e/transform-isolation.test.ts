/**
 * A bad transform handler stalls only its own delivery stream: while one stream's handler spins
 * the CPU until its timeout and another's kills its worker (`process.exit`) or runs out of heap,
 * a third stream's records are transformed and land in S3. The bad streams' records end, after
 * their retries, under processing-failed/ with a readable errorMessage, and the server keeps
 * serving.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { ProcessingFailedDocument } from '../../src/delivery/transform/index.js';
import { documents, FUNCTIONS, param, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';

const BUCKET = 'isolation';
const LOOP_TIMEOUT_SECONDS = 4;

describe('a looping or crashing handler does not stall other delivery streams', () => {
  let bed: TransformTestbed;
  let client: FirehoseClient;

  beforeAll(async () => {
    bed = await startTransformTestbed(BUCKET, {
      functions: {
        loop: { path: join(FUNCTIONS, 'loop.mjs'), timeoutSeconds: LOOP_TIMEOUT_SECONDS },
        oom: { path: join(FUNCTIONS, 'oom.mjs'), memoryMb: 48 },
      },
      // Two workers for four streams: the looping stream may hold one, never both.
      transforms: { lambda: { maxWorkers: 2 } },
    });
    client = bed.client;
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  const create = (name: string, fn: string) => client.send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: name,
    ExtendedS3DestinationConfiguration: {
      RoleARN: ROLE,
      BucketARN: `arn:aws:s3:::${BUCKET}`,
      Prefix: `${name}/`,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
      ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', fn), param('NumberOfRetries', '1')] }] },
    },
  }));
  const put = (name: string, texts: string[]) => client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: texts.map((t) => ({ Data: Buffer.from(t) })) }));
  const failures = async (name: string) => documents<ProcessingFailedDocument>((await bed.objects(`${name}/processing-failed/`, 1, 90_000)).values());

  it('the healthy stream delivers while the others loop, exit and run out of memory; their records end in processing-failed/', async () => {
    await create('stuck', 'loop');
    await create('crashing', 'exits');
    await create('greedy', 'oom');
    await create('healthy', 'upper');

    await put('stuck', ['s1', 's2']);
    await put('crashing', ['c1']);
    await put('greedy', ['g1']);
    // Let the bad handlers get going first.
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = Date.now();
    await put('healthy', ['hello', 'world']);

    const healthy = await bed.objects('healthy/', 1, 60_000);
    const deliveredAfter = Date.now() - sentAt;
    if (process.env.HYDRANT_TEST_TIMINGS) console.log(`healthy delivered after ${deliveredAfter} ms`);
    expect([...healthy.values()].join('')).toBe('HELLOWORLD');
    // Delivered while the looping handler was still inside its first timeout: the stuck stream
    // has written nothing yet.
    expect(deliveredAfter).toBeLessThan(LOOP_TIMEOUT_SECONDS * 1000 * 2);
    expect(await bed.s3.listKeys(BUCKET, 'stuck/')).toEqual([]);

    const crashed = await failures('crashing');
    expect(crashed).toHaveLength(1);
    expect(crashed[0]).toMatchObject({ errorCode: 'Lambda.FunctionError', attemptsMade: 2 });
    expect(crashed[0].errorMessage).toMatch(/Runtime exited with exit status 3/);
    expect(Buffer.from(crashed[0].rawData, 'base64').toString()).toBe('c1');

    const oom = await failures('greedy');
    expect(oom).toHaveLength(1);
    expect(oom[0].errorMessage).toMatch(/out of memory|Runtime exited/);

    const stuck = await failures('stuck');
    expect(stuck.map((d) => Buffer.from(d.rawData, 'base64').toString()).sort()).toEqual(['s1', 's2']);
    for (const d of stuck) {
      expect(d).toMatchObject({ errorCode: 'Lambda.FunctionError', attemptsMade: 2 });
      expect(d.errorMessage).toContain(`Task timed out after ${LOOP_TIMEOUT_SECONDS}.00 seconds`);
    }

    // The healthy stream still delivers after all that.
    await put('healthy', ['again']);
    await bed.objects('healthy/', 2, 60_000);
    const all = [...(await bed.objects('healthy/', 2)).values()].join('');
    expect(all).toContain('AGAIN');
  });
});
