import type { ShardRange } from '../../core/record.js';

/**
 * A delivery job: a batch's identity, never its bytes. Whichever node runs it re-reads the
 * ranges from the log, transforms, encodes and delivers them to the target journaled at cut
 * time, so any node can take over a dead node's jobs.
 */
export interface BatchJob {
  deliveryStream: string;
  /** The delivery stream's incarnation: a job of a deleted stream's earlier life is never run for a new one of that name. */
  incarnation: string;
  /** The batch identity (also the job id: submitting a batch twice makes one job). */
  batchId: string;
  ranges: ShardRange[];
}

/** What a handler learns about the run it is asked for. */
export interface JobRun {
  /** 1 on the first run; a job moved off a dead node or retried after a failure runs again with a higher number. */
  attempt: number;
  /** Aborted when this node stops serving the stream (the job is then run again, here or elsewhere). */
  signal: AbortSignal;
}

/** Runs one job on this node; resolves once the batch is delivered (or handed to the backup) durably. */
export type JobHandler = (job: BatchJob, run: JobRun) => Promise<void>;

/** A job submitted: `done` settles when some node has run it to the end (rejects if it failed for good). */
export interface SubmittedJob {
  done: Promise<void>;
}

/**
 * Where flushed batches are run. The embedded scheduler runs them in this process; the Redis one
 * (BullMQ) on any node serving the delivery stream, with attempts, backoff and stalled-job
 * recovery moving work off a node that died.
 */
export interface DeliveryScheduler {
  /** Store a job for the batch (idempotent by `batchId`); resolves once it is stored. */
  submit(job: BatchJob): Promise<SubmittedJob>;
  /** Run the jobs of a delivery stream on this node until the returned stop function is called. */
  serve(deliveryStream: string, handler: JobHandler): { stop(): Promise<void> };
  close(): Promise<void>;
}

/** A handler's failure that running again cannot fix: the job fails at once instead of using up its attempts. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
