import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand, DescribeDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;
const ROLE = 'arn:aws:iam::123456789012:role/firehose';

async function raw(endpoint: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; text: string; json?: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${endpoint}/`, { method: 'POST', body, headers });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

const AMZ = (op: string) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Firehose_20150804.${op}` });

async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('bad input gets AWS errors and stores nothing', () => {
  let node: Node;
  let client: FirehoseClient;
  const name = 'errors';

  beforeAll(async () => {
    node = await startTestHydrant({ createDelayMs: 0 });
    // The SDK retries 5xx; keep each case to one attempt.
    client = firehoseClient(node.endpoint, undefined, { maxAttempts: 1 });
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::b', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
    }));
  });

  afterAll(async () => {
    client?.destroy();
    await node?.stop();
  });

  const incoming = async () => {
    const text = await node.metrics.text();
    const m = new RegExp(`^IncomingRecords\\{DeliveryStreamName="${name}"\\} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  it('malformed JSON → SerializationException', async () => {
    const r = await raw(node.endpoint, '{"DeliveryStreamName": "errors", ', AMZ('PutRecord'));
    expect(r.status).toBe(400);
    expect(r.json?.__type).toBe('SerializationException');
  });

  it('wrong content type → AWS front-end answers', async () => {
    const r = await raw(node.endpoint, '{}', { 'content-type': 'text/plain', 'x-amz-target': 'Firehose_20150804.ListDeliveryStreams' });
    expect(r.status).toBe(404);
    expect(r.text).toContain('<UnknownOperationException/>');
    const r2 = await raw(node.endpoint, '{}', { 'content-type': 'text/plain' });
    expect(r2.status).toBe(403);
    expect(r2.text).toContain('Unable to determine service/operation name to be authorized');
  });

  it('missing or unknown target → UnknownOperationException', async () => {
    for (const headers of [{ 'content-type': 'application/x-amz-json-1.1' }, AMZ('PutRecords'), { ...AMZ('x'), 'x-amz-target': 'Nope_20150804.PutRecord' }]) {
      const r = await raw(node.endpoint, '{}', headers);
      expect(r.status).toBe(400);
      expect(r.json?.__type).toBe('UnknownOperationException');
    }
  });

  it('oversized record → ValidationException naming the member', async () => {
    const e = await sdkError(client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [{ Data: Buffer.alloc(10) }, { Data: Buffer.alloc(1_024_001) }] })));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe("1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' at 'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000");
  });

  it('more than 500 records → ValidationException', async () => {
    const e = await sdkError(client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') })) })));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain("at 'records' failed to satisfy constraint: Member must have length less than or equal to 500");
  });

  it('batch over 4 MiB → InvalidArgumentException', async () => {
    const e = await sdkError(client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(900_000) })) })));
    expect(e.name).toBe('InvalidArgumentException');
    expect(e.message).toBe('Records size exceeds 4 MB limit');
  });

  it('invalid base64 → SerializationException', async () => {
    const r = await raw(node.endpoint, JSON.stringify({ DeliveryStreamName: name, Record: { Data: 'abc' } }), AMZ('PutRecord'));
    expect(r.status).toBe(400);
    expect(r.json?.__type).toBe('SerializationException');
    expect(String(r.json?.Message)).toContain('Base64');
    const r2 = await raw(node.endpoint, JSON.stringify({ DeliveryStreamName: name, Records: [{ Data: 'aGk=' }, { Data: 'a-b_' }] }), AMZ('PutRecordBatch'));
    expect(r2.json?.__type).toBe('SerializationException');
  });

  it('unknown stream → ResourceNotFoundException', async () => {
    const e = await sdkError(client.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } })));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.message).toBe('Firehose nope under account 000000000000 not found.');
    const d = await sdkError(client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'nope' })));
    expect(d.name).toBe('ResourceNotFoundException');
  });

  it('bad stream name → ValidationException listing every violation', async () => {
    const e = await sdkError(client.send(new PutRecordCommand({ DeliveryStreamName: 'bad name!', Record: { Data: Buffer.from('x') } })));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain("Value 'bad name!' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  });

  it('none of the refused requests stored anything', async () => {
    expect(await incoming()).toBe(0);
    const live = node.deliveryStreams.definition(name);
    expect(live).toBeDefined();
    // And the stream's log is empty: the next record stored gets the first record id.
    const first = await client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: Buffer.from('ok') } }));
    expect(first.RecordId?.endsWith('0000000000000000')).toBe(true);
  });

  it('a stream still CREATING refuses records', async () => {
    const slow = await startTestHydrant({ createDelayMs: 60_000 });
    const c = firehoseClient(slow.endpoint);
    try {
      await c.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'slow', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::b' } }));
      const d = await c.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'slow' }));
      expect(d.DeliveryStreamDescription?.DeliveryStreamStatus).toBe('CREATING');
      const e = await sdkError(c.send(new PutRecordCommand({ DeliveryStreamName: 'slow', Record: { Data: Buffer.from('x') } })));
      expect(e.name).toBe('ResourceNotFoundException');
      expect(e.message).toContain('CREATING');
    } finally {
      c.destroy();
      await slow.stop();
    }
  });

  it('create with no destination or a duplicate name is refused', async () => {
    const e = await sdkError(client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'nodest' })));
    expect(e.name).toBe('InvalidArgumentException');
    expect(e.message).toBe('Exactly one destination configuration is supported for a Firehose');
    const dup = await sdkError(client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::b' } })));
    expect(dup.name).toBe('ResourceInUseException');
  });

  it('signature checks: wrong secret rejected, right one accepted', async () => {
    const secured = await startTestHydrant({ auth: { credentials: [{ accessKeyId: 'AKIDTEST', secretAccessKey: 'right' }] } });
    const good = firehoseClient(secured.endpoint, { accessKeyId: 'AKIDTEST', secretAccessKey: 'right' });
    const bad = firehoseClient(secured.endpoint, { accessKeyId: 'AKIDTEST', secretAccessKey: 'wrong' });
    const stranger = firehoseClient(secured.endpoint, { accessKeyId: 'AKIDOTHER', secretAccessKey: 'right' });
    try {
      await good.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'signed', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::b' } }));
      const ok = await good.send(new PutRecordCommand({ DeliveryStreamName: 'signed', Record: { Data: Buffer.from('hello') } }));
      expect(ok.RecordId).toBeTruthy();
      const e = await sdkError(bad.send(new PutRecordCommand({ DeliveryStreamName: 'signed', Record: { Data: Buffer.from('x') } })));
      expect(e.name).toBe('InvalidSignatureException');
      const u = await sdkError(stranger.send(new PutRecordCommand({ DeliveryStreamName: 'signed', Record: { Data: Buffer.from('x') } })));
      expect(u.name).toBe('UnrecognizedClientException');
      const unsigned = await raw(secured.endpoint, JSON.stringify({ DeliveryStreamName: 'signed', Record: { Data: 'eA==' } }), AMZ('PutRecord'));
      expect(unsigned.status).toBe(403);
      expect(unsigned.json?.__type).toBe('MissingAuthenticationTokenException');
      const text = await secured.metrics.text();
      expect(text).toMatch(/^IncomingRecords\{DeliveryStreamName="signed"\} 1$/m);
    } finally {
      good.destroy();
      bad.destroy();
      stranger.destroy();
      await secured.stop();
    }
  });

  it('ACTIVE streams answer Describe with defaults filled', async () => {
    const d = await waitFor(async () => (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription);
    expect(d.DeliveryStreamStatus).toBe('ACTIVE');
    expect(d.VersionId).toBe('1');
    const ext = d.Destinations?.[0].ExtendedS3DestinationDescription;
    expect(ext?.CompressionFormat).toBe('UNCOMPRESSED');
    expect(ext?.EncryptionConfiguration).toEqual({ NoEncryptionConfig: 'NoEncryption' });
    expect(d.Destinations?.[0].DestinationId).toBe('destinationId-000000000001');
  });
});
