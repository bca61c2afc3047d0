/**
 * ObjectStore over `@aws-sdk/client-s3`: AWS S3, MinIO or any S3-compatible server.
 * Bodies up to `multipartThresholdBytes` go in one PutObject; larger ones stream through a
 * multipart upload (`@aws-sdk/lib-storage`), so a large object is never retried whole by the SDK
 * and parts upload concurrently.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client, type PutObjectCommandInput, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { OBJECT_CONTENT_TYPE } from './compression-format.js';
import { S3DeliveryError } from './errors.js';
import type { ObjectStore, PutObjectInput } from './object-store.js';
import { toS3DeliveryError } from './retry.js';

const MiB = 1024 * 1024;

export interface SdkObjectStoreOptions {
  /** S3 endpoint URL; default `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, else AWS. */
  endpoint?: string;
  /** Default `AWS_REGION`, then `AWS_DEFAULT_REGION`, else `us-east-1`. */
  region?: string;
  /** Path-style URLs (`http://host/bucket/key`). Default: true when an endpoint is set (MinIO), else false. */
  forcePathStyle?: boolean;
  /** Default: the SDK's default credential chain (env, shared config/SSO, web identity, ECS/EC2 metadata). */
  credentials?: S3ClientConfig['credentials'];
  /** SDK attempts per call. Default 1: see the comment in the constructor. */
  maxAttempts?: number;
  /** Bodies larger than this use multipart upload. Default 8 MiB (the AWS CLI's threshold; also keeps every request under
   *  the 11 MiB body limit of small S3 emulators such as fauxqs). */
  multipartThresholdBytes?: number;
  /** Multipart part size, at least 5 MiB (S3's minimum). Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded concurrently per object. Default 4. */
  queueSize?: number;
  /** Environment to read settings from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The configured S3 endpoint, if any (option, then `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`). */
export function resolveS3Endpoint(endpoint: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

function totalLength(body: Buffer | Buffer[]): number {
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const b of body) n += b.length;
  return n;
}

export class SdkObjectStore implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: SdkObjectStoreOptions = {}) {
    const env = opts.env ?? process.env;
    const endpoint = resolveS3Endpoint(opts.endpoint, env);
    const region = opts.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
    const forcePathStyle = opts.forcePathStyle ?? endpoint !== undefined;
    this.client = new S3Client({
      region,
      endpoint,
      forcePathStyle,
      credentials: opts.credentials,
      // One attempt per call on purpose: the delivery driver owns retries (with backoff, a retry
      // budget and the stream's retention limit). SDK retries on top would multiply attempts.
      maxAttempts: opts.maxAttempts ?? 1,
      // connectionTimeout: TCP/TLS connect; requestTimeout: socket inactivity during a request.
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    });
    this.multipartThreshold = opts.multipartThresholdBytes ?? 8 * MiB;
    this.partSize = Math.max(5 * MiB, opts.partSizeBytes ?? 8 * MiB);
    this.queueSize = opts.queueSize ?? 4;
    this.description = endpoint
      ? `S3 at ${endpoint} (${forcePathStyle ? 'path-style' : 'virtual-hosted-style'}, region ${region})`
      : `Amazon S3 (region ${region})`;
  }

  async put(input: PutObjectInput): Promise<{ etag?: string }> {
    if (input.signal?.aborted) throw toS3DeliveryError(input.signal.reason ?? abortError());
    const size = totalLength(input.body);
    const params: PutObjectCommandInput = {
      Bucket: input.bucket,
      Key: input.key,
      ContentType: input.contentType ?? OBJECT_CONTENT_TYPE,
      ...(input.contentEncoding ? { ContentEncoding: input.contentEncoding } : {}),
      ...(input.kmsKeyArn ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: input.kmsKeyArn } : {}),
    };
    try {
      if (size <= this.multipartThreshold) {
        const body = Buffer.isBuffer(input.body) ? input.body : Buffer.concat(input.body, size);
        const out = await this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: size }), { abortSignal: input.signal });
        return { etag: out.ETag };
      }
      return await this.multipart(params, input.body, input.signal);
    } catch (err) {
      throw toS3DeliveryError(err);
    }
  }

  private async multipart(params: PutObjectCommandInput, body: Buffer | Buffer[], signal?: AbortSignal): Promise<{ etag?: string }> {
    const upload = new Upload({
      client: this.client,
      // A single Buffer is sliced without copying; a list streams and is cut into parts.
      params: { ...params, Body: Buffer.isBuffer(body) ? body : Readable.from(body, { objectMode: false }) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false, // abort the multipart upload on failure so no orphan parts stay billed
    });
    const onAbort = () => { void upload.abort(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const out = await upload.done();
      return { etag: out.ETag };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(bucket: string, key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      // In Node the SDK's streaming body is an IncomingMessage (a Readable).
      return out.Body as Readable;
    } catch (err) {
      const e = toS3DeliveryError(err);
      if ((err as { name?: string }).name === 'NoSuchKey' || e.code === 'S3.NoSuchBucket' && (err as { name?: string }).name !== 'NoSuchBucket') {
        throw new S3DeliveryError({ code: 'S3.NoSuchKey', retryable: true, throttling: false, fault: 'client', httpStatus: 404,
          message: `The specified key does not exist: s3://${bucket}/${key}` }, err);
      }
      throw e;
    }
  }

  async headBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
    } catch (err) {
      const e = toS3DeliveryError(err);
      // HEAD responses have no body, so a 404 arrives as "NotFound": name the bucket.
      if (e.code === 'S3.NoSuchBucket') {
        throw new S3DeliveryError({ code: e.code, retryable: e.retryable, throttling: e.throttling, fault: e.fault,
          httpStatus: e.httpStatus, message: `The specified bucket does not exist: ${bucket}` }, err);
      }
      throw e;
    }
  }

  close(): void {
    this.client.destroy();
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
