import { TokenBucket } from '../../util/token-bucket.js';

/** Firehose Direct PUT quotas for one stream; any member left out is not limited. */
export interface DirectPutLimits {
  recordsPerSecond?: number;
  requestsPerSecond?: number;
  bytesPerSecond?: number;
}

/**
 * Applies the three Direct PUT quotas together, as AWS does: a request over the request rate is
 * refused whole; otherwise records are admitted in order while records and bytes last, and the
 * rest fail individually ("Slow down.").
 */
export class DirectPutLimiter {
  private readonly records?: TokenBucket;
  private readonly requests?: TokenBucket;
  private readonly bytes?: TokenBucket;

  constructor(limits: DirectPutLimits, now: () => number = Date.now) {
    if (limits.recordsPerSecond) this.records = new TokenBucket(limits.recordsPerSecond, now);
    if (limits.requestsPerSecond) this.requests = new TokenBucket(limits.requestsPerSecond, now);
    if (limits.bytesPerSecond) this.bytes = new TokenBucket(limits.bytesPerSecond, now);
  }

  /** How many of these records (a prefix) may be stored now; -1 when the request itself is over the limit. */
  admit(sizes: readonly Buffer[]): number {
    if (this.requests) {
      if (this.requests.available() < 1) return -1;
      this.requests.take(1);
    }
    let n = sizes.length;
    if (this.records) n = Math.min(n, Math.floor(this.records.available()));
    if (this.bytes) {
      let budget = this.bytes.available();
      let k = 0;
      while (k < n && budget >= sizes[k].length) budget -= sizes[k++].length;
      n = k;
    }
    if (n > 0) {
      this.records?.take(n);
      if (this.bytes) {
        let used = 0;
        for (let i = 0; i < n; i++) used += sizes[i].length;
        this.bytes.take(used);
      }
    }
    return n;
  }
}
