/** Bytes between two sparse index entries. */
export const INDEX_INTERVAL_BYTES = 256 * 1024;

/** Where to start scanning a segment for some position or time. */
export interface IndexPoint {
  position: number;
  offset: number;
}

/**
 * Sparse in-memory index of one segment: an entry (position, byte offset, arrival time) for the
 * first frame and then at least every `INDEX_INTERVAL_BYTES`.
 *
 * The index covers the segment from its start up to a *frontier*: every frame before
 * `frontierOffset` has been seen. The active segment's frontier is its end (entries are added as
 * frames are written); an older segment's index starts empty and is extended by any scan that
 * walks across the frontier (`observe`), so it is built lazily by the reads that need it.
 */
export class SparseIndex {
  private readonly positions: number[] = [];
  private readonly offsets: number[] = [];
  private readonly arrivals: number[] = [];
  /** The position of the first frame not yet seen (at `frontierOffset`). */
  frontierPosition: number;
  frontierOffset = 0;
  /** Arrival time of the last frame seen, or NaN if none. */
  lastArrivedAt = NaN;

  constructor(private readonly basePosition: number, private readonly interval = INDEX_INTERVAL_BYTES) {
    this.frontierPosition = basePosition;
  }

  get size(): number {
    return this.positions.length;
  }

  /** Arrival time of the segment's first frame, if it has been seen. */
  get firstArrivedAt(): number {
    return this.arrivals.length > 0 ? this.arrivals[0] : NaN;
  }

  /** Offset of the newest entry, or -1 if there is none. */
  get lastEntryOffset(): number {
    const n = this.offsets.length;
    return n > 0 ? this.offsets[n - 1] : -1;
  }

  /**
   * Appends frames written by this process: `entries` holds (position, offset, arrivedAt) triples
   * chosen by the writer (see `wantsEntry`), then the frontier moves to the new end.
   */
  extend(entries: readonly number[], frontierPosition: number, frontierOffset: number, lastArrivedAt: number): void {
    for (let i = 0; i < entries.length; i += 3) {
      this.positions.push(entries[i]);
      this.offsets.push(entries[i + 1]);
      this.arrivals.push(entries[i + 2]);
    }
    this.frontierPosition = frontierPosition;
    this.frontierOffset = frontierOffset;
    this.lastArrivedAt = lastArrivedAt;
  }

  /** Whether a frame at `offset` should get an entry, given the newest entry's offset (-1: none). */
  wantsEntry(offset: number, lastEntryOffset: number): boolean {
    return lastEntryOffset < 0 || offset - lastEntryOffset >= this.interval;
  }

  /** Records a frame; only frames at the frontier extend the index. */
  observe(position: number, offset: number, arrivedAt: number, frameLen: number): void {
    if (offset !== this.frontierOffset || position !== this.frontierPosition) return;
    if (this.wantsEntry(offset, this.lastEntryOffset)) {
      this.positions.push(position);
      this.offsets.push(offset);
      this.arrivals.push(arrivedAt);
    }
    this.frontierOffset = offset + frameLen;
    this.frontierPosition = position + 1;
    this.lastArrivedAt = arrivedAt;
  }

  /** The closest known frame boundary at or before `position`. */
  seek(position: number): IndexPoint {
    if (position >= this.frontierPosition) return { position: this.frontierPosition, offset: this.frontierOffset };
    const i = lastAtOrBelow(this.positions, position);
    return i < 0 ? { position: this.basePosition, offset: 0 } : { position: this.positions[i], offset: this.offsets[i] };
  }

  /**
   * The closest known frame boundary whose arrival time is before `epochMs` (arrival times never
   * decrease within a shard), or null if the first frame already arrived at or after it.
   */
  seekTime(epochMs: number): IndexPoint | null {
    const i = lastBelow(this.arrivals, epochMs);
    if (i < 0) return this.arrivals.length > 0 ? null : { position: this.frontierPosition, offset: this.frontierOffset };
    if (i === this.arrivals.length - 1 && this.lastArrivedAt < epochMs) {
      return { position: this.frontierPosition, offset: this.frontierOffset };
    }
    return { position: this.positions[i], offset: this.offsets[i] };
  }
}

/** Index of the last element <= x in ascending `a`, or -1. */
function lastAtOrBelow(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/** Index of the last element < x in non-decreasing `a`, or -1. */
function lastBelow(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}
