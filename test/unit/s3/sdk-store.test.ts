import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, contentEncodingFor } from '../../../sinks/s3/compress.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { SdkObjectStore } from '../../../sinks/s3/sdk-store.js';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../../helpers/s3-server.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SdkObjectStore against a real S3 server (fauxqs)', () => {
  let s3: S3TestServer;
  let store: SdkObjectStore;

  beforeAll(async () => {
    s3 = await startS3Server({ record: true });
    await s3.createBucket('deliveries');
    store = new SdkObjectStore({ endpoint: s3.endpoint, credentials: TEST_CREDENTIALS, env: {} });
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
  });

  it('describes itself as path-style at the endpoint', () => {
    expect(store.description).toBe(`S3 at ${s3.endpoint} (path-style, region us-east-1)`);
  });

  it('puts an object with Content-Type application/octet-stream, and overwrites the same key', async () => {
    const key = '2018/08/27/10/clicks-1-2018-08-27-10-30-05-c81ba8a5-d040-4398-a173-ff4569cdd24a';
    const first = await store.put({ bucket: 'deliveries', key, body: [Buffer.from('abc'), Buffer.from('abc'), Buffer.from('abc')] });
    expect(first.etag).toBeTruthy();
    const got = await s3.getObjectOutput('deliveries', key);
    expect(got.bytes.toString()).toBe('abcabcabc');
    expect(got.ContentType).toBe('application/octet-stream');
    // Path-style: the bucket is the first path segment, not a host name.
    const put = s3.requests.find((r) => r.method === 'PUT' && r.url.startsWith(`/deliveries/2018/08/27/10/clicks-1-`));
    expect(put).toBeDefined();

    await store.put({ bucket: 'deliveries', key, body: Buffer.from('replaced') });
    expect((await s3.getObject('deliveries', key)).toString()).toBe('replaced');
    expect(await s3.listKeys('deliveries', '2018/08/27/10/')).toEqual([key]);
  });

  it('uploads a 40 MiB body as multipart and it reads back byte-identical', async () => {
    const chunks = Array.from({ length: 40 }, () => randomBytes(MiB));
    const whole = Buffer.concat(chunks);
    const before = s3.requests.length;
    await store.put({ bucket: 'deliveries', key: 'big/object-from-chunks', body: chunks });
    const seen = s3.requests.slice(before);
    expect(seen.some((r) => r.method === 'POST' && r.url.includes('uploads'))).toBe(true); // CreateMultipartUpload
    expect(seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(5); // 40 MiB / 8 MiB parts
    expect(sha(await s3.getObject('deliveries', 'big/object-from-chunks'))).toBe(sha(whole));

    // A single 40 MiB Buffer takes the same route.
    await store.put({ bucket: 'deliveries', key: 'big/object-from-buffer', body: whole });
    expect(sha(await s3.getObject('deliveries', 'big/object-from-buffer'))).toBe(sha(whole));
  });

  it('writes GZIP objects that gunzip and carry Content-Encoding: gzip', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => Buffer.from(`{"n":${i}}\n`));
    const body = await compress('GZIP', records);
    const key = 'gz/clicks-1-2018-08-27-10-30-05-x.gz';
    const before = s3.requests.length;
    await store.put({ bucket: 'deliveries', key, body, contentEncoding: contentEncodingFor('GZIP') });
    const put = s3.requests.slice(before).find((r) => r.method === 'PUT');
    expect(put?.headers['content-encoding']).toBe('gzip');
    expect(put?.headers['content-type']).toBe('application/octet-stream');
    const stored = await s3.getObject('deliveries', key);
    expect(gunzipSync(stored).toString()).toBe(Buffer.concat(records).toString());
  });

  it('sends SSE-KMS headers when a KMS key is given', async () => {
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const before = s3.requests.length;
    await store.put({ bucket: 'deliveries', key: 'kms/obj', body: Buffer.from('secret'), kmsKeyArn: arn });
    const put = s3.requests.slice(before).find((r) => r.method === 'PUT');
    expect(put?.headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(put?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(arn);
  });

  it('a missing bucket is S3DeliveryError S3.NoSuchBucket (put and headBucket)', async () => {
    const err = await store.put({ bucket: 'no-such-bucket', key: 'k', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3DeliveryError);
    expect((err as S3DeliveryError).code).toBe('S3.NoSuchBucket');
    expect((err as S3DeliveryError).fault).toBe('client');
    expect((err as S3DeliveryError).retryable).toBe(true);

    const multipartErr = await store.put({ bucket: 'no-such-bucket', key: 'k', body: randomBytes(9 * MiB) }).catch((e: unknown) => e);
    expect((multipartErr as S3DeliveryError).code).toBe('S3.NoSuchBucket');

    await expect(store.headBucket('deliveries')).resolves.toBeUndefined();
    const headErr = await store.headBucket('no-such-bucket').catch((e: unknown) => e);
    expect((headErr as S3DeliveryError).code).toBe('S3.NoSuchBucket');
    expect((headErr as S3DeliveryError).message).toContain('no-such-bucket');
  });

  it('an unreachable endpoint is a retryable network error; an aborted put is not retryable', async () => {
    const dead = new SdkObjectStore({ endpoint: 'http://127.0.0.1:1', credentials: TEST_CREDENTIALS, env: {} });
    try {
      const err = await dead.put({ bucket: 'b', key: 'k', body: Buffer.from('x') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3DeliveryError);
      expect((err as S3DeliveryError).code).toBe('S3.NetworkError');
      expect((err as S3DeliveryError).retryable).toBe(true);
    } finally {
      dead.close();
    }
    const ac = new AbortController();
    ac.abort();
    const aborted = await store.put({ bucket: 'deliveries', key: 'k', body: Buffer.from('x'), signal: ac.signal }).catch((e: unknown) => e);
    expect((aborted as S3DeliveryError).code).toBe('Aborted');
    expect((aborted as S3DeliveryError).retryable).toBe(false);
  });

  it('reads endpoint and region from the environment and uses path-style then', () => {
    const s = new SdkObjectStore({ env: { AWS_ENDPOINT_URL_S3: 'http://minio:9000', AWS_REGION: 'eu-west-1' }, credentials: TEST_CREDENTIALS });
    expect(s.description).toBe('S3 at http://minio:9000 (path-style, region eu-west-1)');
    s.close();
    const aws = new SdkObjectStore({ env: {}, credentials: TEST_CREDENTIALS });
    expect(aws.description).toBe('Amazon S3 (region us-east-1)');
    aws.close();
  });
});
