import { describe, expect, it } from 'vitest';
import { bucketFromArn, createObjectStore } from '../../../sinks/s3/object-store.js';
import { LocalObjectStore } from '../../../sinks/s3/local-store.js';
import { SdkObjectStore } from '../../../sinks/s3/sdk-store.js';

const creds = { accessKeyId: 'a', secretAccessKey: 'b' };

describe('bucketFromArn', () => {
  it.each([
    ['arn:aws:s3:::my-bucket', 'my-bucket'],
    ['arn:aws-cn:s3:::bucket.with.dots', 'bucket.with.dots'],
    ['arn:aws-us-gov:s3:::b-1', 'b-1'],
  ])('%s → %s', (arn, bucket) => expect(bucketFromArn(arn)).toBe(bucket));
  it.each([['my-bucket'], ['arn:aws:s3:::'], ['arn:aws:s3:::b/prefix'], ['arn:aws:sqs:us-east-1:1:q']])('rejects %s', (arn) => {
    expect(() => bucketFromArn(arn)).toThrow('not an S3 bucket ARN');
  });
});

describe('createObjectStore', () => {
  it('uses the local directory store when no endpoint is configured', () => {
    const s = createObjectStore({ dataDir: '/x/data', env: {} });
    expect(s).toBeInstanceOf(LocalObjectStore);
    expect(s.description).toBe('local directory /x/data/s3');
  });
  it('uses the SDK store when an endpoint option or env variable is set', () => {
    const a = createObjectStore({ dataDir: '/d', endpoint: 'http://127.0.0.1:9000', env: {}, credentials: creds });
    expect(a).toBeInstanceOf(SdkObjectStore);
    expect(a.description).toContain('http://127.0.0.1:9000 (path-style');
    a.close();
    const b = createObjectStore({ dataDir: '/d', env: { AWS_ENDPOINT_URL_S3: 'http://minio:9000' }, credentials: creds });
    expect(b.description).toContain('http://minio:9000');
    b.close();
    const c = createObjectStore({ dataDir: '/d', env: { AWS_ENDPOINT_URL: 'http://localstack:4566' }, credentials: creds });
    expect(c.description).toContain('http://localstack:4566');
    c.close();
  });
  it('mode overrides the rule', () => {
    const s3 = createObjectStore({ dataDir: '/d', mode: 's3', env: {}, credentials: creds });
    expect(s3.description).toBe('Amazon S3 (region us-east-1)');
    s3.close();
    expect(createObjectStore({ dataDir: '/d', mode: 'local', endpoint: 'http://x:1', env: {} })).toBeInstanceOf(LocalObjectStore);
  });
});
