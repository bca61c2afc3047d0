/**
 * The sink contract: what every destination other than S3 implements, built-in (`sinks/<name>/`)
 * or written outside the project (a plugin module named in a delivery stream's configuration).
 *
 * A sink makes ONE attempt per `send` and says what happened to each record. It owns no retry
 * loops, timers or sleeps (protocol-level polling such as Splunk HEC indexer acks aside): the
 * delivery driver in `src/delivery/` retries retryable records with backoff and jitter within the
 * destination's retry duration, then hands whatever is left to the S3 backup in Firehose's
 * failed-record format. Pure types, no I/O.
 */

/** One record handed to a sink. */
export interface SinkRecord {
  /**
   * Stable for this record across every retry and every replay after a crash (derived from the
   * batch identity and the record's place in it): usable as a document id or idempotency key.
   */
  readonly recordId: string;
  /** The record's bytes after transformation (never base64: encode as the protocol needs). */
  readonly data: Buffer;
  /** Approximate arrival time at Hydrant, epoch milliseconds. */
  readonly arrivedAt: number;
  /** Dynamic-partitioning keys of the record, when the delivery stream partitions. */
  readonly partitionKeys?: Readonly<Record<string, string>>;
}

/** What one attempt did to one record. */
export type RecordOutcome =
  | { readonly status: 'delivered' }
  | {
    /** A failure worth trying again (throttling, 5xx, timeouts, connection errors). */
    readonly status: 'retryable';
    /** Firehose-style error code, e.g. `HttpEndpoint.DestinationException`, `Splunk.ServerBusy`, `429`. */
    readonly errorCode: string;
    readonly errorMessage: string;
    /** The destination asked for at least this long before the next attempt (Retry-After). */
    readonly retryAfterMs?: number;
  }
  | {
    /** A permanent failure (mapping error, 4xx, invalid event): straight to the backup, never retried. */
    readonly status: 'rejected';
    readonly errorCode: string;
    readonly errorMessage: string;
  };

export type FailedOutcome = Exclude<RecordOutcome, { status: 'delivered' }>;

/** One attempt's input. */
export interface SinkRequest {
  /**
   * The batch identity: the same on every retry of the same batch and after a crash replay
   * (HTTP endpoint request ids, for instance). A retry may carry fewer records than the first
   * attempt (only the ones still retryable).
   */
  readonly batchId: string;
  /** 1 on the first attempt of this batch. */
  readonly attempt: number;
  readonly records: readonly SinkRecord[];
  /** Aborted when the delivery stream stops or the attempt times out: give up the attempt at once. */
  readonly signal: AbortSignal;
}

/**
 * The outcome of one attempt: one per record of the request, in the request's order, or a
 * single outcome that applies to all of them (a whole-request failure, or all delivered).
 */
export type SinkResult = readonly RecordOutcome[] | RecordOutcome;

export interface Sink {
  /**
   * Make one attempt. A thrown error counts as a failure of every record of the request and is
   * turned into outcomes by `classify` (retryable when the sink has no `classify`).
   */
  send(request: SinkRequest): Promise<SinkResult>;
  /** Classify an error `send` threw (connection refused, timeout, ...). */
  classify?(err: unknown): FailedOutcome;
  /**
   * Fields this destination adds to a failed record's JSON in the S3 backup, besides Firehose's
   * common ones (attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp,
   * rawData): e.g. OpenSearch's `esDocumentId` and `esIndexName`, Splunk's `EventId`.
   */
  failedRecordFields?(record: SinkRecord): Record<string, unknown>;
  /** A real, harmless call showing the destination answers (HEC health, cluster info, ...). */
  healthcheck?(signal: AbortSignal): Promise<void>;
  /** Release connections and timers. */
  close?(): Promise<void>;
}

/** Outcome helpers for sink authors. */
export const delivered: RecordOutcome = Object.freeze({ status: 'delivered' });

export function retryable(errorCode: string, errorMessage: string, retryAfterMs?: number): FailedOutcome {
  return retryAfterMs === undefined ? { status: 'retryable', errorCode, errorMessage } : { status: 'retryable', errorCode, errorMessage, retryAfterMs };
}

export function rejected(errorCode: string, errorMessage: string): FailedOutcome {
  return { status: 'rejected', errorCode, errorMessage };
}
