import type { Logger } from '../../observability/logger.js';
import type { FailedOutcome, RecordOutcome, Sink, SinkRecord, SinkResult } from '../../core/sink.js';
import { retryDelay, type BackoffPolicy } from '../../util/backoff.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * How `RetryOptions.DurationInSeconds` is counted (destinations.md §0.3):
 * - `from-first-attempt` (Redshift, OpenSearch): wall time since the first attempt started,
 *   the first attempt included; no retry when the first attempt alone outlasts the duration.
 * - `after-first-failure` (Splunk, HTTP endpoint): only the time between attempts counts;
 *   time spent waiting for a response (or an ack) is not charged.
 */
export type RetryWindow = 'from-first-attempt' | 'after-first-failure';

/** A destination's retry rules. */
export interface RetrySettings {
  /** `RetryOptions.DurationInSeconds` in ms, read at every decision so an UpdateDestination applies to batches in flight. */
  durationMs: () => number;
  window: RetryWindow;
  backoff: BackoffPolicy;
  /** An attempt running longer than this is aborted and counts as a retryable failure (the sink's `classify` names it). */
  attemptTimeoutMs?: number;
}

/** A record the destination did not take: what the backup writes. */
export interface FailedRecord {
  readonly record: SinkRecord;
  /** The last failure (for a `rejected` record, the only one). */
  readonly outcome: FailedOutcome;
  readonly attemptsMade: number;
  /** When the driver gave up on the record (epoch ms). */
  readonly attemptEndingTimestamp: number;
}

export interface DriverResult {
  /** Records the destination confirmed. */
  delivered: number;
  deliveredBytes: number;
  /** Records to hand to the backup, in batch order. */
  failed: FailedRecord[];
  /** Attempts made for the batch. */
  attempts: number;
}

/** What one attempt did, for metrics. */
export interface AttemptReport {
  batchId: string;
  attempt: number;
  records: number;
  delivered: number;
  deliveredBytes: number;
  retryable: number;
  rejected: number;
  /** The first failure of the attempt, if any. */
  failure?: FailedOutcome;
}

export interface DeliveryDriverOptions {
  retry: RetrySettings;
  /** Shared by every batch of the destination. */
  budget: RetryBudget;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  onAttempt?(report: AttemptReport): void;
  /** Called when a retry had to wait for the budget (ms waited). */
  onBudgetWait?(waitedMs: number): void;
}

/** Thrown when the delivery stream stops while a batch is being delivered. */
export class DeliveryStoppedError extends Error {
  constructor() {
    super('delivery stopped before the batch was delivered');
    this.name = 'DeliveryStoppedError';
  }
}

