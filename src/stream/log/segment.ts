import { join } from 'node:path';
import { SparseIndex } from './sparse-index.js';

export const SEGMENT_SUFFIX = '.seg';
const NAME_RE = /^(\d{20})\.seg$/;

/** `00000000000000000042.seg` for a segment whose first position is 42. */
export const segmentFileName = (basePosition: number): string => `${String(basePosition).padStart(20, '0')}${SEGMENT_SUFFIX}`;

/** The first position encoded in a segment file name, or null if it is not a segment file. */
export function parseSegmentFileName(name: string): number | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** One segment file of a shard log, as known in memory. */
export class Segment {
  readonly path: string;
  readonly index: SparseIndex;
  /** Bytes of committed (durable) frames; readers never look past this. */
  size: number;
  /** One past the last position held (the next segment's base, or the durable end for the active one). */
  endPosition: number;
  /** Byte offset of a corrupt frame found in this (sealed) segment; reads stop there. */
  corruptAt: number | null = null;
  /** Arrival time of the first record, once read (NaN while unknown). */
  firstArrivedAt = NaN;
  /** Set when retention removed the file. */
  deleted = false;

  constructor(dir: string, readonly base: number, size: number, endPosition: number) {
    this.path = join(dir, segmentFileName(base));
    this.index = new SparseIndex(base);
    this.size = size;
    this.endPosition = endPosition;
  }

  /** Byte offset readers stop at. */
  get readableEnd(): number {
    return this.corruptAt ?? this.size;
  }

  /** True once every frame has been seen by the index (always for the active segment). */
  get fullyIndexed(): boolean {
    return this.index.frontierOffset >= this.readableEnd || this.index.frontierPosition >= this.endPosition;
  }

  /** Arrival time of the newest record, if known without reading. */
  get lastArrivedAt(): number {
    return this.fullyIndexed ? this.index.lastArrivedAt : NaN;
  }
}
