/**
 * Where delivered objects go: a real S3 API (AWS, MinIO, any S3-compatible server) through the
 * AWS SDK, or a local directory. Both make exactly one attempt per call; the delivery driver owns
 * retries and backoff.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalObjectStore } from './local-store.js';
import { SdkObjectStore, resolveS3Endpoint, type SdkObjectStoreOptions } from './sdk-store.js';

export interface PutObjectInput {
  bucket: string;
  key: string;
  body: Buffer | Buffer[];
  contentType?: string;
  contentEncoding?: string;
  /** SSE-KMS key (EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN). */
  kmsKeyArn?: string;
  signal?: AbortSignal;
}

export interface ObjectStore {
  /** For the startup log, e.g. "S3 at http://127.0.0.1:9000 (path-style)" or "local directory /x/data/s3". */
  readonly description: string;
  /** One attempt; overwrites an existing key; throws S3DeliveryError on failure. */
  put(input: PutObjectInput): Promise<{ etag?: string }>;
  /**
   * Read an object as a stream (Redshift's COPY path reads staged objects back). One attempt;
   * throws S3DeliveryError (`S3.NoSuchKey` for a missing object).
   */
  get(bucket: string, key: string, signal?: AbortSignal): Promise<Readable>;
  /** Health check: resolves when the bucket is reachable and writable-looking; throws S3DeliveryError. */
  headBucket(bucket: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** `arn:aws:s3:::my-bucket` → `my-bucket` (any partition). Throws for anything else. */
export function bucketFromArn(arn: string): string {
  const m = /^arn:[a-z0-9-]+:s3:::([^/]+)$/.exec(arn);
  if (!m) throw new Error(`'${arn}' is not an S3 bucket ARN (expected arn:aws:s3:::<bucket>)`);
  return m[1];
}

export interface CreateObjectStoreOptions extends SdkObjectStoreOptions {
  /** Hydrant's data directory; the local store lives in `<dataDir>/s3`. */
  dataDir: string;
  /**
   * `auto` (default): the SDK store when an S3 endpoint is configured — `endpoint` here, or
   * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` in the environment — otherwise the local directory
   * store. `s3` always uses the SDK store (e.g. real AWS S3 with no endpoint override); `local`
   * always uses the directory store.
   */
  mode?: 'auto' | 's3' | 'local';
}

/** Picks the store by the rule documented on CreateObjectStoreOptions.mode. */
export function createObjectStore(opts: CreateObjectStoreOptions): ObjectStore {
  const mode = opts.mode ?? 'auto';
  const env = opts.env ?? process.env;
  const useSdk = mode === 's3' || (mode === 'auto' && resolveS3Endpoint(opts.endpoint, env) !== undefined);
  if (useSdk) return new SdkObjectStore(opts);
  return new LocalObjectStore({ root: join(opts.dataDir, 's3') });
}
