/**
 * The receiving side of the Firehose HTTP endpoint spec: `POST /v1/firehose/{deliveryStream}`
 * spoken to with raw requests exactly as AWS Firehose sends them, and by Hydrant's own HTTP
 * endpoint sink (one Hydrant delivering to another), landing in the second Hydrant's S3.
 */
import { gzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpEndpointSink, requestIdFor } from '../../sinks/http-endpoint/index.js';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';
import { post } from '../helpers/raw-http.js';
import { jsonRecords, perRecord, sinkRequest } from '../helpers/sink.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;
type S3 = Awaited<ReturnType<typeof startS3Server>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const SOURCE = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/upstream';
const KEY = 'receiver-access-key';

function delivery(requestId: string, records: Buffer[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ requestId, timestamp: Date.now(), records: records.map((r) => ({ data: r.toString('base64') })), ...extra });
}

function specHeaders(requestId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-amz-firehose-protocol-version': '1.0',
    'x-amz-firehose-request-id': requestId,
    'x-amz-firehose-source-arn': SOURCE,
    'x-amz-firehose-access-key': KEY,
    ...extra,
  };
}

describe('receiving Firehose HTTP endpoint deliveries', () => {
  let s3: S3;
  let node: Node;
  let client: FirehoseClient;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('received');
    node = await startTestHydrant({
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      firehoseHttp: { accessKeys: [KEY], streams: { private: ['only-this-key'] } },
    });
    client = firehoseClient(node.endpoint);
    for (const name of ['inbox', 'chained', 'private']) {
      await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::received', Prefix: `${name}/`, ErrorOutputPrefix: `${name}-errors/`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      }));
    }
  });
  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  const bodyOf = async (prefix: string) => (await Promise.all((await s3.listKeys('received', prefix)).map((k) => s3.getObject('received', k)))).map(String).sort().join('');

  it('accepts a spec delivery (plain and gzip), echoes the requestId, and the records land in S3', async () => {
    const id1 = 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f';
    const res = await post(node.endpoint, '/v1/firehose/inbox', delivery(id1, [Buffer.from('hello\n'), Buffer.from('hello world\n')]), specHeaders(id1));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json.requestId).toBe(id1);
    expect(typeof res.json.timestamp).toBe('number');
    expect(Object.keys(res.json).sort()).toEqual(['requestId', 'timestamp']);
    const id2 = '0b5b0e6e-2d2f-4d7e-9a47-1bb5c6a3c2d1';
    const gz = await post(node.endpoint, '/v1/firehose/inbox', gzipSync(delivery(id2, [Buffer.from('zipped\n')])), specHeaders(id2, { 'content-encoding': 'gzip' }));
    expect([gz.status, gz.json.requestId]).toEqual([200, id2]);
    const body = await waitFor(async () => {
      const b = await bodyOf('inbox/');
      return b.split('\n').length === 4 ? b : undefined;
    });
    expect(body.split('\n').filter(Boolean).sort()).toEqual(['hello', 'hello world', 'zipped']);
  });

  it.each([
    ['a missing access key', (id: string) => specHeaders(id, { 'x-amz-firehose-access-key': '' }), 401, /Access-Key/],
    ['a wrong access key', (id: string) => specHeaders(id, { 'x-amz-firehose-access-key': 'nope' }), 401, /Access-Key/],
    ['no protocol version', (id: string) => { const h = specHeaders(id); delete h['x-amz-firehose-protocol-version']; return h; }, 400, /Protocol-Version/],
  ])('refuses %s with the spec error body', async (_label, headers, status, message) => {
    const id = '11111111-1111-4111-8111-111111111111';
    const res = await post(node.endpoint, '/v1/firehose/inbox', delivery(id, [Buffer.from('x')]), headers(id));
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ requestId: id, timestamp: expect.any(Number), errorMessage: expect.stringMatching(message) });
  });

  it.each([
    ['a body requestId that differs from the header', () => delivery('other', [Buffer.from('x')]), 400, /differs/],
    ['no records', (id: string) => JSON.stringify({ requestId: id, timestamp: 1, records: [] }), 400, /records must be/],
    ['data that is not base64', (id: string) => JSON.stringify({ requestId: id, timestamp: 1, records: [{ data: 'not base64!' }] }), 400, /base64/],
    ['a body that is not JSON', () => '{"requestId":', 400, /not JSON/],
  ])('refuses %s', async (_label, body, status, message) => {
    const id = '22222222-2222-4222-8222-222222222222';
    const res = await post(node.endpoint, '/v1/firehose/inbox', body(id), specHeaders(id));
    expect([res.status, res.json.requestId]).toEqual([status, id]);
    expect(res.json.errorMessage).toMatch(message);
  });

  it('an unknown delivery stream is 404; per-stream keys replace the node-wide ones', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    const missing = await post(node.endpoint, '/v1/firehose/nope', delivery(id, [Buffer.from('x')]), specHeaders(id));
    expect(missing.status).toBe(404);
    const wrong = await post(node.endpoint, '/v1/firehose/private', delivery(id, [Buffer.from('x')]), specHeaders(id));
    expect(wrong.status).toBe(401);
    const right = await post(node.endpoint, '/v1/firehose/private', delivery(id, [Buffer.from('x')]), specHeaders(id, { 'x-amz-firehose-access-key': 'only-this-key' }));
    expect(right.status).toBe(200);
  });

  it("Hydrant's HTTP endpoint sink delivers to this route (Hydrant → Hydrant) with gzip and the access key", async () => {
    const sink = createHttpEndpointSink({
      EndpointConfiguration: { Url: `${node.endpoint}/v1/firehose/chained`, AccessKey: KEY, Name: 'downstream hydrant' },
      RequestConfiguration: { ContentEncoding: 'GZIP' },
      S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup' },
    }, { deliveryStreamName: 'upstream', deliveryStreamArn: SOURCE });
    try {
      const records = jsonRecords(300).map((r) => ({ ...r, data: Buffer.concat([r.data, Buffer.from('\n')]) }));
      const out = perRecord(await sink.send(sinkRequest(records, { batchId: 'upstream/shard-0/0-299' })), 300);
      expect(out.every((o) => o.status === 'delivered')).toBe(true);
      const body = await waitFor(async () => {
        const b = await bodyOf('chained/');
        return b.split('\n').filter(Boolean).length === 300 ? b : undefined;
      });
      expect(body.split('\n').filter(Boolean).sort()).toEqual(records.map((r) => r.data.toString().trimEnd()).sort());
      expect(requestIdFor('upstream/shard-0/0-299')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await sink.close!();
    }
  });
});
