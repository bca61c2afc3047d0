import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { firehoseClient, startTestHydrant } from '../helpers/hydrant.js';

describe('Direct PUT quotas', () => {
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  let client: FirehoseClient;

  beforeAll(async () => {
    node = await startTestHydrant({ directPutLimits: { recordsPerSecond: 100, requestsPerSecond: 3, bytesPerSecond: 1_000_000 } });
    client = firehoseClient(node.endpoint, undefined, { maxAttempts: 1 });
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'q',
      ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/x', BucketARN: 'arn:aws:s3:::b' },
    }));
  });
  afterAll(async () => {
    client?.destroy();
    await node?.stop();
  });

  it('fails the records over the rate one by one with "Slow down.", then the whole call', async () => {
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'q', Records: Array.from({ length: 150 }, () => ({ Data: Buffer.from('x') })) }));
    expect(out.FailedPutCount).toBeGreaterThanOrEqual(49);
    expect(out.FailedPutCount).toBeLessThanOrEqual(50);
    expect(out.RequestResponses).toHaveLength(150);
    const failed = out.RequestResponses!.filter((r) => r.ErrorCode);
    expect(failed.length).toBe(out.FailedPutCount);
    expect(failed[0]).toEqual({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' });
    expect(out.RequestResponses!.slice(0, 100).every((r) => r.RecordId)).toBe(true);

    // Three requests per second: the fourth call within the second is refused whole.
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await client.send(new PutRecordCommand({ DeliveryStreamName: 'q', Record: { Data: Buffer.from('y') } })).catch((e: Error) => e));
    const refused = results.filter((r) => r instanceof Error) as Error[];
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0].name).toBe('ServiceUnavailableException');
    expect(refused[0].message).toBe('Slow down.');

    const text = await node.metrics.text();
    const throttled = Number(/^ThrottledRecords\{DeliveryStreamName="q"\} (\d+)$/m.exec(text)?.[1]);
    const incoming = Number(/^IncomingRecords\{DeliveryStreamName="q"\} (\d+)$/m.exec(text)?.[1]);
    const stored = results.length - refused.length;
    expect(throttled).toBe(out.FailedPutCount! + refused.length);
    expect(incoming).toBe(150 - out.FailedPutCount! + stored);

    // Tokens come back with time.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await client.send(new PutRecordCommand({ DeliveryStreamName: 'q', Record: { Data: Buffer.from('z') } }));
    expect(later.RecordId).toBeTruthy();
  });
});
