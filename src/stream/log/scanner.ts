import { checkFrame, frameLength, lengthIsPlausible, type FrameFault } from './frame.js';
import type { LogIo } from './io.js';

/** What a visitor does with a valid frame. */
export const TAKE = 0;       // consumed; continue
export const TAKE_STOP = 1;  // consumed; stop after it
export const SKIP_STOP = 2;  // not consumed; stop before it
export type VisitResult = typeof TAKE | typeof TAKE_STOP | typeof SKIP_STOP;

/**
 * Called for each valid frame: `buf[off, off + len)` is the frame, `fileOffset` where it starts in
 * the file. The bytes are only valid during the call.
 */
export type FrameVisitor = (buf: Buffer, off: number, len: number, fileOffset: number, position: number) => VisitResult;

export interface ScanRange {
  /** Byte offset of a frame boundary to start at. */
  start: number;
  /** Byte offset to stop at (exclusive). */
  end: number;
  /** Position of the frame at `start`. */
  position: number;
  /** Stop before this position (exclusive), if set. */
  endPosition?: number;
}

export interface ScanResult {
  /** Offset after the last frame consumed (where the scan stopped). */
  offset: number;
  /** Position of the next frame (one past the last consumed). */
  position: number;
  /** `end` (reached range end), `visitor` (asked to stop) or `fault`. */
  stop: 'end' | 'visitor' | 'fault';
  fault?: FrameFault;
}

/**
 * Walks frames of a segment file with one reusable chunk buffer, validating length, CRC and the
 * position sequence; frames larger than the chunk get a buffer of their own.
 */
export async function scanFrames(io: LogIo, fd: number, range: ScanRange, chunk: Buffer, visit: FrameVisitor): Promise<ScanResult> {
  let fileOffset = range.start;
  let position = range.position;
  const endPosition = range.endPosition ?? Number.MAX_SAFE_INTEGER;
  const stopAt = (off: number, stop: ScanResult['stop'], fault?: FrameFault): ScanResult =>
    ({ offset: fileOffset + off, position, stop, fault });

  while (fileOffset < range.end && position < endPosition) {
    const want = Math.min(chunk.length, range.end - fileOffset);
    const got = await readFully(io, fd, chunk, want, fileOffset);
    if (got < 4) return stopAt(0, 'fault', 'truncated'); // the file ends where a frame should start
    let off = 0;
    while (position < endPosition && got - off >= 4) {
      const len = frameLength(chunk, off);
      if (!lengthIsPlausible(len)) return stopAt(off, 'fault', 'length');
      if (fileOffset + off + len > range.end) return stopAt(off, 'fault', 'truncated');
      if (off + len > got) {
        if (off > 0) break; // reload the chunk starting at this frame
        if (got < want) return stopAt(0, 'fault', 'truncated'); // the file ends inside this frame
        // A frame bigger than the whole chunk: give it a buffer of its own.
        const big = Buffer.allocUnsafe(len);
        if ((await readFully(io, fd, big, len, fileOffset)) < len) return stopAt(0, 'fault', 'truncated');
        const fault = checkFrame(big, 0, position);
        if (fault) return stopAt(0, 'fault', fault);
        const r = visit(big, 0, len, fileOffset, position);
        if (r === SKIP_STOP) return stopAt(0, 'visitor');
        position++;
        if (r === TAKE_STOP) return stopAt(len, 'visitor');
        off = len;
        break;
      }
      const fault = checkFrame(chunk, off, position);
      if (fault) return stopAt(off, 'fault', fault);
      const r = visit(chunk, off, len, fileOffset + off, position);
      if (r === SKIP_STOP) return stopAt(off, 'visitor');
      off += len;
      position++;
      if (r === TAKE_STOP) return stopAt(off, 'visitor');
    }
    fileOffset += off;
  }
  return stopAt(0, 'end');
}

/** Reads up to `length` bytes at `position`, looping over short reads; returns bytes read (less only at EOF). */
export async function readFully(io: LogIo, fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await io.read(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
