/**
 * A crash in the middle of a transform: the batch is journaled before the Lambda runs, so after
 * a SIGKILL the restarted node processes the same batch again — with the same record ids (they
 * derive from the batch identity) — and delivers it once: one data object, one processing-failed
 * object, nothing twice.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, spawnHydrant, tempDir, waitFor } from '../helpers/hydrant.js';
import { documents, FUNCTIONS, param, ROLE } from '../helpers/transform-testbed.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
const BUCKET = 'replayed';

describe('crash during a transform', () => {
  let s3: S3;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    dir = await tempDir('hydrant-xform-crash');
  });

  afterAll(async () => {
    await s3?.stop();
    await dir?.remove();
  });

  it('the batch is transformed again with the same record ids after SIGKILL and delivered exactly once', async () => {
    const recordFile = join(dir.path, 'invocations.jsonl');
    const configFile = join(dir.path, 'hydrant.json');
    await writeFile(configFile, JSON.stringify({
      functions: { recording: { path: join(FUNCTIONS, 'recording.mjs'), environment: { RECORD_FILE: recordFile, PAUSE_FILE: join(dir.path, 'paused') } } },
    }));
    const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const args = ['--port', '0', '--data-dir', join(dir.path, 'data'), '--config', configFile];

    const first = await spawnHydrant(args, env);
    const client = firehoseClient(first.endpoint, undefined, { maxAttempts: 1 });
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'replay',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: 'data/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'recording')] }] },
      },
    }));
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'replay', Records: ['a', 'fail-b', 'c'].map((t) => ({ Data: Buffer.from(t) })) }));
    client.destroy();
    // The Lambda is running (and pausing): kill the node under it.
    await waitFor(async () => (await readFile(recordFile, 'utf8').catch(() => '')).length > 0, 30_000, 50);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(await s3.listKeys(BUCKET)).toEqual([]);

    const second = await spawnHydrant(args, env);
    const keys = await waitFor(async () => {
      const k = await s3.listKeys(BUCKET);
      return k.some((x) => x.startsWith('data/')) && k.some((x) => x.startsWith('errors/')) ? k : undefined;
    }, 60_000, 200);
    // Give a duplicate every chance to show up.
    await new Promise((r) => setTimeout(r, 1500));
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const invocations = (await readFile(recordFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
    expect(invocations).toHaveLength(2);
    expect(invocations[1]).toEqual(invocations[0]);

    const all = await s3.listKeys(BUCKET);
    expect(all).toEqual(keys);
    const data = all.filter((k) => k.startsWith('data/'));
    const errors = all.filter((k) => k.startsWith('errors/processing-failed/'));
    expect(data).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect((await s3.getObject(BUCKET, data[0])).toString()).toBe('AC');
    const docs = documents<{ rawData: string; errorCode: string }>([(await s3.getObject(BUCKET, errors[0])).toString()]);
    expect(docs.map((d) => Buffer.from(d.rawData, 'base64').toString())).toEqual(['fail-b']);
  });
});
