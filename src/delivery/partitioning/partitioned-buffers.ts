/**
 * One buffer per partition (dynamic partitioning): each partition fills its own `Batcher` and is
 * cut when its own size or interval is reached. A buffer takes a hold on its partition in
 * `ActivePartitions` when it opens; the batch cut from it carries that hold, which the caller gives
 * back (`ActivePartitions.release`) once the batch's object is delivered. A record for a partition
 * that cannot be opened (the limit is reached) is refused: the caller sends it to
 * `activePartitionExceeded`.
 */
import { Batcher, type BatchLimits } from '../buffer/batcher.js';
import type { ActivePartitions } from './active-partitions.js';

export interface PartitionBatch<T, K> {
  partition: string;
  /** The partition's keys (for evaluating the Prefix). */
  keys: K;
  items: T[];
  bytes: number;
  openedAt: number;
}

export class PartitionedBuffers<T, K> {
  private readonly buffers = new Map<string, { batcher: Batcher<T>; keys: K }>();

  constructor(public limits: BatchLimits, private readonly active: ActivePartitions, private readonly now: () => number = Date.now) {}

  /** Partitions with buffered records. */
  get partitions(): string[] {
    return [...this.buffers.keys()];
  }

  /**
   * Adds a record to its partition's buffer. `overflow`: refused by the active-partition limit.
   * `full`: the buffer reached its size (cut it now). `wouldOverflow`: the record does not fit in
   * the open buffer — cut it first, then add again.
   */
  add(partition: string, keys: K, item: T, size: number): 'added' | 'full' | 'wouldOverflow' | 'overflow' {
    let buffer = this.buffers.get(partition);
    if (buffer && buffer.batcher.wouldOverflow(size)) return 'wouldOverflow';
    if (!buffer) {
      if (!this.active.acquire(partition)) return 'overflow';
      buffer = { batcher: new Batcher<T>(this.limits, this.now), keys };
      this.buffers.set(partition, buffer);
    }
    return buffer.batcher.add(item, size) ? 'full' : 'added';
  }

  /** Takes the partition's buffered records (the hold on the partition goes with them). */
  take(partition: string): PartitionBatch<T, K> | undefined {
    const buffer = this.buffers.get(partition);
    if (!buffer) return undefined;
    this.buffers.delete(partition);
    const { items, bytes, openedAt } = buffer.batcher.flush();
    return { partition, keys: buffer.keys, items, bytes, openedAt };
  }

  /** Partitions whose interval has passed. */
  due(): string[] {
    const out: string[] = [];
    for (const [partition, b] of this.buffers) if (b.batcher.timeUntilFlush() === 0) out.push(partition);
    return out;
  }

  /** The partition whose buffer holds the most bytes (undefined when nothing is buffered). */
  largest(): string | undefined {
    let best: string | undefined;
    let size = -1;
    for (const [partition, b] of this.buffers) {
      if (b.batcher.byteSize > size) {
        best = partition;
        size = b.batcher.byteSize;
      }
    }
    return best;
  }

  /** Milliseconds until the next partition is due (Infinity when nothing is buffered). */
  timeUntilNextDue(): number {
    let min = Infinity;
    for (const b of this.buffers.values()) min = Math.min(min, b.batcher.timeUntilFlush());
    return min;
  }
}
