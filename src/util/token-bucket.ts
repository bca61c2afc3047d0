/**
 * A token bucket refilled continuously at `ratePerSecond`, holding at most one second's worth.
 * Used for Firehose Direct PUT quotas and Kinesis per-shard throughput limits.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = ratePerSecond;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  take(n: number): void {
    this.tokens -= n;
  }
}