function timeoutError(ms: number): Error {
  const err = new Error(`the attempt did not finish within ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
}

/**
 * The delivery driver every destination other than S3 goes through. For one batch: make an
 * attempt (the sink's `send`), classify each record's outcome, and retry only the retryable
 * records, with exponential backoff and jitter (never sooner than a destination's
 * `retryAfterMs`), under the destination's retry budget, until `RetryOptions.DurationInSeconds`
 * is used up; rejected records leave at once. It returns what was delivered and what failed,
 * with the attempt counts and times Firehose's failed-record format reports; the caller hands
 * the failures to the S3 backup. Sinks hold no retry loops: this is the only one.
 */
export class DeliveryDriver {
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: DeliveryDriverOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  /** Deliver one batch; throws DeliveryStoppedError when `signal` aborts first. */
  async deliver(sink: Sink, batchId: string, records: readonly SinkRecord[], signal: AbortSignal): Promise<DriverResult> {
    const result: DriverResult = { delivered: 0, deliveredBytes: 0, failed: [], attempts: 0 };
    const retry = this.opts.retry;
    let pending: readonly SinkRecord[] = records;
    let firstStart = 0;
    let waited = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (signal.aborted) throw new DeliveryStoppedError();
      const start = this.clock.now();
      if (attempt === 1) firstStart = start;
      const outcomes = await this.attempt(sink, { batchId, attempt, records: pending, signal });
      const end = this.clock.now();
      result.attempts = attempt;
      const next: SinkRecord[] = [];
      const lastFailure: FailedOutcome[] = [];
      let retryAfter = 0;
      const report: AttemptReport = { batchId, attempt, records: pending.length, delivered: 0, deliveredBytes: 0, retryable: 0, rejected: 0 };
      for (let i = 0; i < pending.length; i++) {
        const o = outcomes[i];
        if (o.status === 'delivered') {
          report.delivered++;
          report.deliveredBytes += pending[i].data.length;
          continue;
        }
        report.failure ??= o;
        if (o.status === 'rejected') {
          report.rejected++;
          result.failed.push({ record: pending[i], outcome: o, attemptsMade: attempt, attemptEndingTimestamp: end });
          continue;
        }
        report.retryable++;
        next.push(pending[i]);
        lastFailure.push(o);
        if (o.retryAfterMs !== undefined && o.retryAfterMs > retryAfter) retryAfter = o.retryAfterMs;
      }
      result.delivered += report.delivered;
      result.deliveredBytes += report.deliveredBytes;
      this.opts.onAttempt?.(report);
      if (next.length === 0) break;

      const used = () => (retry.window === 'from-first-attempt' ? this.clock.now() - firstStart : waited);
      const giveUp = (reason: string) => {
        const at = this.clock.now();
        for (let i = 0; i < next.length; i++) result.failed.push({ record: next[i], outcome: lastFailure[i], attemptsMade: attempt, attemptEndingTimestamp: at });
        this.opts.logger.warn({ batch: batchId, attempts: attempt, records: next.length, errorCode: lastFailure[0].errorCode, errorMessage: lastFailure[0].errorMessage }, `giving up delivery: ${reason}; the records go to the backup`);
      };
      const remaining = retry.durationMs() - used();
      if (remaining <= 0) {
        giveUp('the retry duration is used up');
        break;
      }
      if (retryAfter > remaining) {
        giveUp(`the destination asked to wait ${retryAfter} ms, longer than the ${Math.round(remaining)} ms left of the retry duration`);
        break;
      }
      // The last retry happens when the duration ends rather than not at all.
      const delay = Math.min(retryDelay(retry.backoff, attempt - 1, retryAfter, this.random), remaining);
      this.opts.logger.info({ batch: batchId, attempt, retryable: next.length, errorCode: lastFailure[0].errorCode, errorMessage: lastFailure[0].errorMessage, retryInMs: delay }, 'delivery attempt failed; retrying');
      const before = this.clock.now();
      if (!(await this.clock.sleep(delay, signal))) throw new DeliveryStoppedError();
      // Waiting for the retry budget ends with the retry duration.
      const left = retry.durationMs() - (retry.window === 'from-first-attempt' ? used() : waited + this.clock.now() - before);
      const deadline = new AbortController();
      const timerDone = new AbortController();
      void this.clock.sleep(Math.max(0, left), AbortSignal.any([signal, timerDone.signal])).then((ok) => ok && deadline.abort());
      const budgetWait = await this.opts.budget.acquire(AbortSignal.any([signal, deadline.signal]));
      timerDone.abort();
      waited += this.clock.now() - before;
      if (budgetWait === null) {
        if (signal.aborted) throw new DeliveryStoppedError();
        giveUp('the retry duration ran out while waiting for the retry budget');
        break;
      }
      if (budgetWait > 0) this.opts.onBudgetWait?.(budgetWait);
      pending = next;
    }
    return result;
  }

  /** One attempt, turned into exactly one outcome per record whatever the sink did. */
  private async attempt(sink: Sink, req: { batchId: string; attempt: number; records: readonly SinkRecord[]; signal: AbortSignal }): Promise<readonly RecordOutcome[]> {
    const ctrl = new AbortController();
    const signal = AbortSignal.any([req.signal, ctrl.signal]);
    const timeoutMs = this.opts.retry.attemptTimeoutMs;
    let result: SinkResult;
    try {
      const sent = sink.send({ batchId: req.batchId, attempt: req.attempt, records: req.records, signal });
      if (timeoutMs === undefined) {
        result = await sent;
      } else {
        // A sink that ignores its signal must not hold the batch forever.
        sent.catch(() => undefined);
        const timedOut = this.clock.sleep(timeoutMs, ctrl.signal).then((elapsed) => {
          if (!elapsed) return undefined;
          const err = timeoutError(timeoutMs);
          ctrl.abort(err);
          throw err;
        });
        result = await Promise.race([sent, timedOut as Promise<never>]);
      }
    } catch (err) {
      if (req.signal.aborted) throw new DeliveryStoppedError();
      return fill(req.records.length, classify(sink, err));
    } finally {
      ctrl.abort();
    }
    if (!Array.isArray(result)) return fill(req.records.length, result as RecordOutcome);
    if (result.length !== req.records.length) {
      return fill(req.records.length, {
        status: 'retryable',
        errorCode: 'InternalError',
        errorMessage: `the sink answered ${result.length} outcomes for ${req.records.length} records`,
      });
    }
    return result;
  }
}

function fill(n: number, outcome: RecordOutcome): RecordOutcome[] {
  return new Array<RecordOutcome>(n).fill(outcome);
}

function classify(sink: Sink, err: unknown): FailedOutcome {
  if (sink.classify) {
    try {
      return sink.classify(err);
    } catch {
      // fall through: a broken classifier must not lose the batch
    }
  }
  return { status: 'retryable', errorCode: 'InternalError', errorMessage: err instanceof Error ? err.message : String(err) };
}
