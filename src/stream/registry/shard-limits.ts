import { TokenBucket } from '../../util/token-bucket.js';

/** Per-shard throughput limits (AWS: writes 1 MiB/s and 1,000 records/s; reads 5 calls/s and 2 MiB/s). */
export interface ShardLimits {
  writeBytesPerSecond: number;
  writeRecordsPerSecond: number;
  readCallsPerSecond: number;
  readBytesPerSecond: number;
}

export const AWS_SHARD_LIMITS: ShardLimits = {
  writeBytesPerSecond: 1024 * 1024,
  writeRecordsPerSecond: 1000,
  readCallsPerSecond: 5,
  readBytesPerSecond: 2 * 1024 * 1024,
};

/** Write usage of one shard since the last `takeUsage`: what on-demand scaling looks at. */
export interface ShardUsage {
  bytes: number;
  records: number;
  throttled: number;
  /** A few recent hash keys, to split a hot shard where its traffic is. */
  hashes: bigint[];
}

const HASH_SAMPLES = 64;

/** The buckets of one shard. Reads may overdraw the byte bucket once (AWS throttles the calls after a big read). */
export class ShardThrottle {
  private readonly writeBytes: TokenBucket;
  private readonly writeRecords: TokenBucket;
  private readonly readCalls: TokenBucket;
  private readonly readBytes: TokenBucket;
  private usage: ShardUsage = { bytes: 0, records: 0, throttled: 0, hashes: [] };

  constructor(private readonly limits: ShardLimits | false, now: () => number) {
    const l = limits || AWS_SHARD_LIMITS;
    this.writeBytes = new TokenBucket(l.writeBytesPerSecond, now);
    this.writeRecords = new TokenBucket(l.writeRecordsPerSecond, now);
    this.readCalls = new TokenBucket(l.readCallsPerSecond, now);
    this.readBytes = new TokenBucket(l.readBytesPerSecond, now);
  }

  /** Admit one record of `size` bytes (data + partition key) or refuse it. */
  admitWrite(size: number, hash: bigint): boolean {
    if (this.limits) {
      if (this.writeRecords.available() < 1 || this.writeBytes.available() < size) {
        this.usage.throttled++;
        return false;
      }
      this.writeRecords.take(1);
      this.writeBytes.take(size);
    }
    const u = this.usage;
    u.bytes += size;
    u.records++;
    if (u.hashes.length < HASH_SAMPLES) u.hashes.push(hash);
    else u.hashes[u.records % HASH_SAMPLES] = hash;
    return true;
  }

  /** A GetRecords call may start: under 5 calls/s and not in debt for bytes. */
  admitRead(): boolean {
    if (!this.limits) return true;
    if (this.readCalls.available() < 1 || this.readBytes.available() <= 0) return false;
    this.readCalls.take(1);
    return true;
  }

  /** Charge the bytes a read returned (may go negative: the next calls wait). */
  chargeRead(bytes: number): void {
    if (this.limits) this.readBytes.take(bytes);
  }

  takeUsage(): ShardUsage {
    const u = this.usage;
    this.usage = { bytes: 0, records: 0, throttled: 0, hashes: [] };
    return u;
  }
}
