/**
 * Snappy's framing format (the `Snappy` CompressionFormat; github.com/google/snappy
 * framing_format.txt): a stream identifier chunk, then one chunk per 64 KiB of input — compressed
 * (type 0x00) or, when compression does not pay, stored (type 0x01) — each with the masked
 * CRC-32C of its uncompressed bytes. Decoders: python-snappy `-t framing`, snzip, snappy-java's
 * SnappyFramedInputStream. Synchronous: runs in the codec worker.
 */
import { crc32c } from '@node-rs/crc32';
import { compressSync } from 'snappy';

const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
/** Most uncompressed bytes per chunk (the format's limit). */
export const FRAME_BYTES = 65536;
const COMPRESSED = 0x00;
const UNCOMPRESSED = 0x01;

/** CRC-32C masked as the framing format requires (rotate right 15, add a constant). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function chunkHeader(type: number, length: number, crc: number): Buffer {
  const h = Buffer.allocUnsafe(8);
  h[0] = type;
  h.writeUIntLE(length, 1, 3);
  h.writeUInt32LE(crc, 4);
  return h;
}

/** The framed Snappy stream of `data`, as a list of buffers. */
export function snappyFrame(data: Buffer): Buffer[] {
  const out: Buffer[] = [STREAM_IDENTIFIER];
  for (let at = 0; at < data.length; at += FRAME_BYTES) {
    const chunk = data.subarray(at, Math.min(at + FRAME_BYTES, data.length));
    const crc = maskedCrc32c(chunk);
    const compressed = compressSync(chunk);
    if (compressed.length < chunk.length) out.push(chunkHeader(COMPRESSED, compressed.length + 4, crc), compressed);
    else out.push(chunkHeader(UNCOMPRESSED, chunk.length + 4, crc), chunk);
  }
  return out;
}
