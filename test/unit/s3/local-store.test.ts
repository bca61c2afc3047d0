import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { keyToRelativePath, LocalObjectStore } from '../../../sinks/s3/local-store.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hydrant-local-s3-'));
    store = new LocalObjectStore({ root });
  });
  afterEach(async () => {
    store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes <root>/<bucket>/<key>, creating nested directories', async () => {
    const key = 'customer_id=42/year=2018/month=08/clicks-1-2018-08-27-10-30-05-abc.gz';
    await store.put({ bucket: 'my-bucket', key, body: [Buffer.from('ab'), Buffer.from('c')] });
    expect(await readFile(join(root, 'my-bucket', key), 'utf8')).toBe('abc');
    expect(store.description).toBe(`local directory ${root}`);
  });

  it('overwrites atomically and leaves no temp files', async () => {
    const key = 'a/b/obj';
    await store.put({ bucket: 'b1', key, body: Buffer.alloc(1024 * 1024, 1) });
    await store.put({ bucket: 'b1', key, body: Buffer.from('second') });
    expect(await readFile(join(root, 'b1', key), 'utf8')).toBe('second');
    expect(await listFiles(root)).toEqual(['b1/a/b/obj']);
  });

  it('concurrent puts to one key end with one complete body, never a mix', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024 + i, 65 + i));
    await Promise.all(bodies.map((body) => store.put({ bucket: 'b', key: 'same', body })));
    const final = await readFile(join(root, 'b', 'same'));
    expect(bodies.some((b) => b.equals(final))).toBe(true);
    expect(await listFiles(root)).toEqual(['b/same']);
  });

  it('writes many small chunks (more than one writev batch) in order', async () => {
    const chunks = Array.from({ length: 5000 }, (_, i) => Buffer.from(`${i},`));
    await store.put({ bucket: 'b', key: 'many', body: chunks });
    expect((await readFile(join(root, 'b', 'many'))).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('keeps keys inside the bucket: dot segments, empty segments and % are escaped', async () => {
    expect(keyToRelativePath('a/../b')).toBe(join('a', '%2E%2E', 'b'));
    expect(keyToRelativePath('./x')).toBe(join('%2E', 'x'));
    expect(keyToRelativePath('a//b/')).toBe(join('a', '%', 'b', '%'));
    expect(keyToRelativePath('100%/x')).toBe(join('100%25', 'x'));
    await store.put({ bucket: 'b', key: '../../escape', body: Buffer.from('x') });
    await store.put({ bucket: 'b', key: 'p=../q', body: Buffer.from('y') });
    expect(await listFiles(root)).toEqual(['b/%2E%2E/%2E%2E/escape', 'b/p=../q']);
  });

  it('rejects bad bucket names and empty keys with S3DeliveryError', async () => {
    const e1 = await store.put({ bucket: '..', key: 'k', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect((e1 as S3DeliveryError).code).toBe('S3.InvalidBucketName');
    const e2 = await store.put({ bucket: 'a/b', key: 'k', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect((e2 as S3DeliveryError).code).toBe('S3.InvalidBucketName');
    const e3 = await store.put({ bucket: 'b', key: '', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(S3DeliveryError);
  });

  it('headBucket creates the bucket directory by default', async () => {
    await store.headBucket('fresh');
    expect((await stat(join(root, 'fresh'))).isDirectory()).toBe(true);
  });

  it('with createBuckets: false a missing bucket is S3.NoSuchBucket', async () => {
    const strict = new LocalObjectStore({ root, createBuckets: false });
    const err = await strict.put({ bucket: 'missing', key: 'k', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3DeliveryError);
    expect((err as S3DeliveryError).code).toBe('S3.NoSuchBucket');
    await expect(strict.headBucket('missing')).rejects.toMatchObject({ code: 'S3.NoSuchBucket' });
    await store.headBucket('present');
    await expect(strict.headBucket('present')).resolves.toBeUndefined();
    await strict.put({ bucket: 'present', key: 'k', body: Buffer.from('x') });
    expect(await readFile(join(root, 'present', 'k'), 'utf8')).toBe('x');
  });

  it('a key that collides with an existing file as a directory fails with S3DeliveryError and no temp file', async () => {
    await store.put({ bucket: 'b', key: 'a', body: Buffer.from('file') });
    const err = await store.put({ bucket: 'b', key: 'a/b', body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3DeliveryError);
    expect(await listFiles(root)).toEqual(['b/a']);
  });

  it('an aborted put writes nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await store.put({ bucket: 'b', key: 'k', body: Buffer.from('x'), signal: ac.signal }).catch((e: unknown) => e);
    expect((err as S3DeliveryError).code).toBe('Aborted');
    expect(await listFiles(root)).toEqual([]);
  });
});
