/**
 * The active-partition limit of dynamic partitioning (reference §7.4): a partition is active
 * while it holds buffered or undelivered data; once its object is delivered it is no longer
 * active. A record that would open a partition beyond the limit (default 500, AWS's; up to 5,000
 * on request there, configurable here) is not buffered: it goes to the error prefix as
 * `activePartitionExceeded`, and the `PartitionCountExceeded` metric reads 1.
 */

/** AWS's default active-partition limit per delivery stream. */
export const DEFAULT_ACTIVE_PARTITION_LIMIT = 500;

export class ActivePartitions {
  /** Per active partition, how many holds (open buffer, batches in flight) keep it active. */
  private readonly holds = new Map<string, number>();
  private exceededSinceCheck = false;
  /** Records refused since start (for metrics and logs). */
  refused = 0;

  constructor(readonly limit: number = DEFAULT_ACTIVE_PARTITION_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`the active partition limit must be a positive integer, not ${limit}`);
  }

  /** Active partitions now (`PartitionCount`). */
  get count(): number {
    return this.holds.size;
  }

  isActive(partition: string): boolean {
    return this.holds.has(partition);
  }

  /**
   * Takes a hold on `partition` (opening it when it is not active). Returns false — and takes
   * nothing — when that would exceed the limit: the caller routes the record to
   * `activePartitionExceeded`.
   */
  acquire(partition: string): boolean {
    const n = this.holds.get(partition);
    if (n !== undefined) {
      this.holds.set(partition, n + 1);
      return true;
    }
    if (this.holds.size >= this.limit) {
      this.refused++;
      this.exceededSinceCheck = true;
      return false;
    }
    this.holds.set(partition, 1);
    return true;
  }

  /** Gives back one hold; the partition stops being active when none is left. */
  release(partition: string): void {
    const n = this.holds.get(partition);
    if (n === undefined) return;
    if (n <= 1) this.holds.delete(partition);
    else this.holds.set(partition, n - 1);
  }

  /** `PartitionCountExceeded` for the period since the last call: 1 if the limit refused a record. */
  takeExceeded(): 0 | 1 {
    const v = this.exceededSinceCheck ? 1 : 0;
    this.exceededSinceCheck = false;
    return v;
  }
}
