import type { AppendEntry, AppendedRange, LogRecord } from '../../core/record.js';

/**
 * The most recent durable records of a shard, kept in memory (up to a byte budget) so a consumer
 * that keeps up with the writers reads them without a read syscall, a CRC pass or a copy. Holds
 * contiguous positions only; anything older, or any gap, is read from the segment files.
 */
export class TailCache {
  private records: LogRecord[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** First cached position (Infinity when empty). */
  get first(): number {
    return this.head < this.records.length ? this.records[this.head].position : Infinity;
  }

  private get end(): number {
    return this.head < this.records.length ? this.records[this.records.length - 1].position + 1 : -1;
  }

  /** Remember records that just became durable. A gap (e.g. a failed flush) restarts the cache. */
  add(entries: AppendEntry[], range: AppendedRange): void {
    if (this.maxBytes <= 0 || range.count === 0) return;
    const end = this.end;
    if (end !== -1 && range.first !== end) this.clear();
    for (let i = 0; i < range.count; i++) {
      const e = entries[i];
      this.records.push({ position: range.first + i, arrivedAt: range.arrivedAt, partitionKey: e.partitionKey, data: e.data });
      this.bytes += e.data.length + e.partitionKey.length;
    }
    while (this.bytes > this.maxBytes && this.head < this.records.length) {
      const r = this.records[this.head++];
      this.bytes -= r.data.length + r.partitionKey.length;
    }
    if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Records from `from` (same limits as ShardLog.read, below `durable`), or undefined when `from`
   * is not cached.
   */
  read(from: number, durable: number, maxRecords: number, maxBytes: number): LogRecord[] | undefined {
    const first = this.first;
    if (from < first || from >= this.end) return undefined;
    const out: LogRecord[] = [];
    let bytes = 0;
    for (let i = this.head + (from - first); i < this.records.length && out.length < maxRecords; i++) {
      const r = this.records[i];
      if (r.position >= durable) break;
      const size = r.data.length + r.partitionKey.length;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(r);
      bytes += size;
    }
    return out;
  }

  clear(): void {
    this.records = [];
    this.head = 0;
    this.bytes = 0;
  }
}
