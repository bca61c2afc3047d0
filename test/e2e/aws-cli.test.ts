import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestHydrant, waitFor } from '../helpers/hydrant.js';

const run = promisify(execFile);

/** The README's walk-through, with the real AWS CLI (v1 on these machines). */
describe('AWS CLI', () => {
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'any', AWS_SECRET_ACCESS_KEY: 'any', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_S3: '' };
  const aws = async (...args: string[]) => JSON.parse((await run('aws', ['firehose', ...args, '--endpoint-url', node.endpoint, '--output', 'json'], { env })).stdout || '{}');

  beforeAll(async () => {
    node = await startTestHydrant();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('creates a stream, puts records and finds them under the data dir', async () => {
    const created = await aws('create-delivery-stream', '--delivery-stream-name', 'clicks', '--extended-s3-destination-configuration',
      JSON.stringify({ RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::my-bucket', Prefix: 'clicks/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 }, CompressionFormat: 'GZIP' }));
    expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks');
    const desc = await aws('describe-delivery-stream', '--delivery-stream-name', 'clicks');
    expect(desc.DeliveryStreamDescription.DeliveryStreamStatus).toBe('ACTIVE');
    const put = await aws('put-record-batch', '--delivery-stream-name', 'clicks', '--records', JSON.stringify([{ Data: '{"user":1}\n' }, { Data: '{"user":2}\n' }]));
    expect(put.FailedPutCount).toBe(0);
    await aws('put-record', '--delivery-stream-name', 'clicks', '--record', JSON.stringify({ Data: '{"user":3}\n' }));

    const root = join(node.dataDir, 's3', 'my-bucket', 'clicks');
    const text = await waitFor(async () => {
      const files: string[] = [];
      const walk = async (d: string) => {
        for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
          if (e.isDirectory()) await walk(join(d, e.name));
          else files.push(join(d, e.name));
        }
      };
      await walk(root);
      const all = (await Promise.all(files.map(async (f) => gunzipSync(await readFile(f)).toString()))).join('');
      return all.split('\n').filter(Boolean).length === 3 ? all : undefined;
    });
    expect(text.split('\n').filter(Boolean).sort()).toEqual(['{"user":1}', '{"user":2}', '{"user":3}']);

    const err = await run('aws', ['firehose', 'describe-delivery-stream', '--delivery-stream-name', 'nope', '--endpoint-url', node.endpoint], { env }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toContain('ResourceNotFoundException');
  }, 60_000);
});
