/**
 * A record as stored in a shard of the durable log and handed to delivery.
 * `position` is the per-shard counter (monotonic, starts at 0 for a new shard); the
 * Kinesis-style decimal sequence number is derived from it by `src/stream/sequence.ts`.
 */
export interface LogRecord {
  /** Per-shard position (a safe integer; increases by one per record). */
  position: number;
  /** Epoch milliseconds when the record was accepted. */
  arrivedAt: number;
  partitionKey: string;
  data: Buffer;
}

/** What a producer hands to the log for one record. */
export interface AppendEntry {
  partitionKey: string;
  data: Buffer;
}

/** The durable result of one appended record. */
export interface AppendResult {
  position: number;
  arrivedAt: number;
}

/** The durable result of one append call: positions first..first+count-1, one arrival time. */
export interface AppendedRange {
  first: number;
  count: number;
  arrivedAt: number;
}

/** A contiguous range of positions in one shard: [first, last] inclusive. */
export interface ShardRange {
  shardId: string;
  first: number;
  last: number;
}
