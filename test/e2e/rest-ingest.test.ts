/**
 * Plain REST ingest, curl-style: raw HTTP requests (node:http, no SDK) with NDJSON, JSON arrays
 * and gzip bodies, checked in S3 against the same records put through the AWS SDK.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, kinesisClient, startTestHydrant, TEST_CREDENTIALS, waitFor } from '../helpers/hydrant.js';
import { post } from '../helpers/raw-http.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;
type S3 = Awaited<ReturnType<typeof startS3Server>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';

async function objectsOf(s3: S3, bucket: string, prefix: string): Promise<string> {
  const keys = await s3.listKeys(bucket, prefix);
  const bodies = await Promise.all(keys.map((k) => s3.getObject(bucket, k)));
  return bodies.map(String).join('');
}

describe('REST ingest', () => {
  let s3: S3;
  let node: Node;
  let firehose: FirehoseClient;
  let kinesis: KinesisClient;
  const events = Array.from({ length: 40 }, (_, i) => ({ user: `u${i % 4}`, n: i, text: `event ${i} ✓` }));
  const ndjson = events.map((e) => JSON.stringify(e)).join('\n') + '\n';

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('rest');
    node = await startTestHydrant({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' }, kinesis: { createDelayMs: 0 } });
    firehose = firehoseClient(node.endpoint);
    kinesis = kinesisClient(node.endpoint, { http1: true });
    for (const name of ['via-rest', 'via-gzip', 'via-array', 'via-sdk']) {
      await firehose.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::rest', Prefix: `${name}/`, ErrorOutputPrefix: `${name}-errors/`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      }));
    }
  });
  afterAll(async () => {
    firehose?.destroy();
    kinesis?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  it('NDJSON, gzip NDJSON and a JSON array land in S3 exactly like SDK puts of the same lines', async () => {
    const plain = await post(node.endpoint, '/v1/deliverystreams/via-rest/records', ndjson, { 'content-type': 'application/x-ndjson' });
    expect(plain.status).toBe(200);
    expect(plain.json).toMatchObject({ FailedPutCount: 0, Encrypted: false });
    expect((plain.json.RequestResponses as { RecordId: string }[]).every((r) => typeof r.RecordId === 'string')).toBe(true);
    expect(plain.json.RequestResponses).toHaveLength(40);

    const gz = await post(node.endpoint, '/v1/deliverystreams/via-gzip/records', gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    const arr = await post(node.endpoint, '/v1/deliverystreams/via-array/records', JSON.stringify(events), { 'content-type': 'application/json' });
    expect(arr.status).toBe(200);
    const sdk = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'via-sdk', Records: events.map((e) => ({ Data: Buffer.from(`${JSON.stringify(e)}\n`) })) }));
    expect(sdk.FailedPutCount).toBe(0);

    const expected = await waitFor(async () => {
      const body = await objectsOf(s3, 'rest', 'via-sdk/');
      return body.length === ndjson.length ? body : undefined;
    });
    expect(expected).toBe(ndjson);
    for (const name of ['via-rest', 'via-gzip', 'via-array']) {
      const body = await waitFor(async () => {
        const b = await objectsOf(s3, 'rest', `${name}/`);
        return b.length >= expected.length ? b : undefined;
      });
      expect(body).toBe(expected);
    }
  });

  it('a malformed line rejects the whole request naming the line, and stores nothing', async () => {
    await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'malformed',
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::rest', Prefix: 'malformed/', ErrorOutputPrefix: 'malformed-errors/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
    }));
    const bad = '{"ok":1}\n{"ok":2}\n\n{"broken": \n{"ok":4}\n';
    for (const [body, headers] of [[bad, {}], [gzipSync(bad), { 'content-encoding': 'gzip' }]] as const) {
      const res = await post(node.endpoint, '/v1/deliverystreams/malformed/records', body, { 'content-type': 'application/x-ndjson', ...headers });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidArgumentException');
      expect(res.json.message).toMatch(/^Line 4 is not valid JSON/);
      expect(res.headers['x-amzn-errortype']).toBe('InvalidArgumentException');
    }
    // The next accepted record is the first record of the stream's log: nothing of the refused requests was stored.
    const ok = await post(node.endpoint, '/v1/deliverystreams/malformed/records', '{"after":true}\n');
    expect(ok.status).toBe(200);
    const body = await waitFor(async () => (await objectsOf(s3, 'rest', 'malformed/')) || undefined);
    expect(body).toBe('{"after":true}\n');
  });

  it.each([
    ['an empty body', '', {}, 400, 'InvalidArgumentException', /no records/],
    ['a corrupt gzip body', 'not gzip', { 'content-encoding': 'gzip' }, 400, 'InvalidArgumentException', /not valid gzip/],
    ['an unknown encoding', 'x', { 'content-encoding': 'br' }, 400, 'InvalidArgumentException', /Content-Encoding br is not supported/],
    ['501 records', Array.from({ length: 501 }, () => '{}').join('\n'), {}, 400, 'ValidationException', /less than or equal to 500/],
    ['more than 4 MiB', Array.from({ length: 5 }, () => JSON.stringify({ pad: 'x'.repeat(1_000_000) })).join('\n'), {}, 400, 'InvalidArgumentException', /Records size exceeds 4 MB limit/],
    ['a record over 1,024,000 bytes', JSON.stringify({ pad: 'x'.repeat(1_100_000) }), {}, 400, 'ValidationException', /less than or equal to 1024000/],
  ])('refuses %s with an AWS error', async (_label, body, headers, status, type, message) => {
    const res = await post(node.endpoint, '/v1/deliverystreams/via-rest/records', body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.json.__type).toBe(type);
    expect(String(res.json.message)).toMatch(message);
  });

  it('an unknown delivery stream is ResourceNotFoundException', async () => {
    const res = await post(node.endpoint, '/v1/deliverystreams/nope/records', '{}\n');
    expect([res.status, res.json.__type]).toEqual([400, 'ResourceNotFoundException']);
  });

  it('streams: partition keys from a field or a header route records like PutRecords', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'rest-stream', ShardCount: 2 }));
    await waitFor(async () => (await kinesis.send(new ListShardsCommand({ StreamName: 'rest-stream' }))).Shards?.length === 2);
    const byField = await post(node.endpoint, '/v1/streams/rest-stream/records?partitionKeyField=user', ndjson, { 'content-type': 'application/x-ndjson' });
    expect(byField.status).toBe(200);
    const results = byField.json.Records as { ShardId: string; SequenceNumber: string }[];
    expect(byField.json.FailedRecordCount).toBe(0);
    expect(results).toHaveLength(40);
    // Same user, same shard.
    const shardOf = new Map<string, string>();
    events.forEach((e, i) => {
      if (shardOf.has(e.user)) expect(results[i].ShardId).toBe(shardOf.get(e.user));
      shardOf.set(e.user, results[i].ShardId);
    });
    const byHeader = await post(node.endpoint, '/v1/streams/rest-stream/records', gzipSync('{"a":1}\n{"a":2}\n'), { 'x-hydrant-partition-key': 'one-key', 'content-encoding': 'gzip' });
    const hr = byHeader.json.Records as { ShardId: string }[];
    expect(hr[0].ShardId).toBe(hr[1].ShardId);
    // Read back through the Kinesis API: the records are the lines.
    const it0 = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'rest-stream', ShardId: hr[0].ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator }));
    const texts = (got.Records ?? []).map((r) => Buffer.from(r.Data!).toString());
    expect(texts.slice(-2)).toEqual(['{"a":1}\n', '{"a":2}\n']);
    expect(got.Records!.at(-1)!.PartitionKey).toBe('one-key');
  });

  it('streams: a record without the key field is refused naming its line; unknown streams are ResourceNotFoundException', async () => {
    const res = await post(node.endpoint, '/v1/streams/rest-stream/records?partitionKeyField=user.id', '{"user":{"id":"a"}}\n{"user":{}}\n');
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/^Line 2 has no string or number field user.id/);
    const missing = await post(node.endpoint, '/v1/streams/nope/records', '{}\n');
    expect(missing.json.__type).toBe('ResourceNotFoundException');
  });
});

const curlPath = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((p) => existsSync(p));

/** Run curl (asynchronously: the server answering it runs in this process) and parse its JSON answer. */
function curl(args: string[], input?: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = execFile(curlPath!, ['-s', '--max-time', '30', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' }, (err, out) => {
      if (err) return reject(err);
      const cut = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(cut + 1)), json: JSON.parse(out.slice(0, cut)) as Record<string, unknown> });
    });
    child.stdin!.end(input);
  });
}

