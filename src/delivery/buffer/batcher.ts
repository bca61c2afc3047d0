/**
 * One batching policy for every buffer in Hydrant: a batch is cut when it holds `maxBytes`
 * (measured before compression) or `maxRecords`, or when `intervalMs` has passed since its
 * first item arrived — whichever comes first. Records are never split.
 */
export interface BatchLimits {
  maxBytes: number;
  maxRecords?: number;
  /** 0 means "flush as soon as the producer has nothing more right now". */
  intervalMs: number;
}

export class Batcher<T> {
  private items: T[] = [];
  private bytes = 0;
  private openedAt = 0;

  constructor(public limits: BatchLimits, private readonly now: () => number = Date.now) {}

  /** Add one item; returns true when the batch is full and should be flushed now. */
  add(item: T, size: number): boolean {
    if (this.items.length === 0) this.openedAt = this.now();
    this.items.push(item);
    this.bytes += size;
    return this.isFull();
  }

  isFull(): boolean {
    return this.bytes >= this.limits.maxBytes || (this.limits.maxRecords !== undefined && this.items.length >= this.limits.maxRecords);
  }

  /** Would adding `size` more bytes overflow a non-empty batch? (Lets callers cut before, not after, a big record.) */
  wouldOverflow(size: number): boolean {
    return this.items.length > 0 && this.bytes + size > this.limits.maxBytes;
  }

  get length(): number {
    return this.items.length;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Milliseconds until the interval expires (Infinity when empty). */
  timeUntilFlush(): number {
    if (this.items.length === 0) return Infinity;
    return Math.max(0, this.openedAt + this.limits.intervalMs - this.now());
  }

  /** Take everything buffered. */
  flush(): { items: T[]; bytes: number; openedAt: number } {
    const out = { items: this.items, bytes: this.bytes, openedAt: this.openedAt };
    this.items = [];
    this.bytes = 0;
    return out;
  }
}
