/**
 * Transforms in front of a sink destination: an HTTP endpoint (the spec's receiving side, a
 * protocol double) gets the Lambda's output; Dropped records never reach it; ProcessingFailed
 * records go to the error prefix of the destination's S3Configuration (the backup bucket) as
 * processing-failed documents, as Firehose writes them for non-S3 destinations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { ProcessingFailedDocument } from '../../src/delivery/transform/index.js';
import { startHttpEndpointReceiver, type HttpEndpointReceiver } from '../doubles/http-endpoint-receiver.js';
import { waitFor } from '../helpers/hydrant.js';
import { documents, param, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';

const KEY = 'endpoint-access-key';

describe('transforms in front of an HTTP endpoint destination', () => {
  let bed: TransformTestbed;
  let receiver: HttpEndpointReceiver;

  beforeAll(async () => {
    receiver = await startHttpEndpointReceiver({ accessKey: KEY });
    bed = await startTransformTestbed('backup');
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
    await receiver?.stop();
  });

  it('the endpoint receives the transformed records; failed ones are in the backup bucket under processing-failed/', async () => {
    const name = 'web-xform';
    await bed.client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: { Url: `${receiver.url}/${name}`, Name: 'receiver', AccessKey: KEY },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        RetryOptions: { DurationInSeconds: 60 },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup', Prefix: `${name}/`, ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/` },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'results')] }] },
      },
    }));
    const out = await bed.client.send(new PutRecordBatchCommand({
      DeliveryStreamName: name,
      Records: ['one', 'please drop', 'fail me', 'two'].map((t) => ({ Data: Buffer.from(t) })),
    }));
    expect(out.FailedPutCount).toBe(0);
    const received = await waitFor(() => {
      const got = receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith(`/${name}`) && x.answeredWith === 'ok');
      return got.length > 0 ? got.flatMap((x) => x.records.map(String)) : undefined;
    }, 60_000, 100);
    expect(received).toEqual(['<one>', '<two>']);
    const failed = documents<ProcessingFailedDocument>((await bed.objects(`${name}-errors/processing-failed/`, 1)).values());
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ errorCode: 'Lambda.ProcessingFailedStatus', lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:results' });
    expect(Buffer.from(failed[0].rawData, 'base64').toString()).toBe('fail me');
  });
});