describe.skipIf(!curlPath)('REST ingest with the curl command line', () => {
  let node: Node;
  let s3: S3;
  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('curl');
    node = await startTestHydrant({ auth: { credentials: [TEST_CREDENTIALS] }, s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' } });
    const fh = firehoseClient(node.endpoint);
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'curled', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::curl', Prefix: 'c/', ErrorOutputPrefix: 'e/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } } }));
    fh.destroy();
  });
  afterAll(async () => {
    await node?.stop();
    await s3?.stop();
  });

  it('gzip NDJSON signed with curl --aws-sigv4 lands in S3; an unsigned one is refused', async () => {
    const url = `${node.endpoint}/v1/deliverystreams/curled/records`;
    const body = gzipSync('{"from":"curl","n":1}\n{"from":"curl","n":2}\n');
    const sign = ['--aws-sigv4', 'aws:amz:us-east-1:firehose', '--user', `${TEST_CREDENTIALS.accessKeyId}:${TEST_CREDENTIALS.secretAccessKey}`];
    const headers = ['-H', 'content-type: application/x-ndjson', '-H', 'content-encoding: gzip', '--data-binary', '@-'];
    const ok = await curl([...sign, ...headers, url], body);
    expect(ok.status).toBe(200);
    expect(ok.json.FailedPutCount).toBe(0);
    const refused = await curl([...headers, url], body);
    expect(refused.status).toBe(403);
    await waitFor(async () => {
      const keys = await s3.listKeys('curl', 'c/');
      const text = (await Promise.all(keys.map((k) => s3.getObject('curl', k)))).map(String).join('');
      return text === '{"from":"curl","n":1}\n{"from":"curl","n":2}\n';
    });
  });
});

describe('REST ingest with SigV4 configured', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startTestHydrant({ auth: { credentials: [TEST_CREDENTIALS] } });
    const fh = firehoseClient(node.endpoint);
    await fh.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'signed', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::local' } }));
    fh.destroy();
  });
  afterAll(() => node?.stop());

  it('refuses unsigned requests and accepts ones signed like curl --aws-sigv4', async () => {
    const body = '{"signed":true}\n';
    const unsigned = await post(node.endpoint, '/v1/deliverystreams/signed/records', body);
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(String(unsigned.json.__type)).toMatch(/MissingAuthenticationToken|IncompleteSignature|UnrecognizedClient|InvalidSignature/);
    const url = new URL('/v1/deliverystreams/signed/records', node.endpoint);
    const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: 'us-east-1', service: 'firehose', sha256: Sha256 });
    const signed = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host, 'content-type': 'application/x-ndjson' }, body }));
    const ok = await post(node.endpoint, url.pathname, body, signed.headers as Record<string, string>);
    expect(ok.status).toBe(200);
    expect(ok.json.FailedPutCount).toBe(0);
  });
});
