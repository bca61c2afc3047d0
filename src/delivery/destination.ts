import type { LogRecord, ShardRange } from '../core/record.js';
import type { BatchLimits } from './buffer/batcher.js';

/** A batch ready to send: a destination-specific body plus the counts metrics need. */
export interface EncodedBatch {
  body: unknown;
  records: number;
  /** Record bytes before encoding. */
  bytes: number;
}

/**
 * A record read from a Kinesis data stream source: where it was stored, and its place in its KPL
 * aggregate (0 for a plain record). Transforms build the Lambda event's `kinesisRecordMetadata` from it.
 */
export type KinesisSourcedRecord = LogRecord & { kinesisSource?: { shardId: string; subsequenceNumber: number } };

/**
 * What `encode` may be told besides the records. When a transform ran first (see
 * `TransformingDestination`), `records` are its output and `transformed` says where each came
 * from: the original records (for source backups and error documents, which carry the
 * untransformed bytes) and the partition keys the transform gave each record.
 */
export interface EncodeOptions {
  /** Aborted when the pipeline stops: long work (a Lambda invocation) gives up. */
  signal?: AbortSignal;
  transformed?: {
    /** The batch as read from the log, before any processor ran. */
    sources: readonly LogRecord[];
    /** Per output record, the index in `sources` of the record it came from. */
    origin: readonly number[];
    /** Per output record, its partition keys (dynamic partitioning), when the transform gave any. */
    partitionKeys: readonly ({ query?: Record<string, string>; lambda?: Record<string, string> } | undefined)[];
  };
}

/** A batch as cut from the log: contiguous per shard, identified by what it contains. */
export interface CutBatch {
  id: string;
  ranges: ShardRange[];
  records: LogRecord[];
  /** Arrival time of the oldest record (drives S3 prefixes and names, as in Firehose). */
  oldestArrival: number;
  bytes: number;
}

/**
 * Returned by `deliver` when some of the batch went to a buffered S3 backup: the batch's
 * checkpoint waits for `durable` (the backup object is written), while the pipeline already
 * goes on with other batches.
 */
export interface DeliveryReceipt {
  durable: Promise<void>;
}

/**
 * What the delivery pipeline needs from a destination. `plan` fixes everything that makes a
 * delivery reproducible (bucket, key, compression, ...) when a batch is cut; it is stored in
 * the checkpoint journal so a replay after a crash writes to exactly the same place.
 *
 * `deliver` brings the batch as far as the destination's rules allow. A throw means "try the
 * whole batch again later": the pipeline retries it with backoff until the records leave the
 * retention period (Firehose's rule for S3, whose destination makes one attempt per call, and
 * for Redshift's staging in S3). Destinations behind the delivery driver (`DestinationSink`,
 * Redshift's COPY) retry within `RetryOptions` themselves and resolve once every record is
 * delivered or handed to the S3 backup.
 */
export interface Destination {
  readonly kind: string;
  limits(): BatchLimits;
  plan(batch: CutBatch): Record<string, unknown>;
  /**
   * Turn a batch's records into what is sent (framed, compressed), once per batch: retries reuse
   * it, and the per-record objects can be released while the batch is in flight.
   */
  encode(target: Record<string, unknown>, records: LogRecord[], opts?: EncodeOptions): Promise<EncodedBatch>;
  deliver(target: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void | DeliveryReceipt>;
  /** Write buffered backups now and wait for them (the pipeline drains on SIGTERM). */
  flush?(): Promise<void>;
  /**
   * Arrival time of the oldest record the destination holds in buffers of its own after `deliver`
   * returned (dynamic partitioning's partition buffers), Infinity when none: counted in DataFreshness.
   */
  oldestBuffered?(): number;
  /** Called once per failed attempt, for logs and metrics; returns a short error code. */
  describeFailure(err: unknown): { code: string; message: string; retryable: boolean };
  close(): Promise<void>;
}
