import { Redis } from 'ioredis';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { backoffDelay, sleep } from '../../util/backoff.js';
import { PermanentJobError, type BatchJob, type DeliveryScheduler, type JobHandler, type SubmittedJob } from './scheduler.js';

export interface BullmqSchedulerOptions {
  /** `redis://…` of the deployment's Redis. */
  url: string;
  /** Makes each connection (default: ioredis on `url`); BullMQ needs `maxRetriesPerRequest: null` on them. */
  connect?: () => Redis;
  /** The deployment's key prefix: its queues live under `{<keyPrefix>:jobs}:…` (one hash slot, as BullMQ needs on Redis Cluster). */
  keyPrefix: string;
  /** Runs of one job before it fails for good (default 1,000: a delivery retries for as long as the records are kept). */
  attempts?: number;
  /** First backoff between runs, doubling with full jitter (default 1,000 ms)... */
  backoffMs?: number;
  /** ...up to this (default 60,000 ms): a job retried for hours still runs every minute. */
  maxBackoffMs?: number;
  /** A running job's lock: a node that stops renewing it for this long is taken as dead and its job runs elsewhere (default 30,000 ms). */
  lockDurationMs?: number;
  /** Jobs of one delivery stream run at once on this node (default 2, the pipeline's batches in flight). */
  concurrency?: number;
  /** How long a finished job is kept so a batch submitted again (a replay after a takeover) is not run twice (default 24 h). */
  keepFinishedSeconds?: number;
  /** How often a submitter looks whether its job has finished (default 100 ms). */
  pollMs?: number;
  /** How long stopping waits for running jobs to end after their signal aborted (default 5,000 ms). */
  stopGraceMs?: number;
}

/** Job ids are the batch ids, kept clear of BullMQ's rule that custom ids are not integers. */
const jobId = (batchId: string) => `batch-${batchId}`;
const queueName = (deliveryStream: string) => `delivery-${deliveryStream}`;
/** The workers' own backoff (exponential with full jitter, capped); BullMQ's `exponential` has no cap. */
const CAPPED_BACKOFF = 'hydrant-capped';

/**
 * Delivery jobs on BullMQ: one queue per delivery stream, a job per batch (its identity only),
 * run by a worker on any node serving the stream. BullMQ's attempts and backoff retry a failed
 * run; its lock and stalled-job check move the job of a node that died to another node; a
 * `PermanentJobError` fails the job at once (UnrecoverableError) instead of using up attempts.
 */
export class BullmqScheduler implements DeliveryScheduler {
  private readonly client: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly closing = new AbortController();
  private readonly workers = new Set<{ worker: Worker; stopping: AbortController; connection: Redis }>();
  private readonly prefix: string;

  constructor(private readonly opts: BullmqSchedulerOptions) {
    this.prefix = `{${opts.keyPrefix}:jobs}`;
    this.client = this.connection();
  }

  /** BullMQ's connections must not give up on commands (`maxRetriesPerRequest: null`). */
  private connection(): Redis {
    return this.opts.connect?.() ?? new Redis(this.opts.url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }

  private queue(deliveryStream: string): Queue {
    let q = this.queues.get(deliveryStream);
    if (!q) {
      q = new Queue(queueName(deliveryStream), { connection: this.client, prefix: this.prefix });
      this.queues.set(deliveryStream, q);
    }
    return q;
  }

  async submit(job: BatchJob): Promise<SubmittedJob> {
    const queue = this.queue(job.deliveryStream);
    const keep = this.opts.keepFinishedSeconds ?? 86_400;
    const added = await queue.add('batch', job, {
      jobId: jobId(job.batchId),
      attempts: this.opts.attempts ?? 1000,
      backoff: { type: CAPPED_BACKOFF },
      removeOnComplete: { age: keep },
      removeOnFail: { age: keep },
    });
    const done = this.finished(queue, added.id!);
    done.catch(() => undefined);
    return { done };
  }

  /**
   * Settles when the job has finished on whichever node ran it. Polled (one HGETALL per job and
   * interval) rather than waiting on queue events, which need a blocking connection per queue.
   * A job no longer there was finished and removed after `keepFinishedSeconds`.
   */
  private async finished(queue: Queue, id: string): Promise<void> {
    for (;;) {
      const job = await Job.fromId(queue, id);
      if (!job) return;
      const state = await job.getState();
      if (state === 'completed') return;
      if (state === 'failed') throw new Error(job.failedReason || `delivery job ${id} failed`);
      if (!(await sleep(this.opts.pollMs ?? 100, this.closing.signal))) throw new Error('the scheduler closed before the job finished');
    }
  }

  serve(deliveryStream: string, handler: JobHandler): { stop(): Promise<void> } {
    const stopping = new AbortController();
    const connection = this.connection();
    const worker = new Worker<BatchJob>(queueName(deliveryStream), async (job) => {
      try {
        await handler(job.data, { attempt: job.attemptsMade + 1, signal: stopping.signal });
      } catch (err) {
        if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
        throw err;
      }
    }, {
      connection,
      prefix: this.prefix,
      concurrency: this.opts.concurrency ?? 2,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: Math.max(1000, Math.floor((this.opts.lockDurationMs ?? 30_000) / 2)),
      // A job moved off dead nodes many times is still a job to deliver.
      maxStalledCount: 1000,
      settings: { backoffStrategy: (attemptsMade) => backoffDelay(Math.max(0, attemptsMade - 1), this.opts.backoffMs ?? 1000, this.opts.maxBackoffMs ?? 60_000) },
    });
    // Failures of a run are the handler's to report; BullMQ retries them.
    worker.on('error', () => undefined);
    const entry = { worker, stopping, connection };
    this.workers.add(entry);
    return {
      stop: async () => {
        if (this.workers.delete(entry)) await this.stopWorker(entry);
      },
    };
  }

  /**
   * Handlers are told to stop (their signal aborts) and given `stopGraceMs` to end their runs;
   * a run still going after that is left to BullMQ's stalled-job check, which hands it to
   * another node once its lock expires.
   */
  private async stopWorker(w: { worker: Worker; stopping: AbortController; connection: Redis }): Promise<void> {
    w.stopping.abort();
    const grace = new AbortController();
    const graceful = await Promise.race([
      w.worker.close().then(() => true),
      sleep(this.opts.stopGraceMs ?? 5000, grace.signal).then(() => false),
    ]);
    grace.abort();
    if (!graceful) await w.worker.close(true);
    w.connection.disconnect();
  }

  async close(): Promise<void> {
    for (const w of [...this.workers]) {
      this.workers.delete(w);
      await this.stopWorker(w);
    }
    this.closing.abort();
    for (const q of this.queues.values()) await q.close();
    this.queues.clear();
    this.client.disconnect();
  }
}
