/**
 * Data transformation end to end: unmodified Firehose Lambda handlers (async and callback style)
 * found in `functionsDir` or the `functions` map, run by Hydrant on records sent through the
 * AWS SDK, with the results in a real S3 server: transformed records delivered, Dropped ones
 * gone, ProcessingFailed and contract-breaking ones under `processing-failed/` in Firehose's
 * JSON format.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { ProcessingFailedDocument } from '../../src/delivery/transform/index.js';
import { documents, FUNCTIONS, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';

const BUCKET = 'transformed';

type FailedDoc = ProcessingFailedDocument;

describe('Lambda-compatible transforms through the AWS SDK into S3', () => {
  let bed: TransformTestbed;
  let client: FirehoseClient;
  let s3: TransformTestbed['s3'];

  beforeAll(async () => {
    bed = await startTransformTestbed(BUCKET, {
      // A name mapped to a module elsewhere (here: a file whose name differs from the function's).
      functions: { 'legacy-blueprint': join(FUNCTIONS, 'callback-style.cjs') },
    });
    client = bed.client;
    s3 = bed.s3;
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  async function createStream(name: string, lambdaArn: string, opts: { retries?: string; errorOutputPrefix?: string; compression?: 'GZIP' | 'UNCOMPRESSED' } = {}) {
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/data/`,
        ErrorOutputPrefix: opts.errorOutputPrefix,
        CompressionFormat: opts.compression ?? 'UNCOMPRESSED',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{
            Type: 'Lambda',
            Parameters: [
              { ParameterName: 'LambdaArn', ParameterValue: lambdaArn },
              ...(opts.retries ? [{ ParameterName: 'NumberOfRetries', ParameterValue: opts.retries }] : []),
            ],
          }],
        },
      },
    }));
  }

  async function put(name: string, texts: string[]): Promise<number> {
    const before = Date.now();
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: texts.map((t) => ({ Data: Buffer.from(t) })) }));
    expect(out.FailedPutCount).toBe(0);
    return before;
  }

  async function objects(prefix: string, count: number): Promise<{ key: string; body: Buffer }[]> {
    const got = await bed.objects(prefix, count);
    return [...got].map(([key, body]) => ({ key, body: Buffer.from(body) }));
  }

  const docsOf = (bodies: { body: Buffer }[]): FailedDoc[] => documents<FailedDoc>(bodies.map((o) => o.body.toString('utf8')));

  it('an async handler: Ok records are transformed, Dropped ones are gone, ProcessingFailed ones land in processing-failed/ in AWS\'s format', async () => {
    const name = 'xform-results';
    await createStream(name, 'arn:aws:lambda:us-east-1:123456789012:function:results:$LATEST', { errorOutputPrefix: `${name}/errors/!{firehose:error-output-type}/!{timestamp:yyyy}/` });
    const sentAt = await put(name, ['one', 'please drop', 'two', 'fail this one', 'three']);

    const data = await objects(`${name}/data/`, 1);
    const failed = await objects(`${name}/errors/processing-failed/`, 1);
    // Prefix has no expressions: the default time path follows it; one object for the batch.
    expect(data).toHaveLength(1);
    expect(data[0].key).toMatch(new RegExp(`^${name}/data/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${name}-1-`));
    expect(data[0].body.toString()).toBe('<one><two><three>');

    expect(failed).toHaveLength(1);
    expect(failed[0].key).toMatch(new RegExp(`^${name}/errors/processing-failed/${new Date().getUTCFullYear()}/${name}-1-`));
    const docs = docsOf(failed);
    expect(docs).toHaveLength(1);
    const doc = docs[0];
    // Firehose's member order.
    expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'lambdaArn']);
    expect(doc.attemptsMade).toBe(1);
    expect(doc.errorCode).toBe('Lambda.ProcessingFailedStatus');
    expect(doc.errorMessage).toBe('ProcessingFailed status set for record');
    expect(Buffer.from(doc.rawData, 'base64').toString()).toBe('fail this one');
    expect(doc.lambdaArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:results:$LATEST');
    expect(doc.arrivalTimestamp).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(doc.attemptEndingTimestamp).toBeGreaterThanOrEqual(doc.arrivalTimestamp);
    // Nothing of the dropped record anywhere.
    const all = await objects(`${name}/`, 2);
    for (const o of all) expect(o.body.toString()).not.toContain('drop');
    // Firehose's processing metrics, labelled by stream.
    const metrics = await (await fetch(`${bed.node.endpoint}/metrics`)).text();
    const value = (metric: string) => Number(new RegExp(`^${metric}\\{DeliveryStreamName="${name}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('ExecuteProcessing_Success')).toBe(1);
    expect(value('SucceedProcessing_Records')).toBe(4);
    expect(value('SucceedProcessing_Bytes')).toBe('<one><two><three>'.length);
    expect(value('FailedProcessing_Records')).toBe(1);
    expect(value('ExecuteProcessing_Duration')).toBeGreaterThan(0);
  });

  it('a callback-style CommonJS handler mapped by name in the functions config, GZIP objects', async () => {
    const name = 'xform-callback';
    await createStream(name, 'legacy-blueprint', { compression: 'GZIP' });
    await put(name, ['a', 'b', 'c']);
    const data = await objects(`${name}/data/`, 1);
    expect(data[0].key.endsWith('.gz')).toBe(true);
    expect(data[0].body.toString()).toBe('a!b!c!');
  });

  it('a handler that breaks the response contract fails the invocation; after NumberOfRetries every record is in processing-failed/', async () => {
    const name = 'xform-contract';
    // No ErrorOutputPrefix: failed records go under <Prefix>processing-failed/yyyy/MM/dd/HH/.
    await createStream(name, 'contract', { retries: '2' });
    const texts = ['missing', 'second', 'third'];
    await put(name, texts);
    const failed = await objects(`${name}/data/processing-failed/`, 1);
    expect(failed[0].key).toMatch(new RegExp(`^${name}/data/processing-failed/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${name}-1-`));
    const docs = docsOf(failed);
    expect(docs.map((d) => Buffer.from(d.rawData, 'base64').toString()).sort()).toEqual([...texts].sort());
    for (const d of docs) {
      expect(d.errorCode).toBe('Lambda.MissingRecordId');
      expect(d.errorMessage).toMatch(/One or more record IDs were not returned/);
      expect(d.attemptsMade).toBe(3);
      expect(d.lambdaArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:contract');
    }
    // Nothing was delivered as data.
    const keys = await s3.listKeys(BUCKET, `${name}/data/`);
    expect(keys.every((k) => k.startsWith(`${name}/data/processing-failed/`))).toBe(true);
  });

  it('bad base64 and a thrown error: readable error messages, records kept', async () => {
    const base64 = 'xform-base64';
    const throws = 'xform-throws';
    await createStream(base64, 'contract', { retries: '0' });
    await createStream(throws, 'throws', { retries: '0' });
    await put(base64, ['base64', 'x']);
    await put(throws, ['y']);
    const a = docsOf(await objects(`${base64}/data/processing-failed/`, 1));
    expect(a).toHaveLength(2);
    for (const d of a) {
      expect(d.errorCode).toBe('Lambda.JsonProcessingException');
      expect(d.errorMessage).toMatch(/not valid base64/);
      expect(d.attemptsMade).toBe(1);
    }
    const b = docsOf(await objects(`${throws}/data/processing-failed/`, 1));
    expect(b).toHaveLength(1);
    expect(b[0].errorCode).toBe('Lambda.FunctionError');
    expect(b[0].errorMessage).toMatch(/returned an error result/);
    expect(Buffer.from(b[0].rawData, 'base64').toString()).toBe('y');
  });

  it('S3BackupMode Enabled: the untransformed records are also written under S3BackupConfiguration', async () => {
    const name = 'xform-backup';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/data/`,
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'results' }] }] },
        S3BackupMode: 'Enabled',
        S3BackupConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: `${name}/source/`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 }, CompressionFormat: 'GZIP' },
      },
    }));
    const described = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    expect(described.Destinations![0].ExtendedS3DestinationDescription).toMatchObject({ S3BackupMode: 'Enabled', S3BackupDescription: { Prefix: `${name}/source/`, CompressionFormat: 'GZIP' } });
    await put(name, ['one', 'please drop', 'two']);
    const data = await objects(`${name}/data/`, 1);
    expect(data[0].body.toString()).toBe('<one><two>');
    const source = await objects(`${name}/source/`, 1);
    expect(source[0].key).toMatch(new RegExp(`^${name}/source/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${name}-1-.*\\.gz$`));
    expect(source[0].body.toString()).toBe('oneplease droptwo');
    await expect(client.send(new UpdateDestinationCommand({
      DeliveryStreamName: name, CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001',
      ExtendedS3DestinationUpdate: { S3BackupMode: 'Disabled' },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: 'S3BackupMode cannot be changed from Enabled to Disabled.' });
  });

  it('a function that does not exist: records go to processing-failed/ with Lambda.ResourceNotFound', async () => {
    const name = 'xform-missing';
    await createStream(name, 'no-such-function', { retries: '0' });
    await put(name, ['z']);
    const docs = docsOf(await objects(`${name}/data/processing-failed/`, 1));
    expect(docs[0].errorCode).toBe('Lambda.ResourceNotFound');
    expect(docs[0].errorMessage).toContain('no-such-function');
  });
});
