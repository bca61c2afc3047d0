import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

/**
 * Self-delimiting test records: Firehose concatenates records without separators, so each
 * record carries its own length and id: `u32 length | u32 id | payload` (payload is binary).
 */
export function makeRecord(id: number, payloadBytes: number): Buffer {
  const payload = randomBytes(payloadBytes);
  const b = Buffer.allocUnsafe(8 + payloadBytes);
  b.writeUInt32BE(8 + payloadBytes, 0);
  b.writeUInt32BE(id, 4);
  payload.copy(b, 8);
  return b;
}

/** Split an object's body back into records; throws if the object is truncated or corrupt. */
export function parseRecords(body: Buffer): { id: number; data: Buffer }[] {
  const out: { id: number; data: Buffer }[] = [];
  let off = 0;
  while (off < body.length) {
    if (off + 8 > body.length) throw new Error(`truncated record header at ${off}`);
    const len = body.readUInt32BE(off);
    if (len < 8 || off + len > body.length) throw new Error(`bad record length ${len} at ${off} of ${body.length}`);
    out.push({ id: body.readUInt32BE(off + 4), data: body.subarray(off, off + len) });
    off += len;
  }
  return out;
}

export function maybeGunzip(key: string, body: Buffer): Buffer {
  return key.endsWith('.gz') ? gunzipSync(body) : body;
}

/** A spread of sizes: mostly small, some KiB-sized, a few large (up to ~200 KiB). */
export function mixedSize(i: number): number {
  if (i % 997 === 0) return 200_000;
  if (i % 101 === 0) return 20_000 + (i % 7) * 1000;
  if (i % 10 === 0) return 1024 + (i % 13) * 50;
  return 16 + (i % 200);
}
