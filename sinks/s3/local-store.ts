/**
 * ObjectStore that writes `<root>/<bucket>/<key>` on the local file system — Hydrant's default
 * destination when no S3 endpoint is configured. Each put is atomic and durable: the body goes to
 * a temp file in the target directory, is fsynced, renamed over the final name, and the directory
 * is fsynced (plus any directories the put created), so readers see the old or the new object,
 * never a partial one, and an acknowledged object survives a crash.
 *
 * Keys map to paths segment by segment (split on '/'); segments that the file system cannot
 * represent safely are escaped: '%' → '%25', '.' → '%2E', '..' → '%2E%2E', '' (from '//' or a
 * trailing '/') → '%'. So keys containing partition-key values such as '../x' can never escape
 * the bucket directory. Content-Type/Content-Encoding are not stored (the extension says enough).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { S3DeliveryError } from './errors.js';
import type { ObjectStore, PutObjectInput } from './object-store.js';
import { toS3DeliveryError } from './retry.js';
import { fsyncDir } from '../../src/util/atomic-file.js';
import { unwrittenTail } from '../../src/util/iovec.js';

export interface LocalObjectStoreOptions {
  root: string;
  /** Create a bucket's directory on first use (default true). When false a missing bucket is S3.NoSuchBucket. */
  createBuckets?: boolean;
}

const TEMP_PREFIX = '.hydrant-tmp-';
const MAX_IOV = 1024;

function encodeSegment(s: string): string {
  if (s === '') return '%';
  if (s === '.') return '%2E';
  if (s === '..') return '%2E%2E';
  return s.replaceAll('%', '%25');
}

/** The path of an object relative to the bucket directory (exported for tools and tests). */
export function keyToRelativePath(key: string): string {
  return key.split('/').map(encodeSegment).join(sep);
}

function invalid(code: string, message: string): S3DeliveryError {
  return new S3DeliveryError({ code, retryable: true, throttling: false, fault: 'client', message });
}

/** `mkdir -p` that also fsyncs the parent of every directory it created, so the new entries survive a crash. */
async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return;
  const top = dirname(first);
  for (let d = dirname(dir); ; d = dirname(d)) {
    await fsyncDir(d);
    if (d === top || d === dirname(d)) break;
  }
}

async function writeAll(h: Awaited<ReturnType<typeof open>>, chunks: Buffer[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += MAX_IOV) {
    let group = chunks.slice(i, i + MAX_IOV);
    let expected = group.reduce((n, b) => n + b.length, 0);
    while (expected > 0) {
      const { bytesWritten } = await h.writev(group);
      if (bytesWritten === expected) break;
      group = unwrittenTail(group, bytesWritten);
      expected -= bytesWritten;
    }
  }
}

export class LocalObjectStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;
  private readonly createBuckets: boolean;

  constructor(opts: LocalObjectStoreOptions) {
    this.root = opts.root;
    this.createBuckets = opts.createBuckets ?? true;
    this.description = `local directory ${opts.root}`;
  }

  /** Absolute path of `<root>/<bucket>/<key>` after escaping (see the module comment). */
  pathFor(bucket: string, key: string): string {
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(bucket) || bucket === '.' || bucket === '..') {
      throw invalid('S3.InvalidBucketName', `The specified bucket is not valid: ${bucket}`);
    }
    if (key.length === 0 || Buffer.byteLength(key) > 1024) {
      throw invalid('S3.KeyTooLongError', `Object keys must be 1 to 1024 bytes long (got ${Buffer.byteLength(key)})`);
    }
    const path = join(this.root, bucket, keyToRelativePath(key));
    const rel = relative(join(this.root, bucket), path);
    if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) throw invalid('S3.InvalidArgument', `Key '${key}' does not map to a path inside the bucket`);
    return path;
  }

  private async ensureBucket(bucket: string): Promise<string> {
    const dir = join(this.root, bucket);
    if (this.createBuckets) {
      await mkdirDurable(dir);
      return dir;
    }
    const s = await stat(dir).catch(() => undefined);
    if (!s?.isDirectory()) {
      throw new S3DeliveryError({ code: 'S3.NoSuchBucket', retryable: true, throttling: false, fault: 'client', httpStatus: 404,
        message: `The specified bucket does not exist: ${bucket}` });
    }
    return dir;
  }

  async put(input: PutObjectInput): Promise<{ etag?: string }> {
    let tmp: string | undefined;
    try {
      if (input.signal?.aborted) throw input.signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
      const path = this.pathFor(input.bucket, input.key);
      await this.ensureBucket(input.bucket);
      const dir = dirname(path);
      await mkdirDurable(dir);
      tmp = join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
      const h = await open(tmp, 'wx', 0o644);
      try {
        await writeAll(h, Buffer.isBuffer(input.body) ? [input.body] : input.body);
        await h.sync();
      } finally {
        await h.close();
      }
      if (input.signal?.aborted) throw input.signal.reason;
      await rename(tmp, path);
      tmp = undefined;
      await fsyncDir(dir);
      return {};
    } catch (err) {
      if (tmp) await unlink(tmp).catch(() => undefined);
      throw toS3DeliveryError(err);
    }
  }

  async get(bucket: string, key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      if (signal?.aborted) throw signal.reason;
      const h = await open(this.pathFor(bucket, key), 'r');
      return h.createReadStream({ signal });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new S3DeliveryError({ code: 'S3.NoSuchKey', retryable: true, throttling: false, fault: 'client', httpStatus: 404,
          message: `The specified key does not exist: s3://${bucket}/${key}` });
      }
      throw toS3DeliveryError(err);
    }
  }

  async headBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    try {
      if (signal?.aborted) throw signal.reason;
      this.pathFor(bucket, 'x');
      await this.ensureBucket(bucket);
    } catch (err) {
      throw toS3DeliveryError(err);
    }
  }

  close(): void {
    // Nothing held open between calls.
  }
}
