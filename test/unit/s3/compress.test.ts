import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress, gzipChunks, UnsupportedCompressionError } from '../../../sinks/s3/compress.js';

function records(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ i, user: `u${i % 97}`, v: Math.sin(i) }) + '\n'));
}

describe('compress', () => {
  it('UNCOMPRESSED passes the chunks through unchanged', async () => {
    const chunks = records(3);
    expect(await compress('UNCOMPRESSED', chunks)).toBe(chunks);
    expect(await compress(undefined, chunks)).toBe(chunks);
  });

  it('GZIP produces one gzip stream of the concatenated chunks', async () => {
    const chunks = [...records(50_000), Buffer.alloc(3 * 1024 * 1024, 7), Buffer.alloc(0), ...records(10)];
    const out = await compress('GZIP', chunks);
    const gz = Buffer.concat(out);
    expect(gz[0]).toBe(0x1f);
    expect(gz[1]).toBe(0x8b);
    expect(gunzipSync(gz).equals(Buffer.concat(chunks))).toBe(true);
    expect(gz.length).toBeLessThan(Buffer.concat(chunks).length / 4);
  });

  it('GZIP of nothing is a valid empty gzip stream', async () => {
    const gz = Buffer.concat(await gzipChunks([]));
    expect(gunzipSync(gz).length).toBe(0);
  });

  it('level 1 is accepted and still round-trips', async () => {
    const chunks = records(1000);
    const out = Buffer.concat(await compress('GZIP', chunks, { level: 1 }));
    expect(gunzipSync(out).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('an unknown format throws UnsupportedCompressionError', async () => {
    await expect(compress('LZ4' as never, records(1))).rejects.toBeInstanceOf(UnsupportedCompressionError);
  });
});
