import type { AppendEntry } from '../../core/record.js';
import { crc32c } from './crc.js';
import { takeBuffer } from './encode-pool.js';

/**
 * On-disk record frame (all integers little-endian):
 *
 * ```
 *  0  u32  frameLen   total bytes of this frame, including this field
 *  4  u32  crc32c     of bytes [8, frameLen)
 *  8  u32  posHi      position / 2^32
 * 12  u32  posLo      position % 2^32
 * 16  f64  arrivedAt  epoch milliseconds
 * 24  u16  pkLen      bytes of the UTF-8 partition key
 * 26  ...  partition key (pkLen bytes), then data (the rest of the frame)
 * ```
 */
export const HEADER_BYTES = 26;
/** Upper bound on one frame; anything larger read from disk is treated as corruption. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
export const MAX_PARTITION_KEY_BYTES = 0xffff;

const OFF_CRC = 4;
const OFF_POS_HI = 8;
const OFF_POS_LO = 12;
const OFF_ARRIVED = 16;
const OFF_PK_LEN = 24;
const TWO_32 = 0x1_0000_0000;

/**
 * Encodes every entry into one freshly allocated buffer of consecutive frames, positions
 * `firstPosition`, `firstPosition + 1`, ... all with the same arrival time. Large buffers come
 * from the encode pool: hand them back with `giveBuffer` once written.
 */
export function encodeBatch(entries: readonly AppendEntry[], firstPosition: number, arrivedAt: number): Buffer {
  const n = entries.length;
  const pkBytes = new Array<number>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const pk = Buffer.byteLength(e.partitionKey, 'utf8');
    if (pk > MAX_PARTITION_KEY_BYTES) throw new RangeError(`partition key of entry ${i} is ${pk} bytes; the log stores at most ${MAX_PARTITION_KEY_BYTES}`);
    const len = HEADER_BYTES + pk + e.data.length;
    if (len > MAX_FRAME_BYTES) throw new RangeError(`entry ${i} needs a ${len}-byte frame; the log stores at most ${MAX_FRAME_BYTES}`);
    pkBytes[i] = pk;
    total += len;
  }
  const buf = takeBuffer(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const pk = pkBytes[i];
    const len = HEADER_BYTES + pk + e.data.length;
    const pos = firstPosition + i;
    buf.writeUInt32LE(len, off);
    buf.writeUInt32LE(Math.floor(pos / TWO_32), off + OFF_POS_HI);
    buf.writeUInt32LE(pos % TWO_32, off + OFF_POS_LO);
    buf.writeDoubleLE(arrivedAt, off + OFF_ARRIVED);
    buf.writeUInt16LE(pk, off + OFF_PK_LEN);
    writeKey(buf, e.partitionKey, off + HEADER_BYTES, pk);
    buf.set(e.data, off + HEADER_BYTES + pk);
    buf.writeUInt32LE(crc32c(buf, off + OFF_POS_HI, off + len), off + OFF_CRC);
    off += len;
  }
  return buf;
}

/** Writes the key's UTF-8 bytes; short ASCII keys (the usual case) by hand, faster than buf.write. */
function writeKey(buf: Buffer, key: string, at: number, bytes: number): void {
  if (bytes === key.length && bytes <= 64) {
    for (let j = 0; j < bytes; j++) buf[at + j] = key.charCodeAt(j); // byte length = char length: ASCII
  } else if (bytes > 0) {
    buf.write(key, at, bytes, 'utf8');
  }
}

export const frameLength = (buf: Buffer, off: number): number => buf.readUInt32LE(off);
export const framePosition = (buf: Buffer, off: number): number =>
  buf.readUInt32LE(off + OFF_POS_HI) * TWO_32 + buf.readUInt32LE(off + OFF_POS_LO);
export const frameArrivedAt = (buf: Buffer, off: number): number => buf.readDoubleLE(off + OFF_ARRIVED);
export const framePartitionKeyBytes = (buf: Buffer, off: number): number => buf.readUInt16LE(off + OFF_PK_LEN);

/** Why a frame is not acceptable. */
export type FrameFault = 'length' | 'truncated' | 'crc' | 'position';

/**
 * Checks the whole frame at `off` in `buf` (its length already checked with `lengthIsPlausible`
 * and loaded): key length within the frame, CRC, and the position the sequence expects.
 */
export function checkFrame(buf: Buffer, off: number, expectedPosition: number): FrameFault | null {
  const len = buf.readUInt32LE(off);
  if (HEADER_BYTES + buf.readUInt16LE(off + OFF_PK_LEN) > len) return 'length';
  if (crc32c(buf, off + OFF_POS_HI, off + len) !== buf.readUInt32LE(off + OFF_CRC)) return 'crc';
  if (framePosition(buf, off) !== expectedPosition) return 'position';
  return null;
}

/** A length field outside [HEADER_BYTES, MAX_FRAME_BYTES] cannot be a frame. */
export const lengthIsPlausible = (len: number): boolean => len >= HEADER_BYTES && len <= MAX_FRAME_BYTES;
