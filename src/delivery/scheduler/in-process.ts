import { backoffDelay, sleep } from '../../util/backoff.js';
import { PermanentJobError, type BatchJob, type DeliveryScheduler, type JobHandler, type SubmittedJob } from './scheduler.js';

export interface InProcessSchedulerOptions {
  /** Runs of one job before it fails for good (default 25). */
  attempts?: number;
  /** Backoff between runs: `backoffDelay(attempt)` scaled to this base (default 1,000 ms, capped at 60 s). */
  backoffMs?: number;
  /** Finished batches remembered so submitting one again does not run it twice (default the last 100,000). */
  rememberFinished?: number;
}

interface Entry {
  job: BatchJob;
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
  attempts: number;
  running: boolean;
}

/**
 * The embedded backend's scheduler: jobs run in this process, one run at a time per job, again
 * after a failure (with backoff) up to `attempts` runs. A job submitted while no handler serves
 * its stream waits for one; a job whose handler stopped under it waits for the next.
 */
export class InProcessScheduler implements DeliveryScheduler {
  private readonly jobs = new Map<string, Entry>();
  /** Batch ids of finished jobs, oldest first, with how they ended. */
  private readonly finished = new Map<string, Promise<void>>();
  private readonly handlers = new Map<string, { handler: JobHandler; stopping: AbortController }>();
  private closed = false;

  constructor(private readonly opts: InProcessSchedulerOptions = {}) {}

  async submit(job: BatchJob): Promise<SubmittedJob> {
    if (this.closed) throw new Error('the scheduler is closed');
    const known = this.jobs.get(job.batchId) ?? this.finished.get(job.batchId);
    if (known) return { done: known instanceof Promise ? known : known.done };
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined);
    const entry: Entry = { job, done, resolve, reject, attempts: 0, running: false };
    this.jobs.set(job.batchId, entry);
    this.kick(entry);
    return { done };
  }

  serve(deliveryStream: string, handler: JobHandler): { stop(): Promise<void> } {
    const served = { handler, stopping: new AbortController() };
    this.handlers.set(deliveryStream, served);
    for (const entry of this.jobs.values()) if (entry.job.deliveryStream === deliveryStream) this.kick(entry);
    return {
      stop: async () => {
        served.stopping.abort();
        if (this.handlers.get(deliveryStream) === served) this.handlers.delete(deliveryStream);
      },
    };
  }

  /** Run the job if its stream is served and it is not running already. */
  private kick(entry: Entry): void {
    const served = this.handlers.get(entry.job.deliveryStream);
    if (!served || entry.running || this.closed) return;
    entry.running = true;
    void this.run(entry, served);
  }

  private async run(entry: Entry, served: { handler: JobHandler; stopping: AbortController }): Promise<void> {
    const signal = served.stopping.signal;
    const max = this.opts.attempts ?? 25;
    for (;;) {
      entry.attempts++;
      try {
        await served.handler(entry.job, { attempt: entry.attempts, signal });
        entry.resolve();
        this.finish(entry);
        return;
      } catch (err) {
        if (signal.aborted) {
          // Stopped under the job: it waits for the next handler of its stream.
          entry.running = false;
          this.kick(entry);
          return;
        }
        if (err instanceof PermanentJobError || entry.attempts >= max) {
          entry.reject(err);
          this.finish(entry);
          return;
        }
        const base = this.opts.backoffMs ?? 1000;
        if (!(await sleep(backoffDelay(entry.attempts - 1, base, 60 * base), signal))) {
          entry.running = false;
          this.kick(entry);
          return;
        }
      }
    }
  }

  private finish(entry: Entry): void {
    this.jobs.delete(entry.job.batchId);
    this.finished.set(entry.job.batchId, entry.done);
    const cap = this.opts.rememberFinished ?? 100_000;
    for (const id of this.finished.keys()) {
      if (this.finished.size <= cap) break;
      this.finished.delete(id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const served of this.handlers.values()) served.stopping.abort();
    this.handlers.clear();
  }
}
