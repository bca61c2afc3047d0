import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { delivered, rejected, retryable, type RecordOutcome, type Sink, type SinkRecord, type SinkRequest } from '../../../src/core/sink.js';
import { DeliveryDriver, type RetryWindow } from '../../../src/delivery/driver/delivery-driver.js';
import { RetryBudget } from '../../../src/delivery/driver/retry-budget.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const logger = pino({ level: 'silent' });

function records(n: number): SinkRecord[] {
  return Array.from({ length: n }, (_, i) => ({ recordId: `b.${i}`, data: Buffer.from(`r${i}`), arrivedAt: 1000 + i }));
}

/** A sink answering from a script: `answer(attempt, request)`; every request is kept. */
function scripted(answer: (req: SinkRequest) => RecordOutcome[] | RecordOutcome | Promise<RecordOutcome[] | RecordOutcome>, extra: Partial<Sink> = {}) {
  const requests: { attempt: number; ids: string[]; at: number }[] = [];
  let clock: ManualClock | undefined;
  const sink: Sink = {
    async send(req) {
      requests.push({ attempt: req.attempt, ids: req.records.map((r) => r.recordId), at: clock?.now() ?? 0 });
      return answer(req);
    },
    ...extra,
  };
  return { sink, requests, useClock: (c: ManualClock) => { clock = c; } };
}

function driver(clock: ManualClock, opts: { durationMs: number; window?: RetryWindow; budget?: RetryBudget; attemptTimeoutMs?: number; baseMs?: number; capMs?: number }) {
  const budgetWaits: number[] = [];
  const d = new DeliveryDriver({
    retry: { durationMs: () => opts.durationMs, window: opts.window ?? 'from-first-attempt', backoff: { baseMs: opts.baseMs ?? 1000, capMs: opts.capMs ?? 8000 }, attemptTimeoutMs: opts.attemptTimeoutMs },
    budget: opts.budget ?? new RetryBudget({ capacity: 1e9, refillPerSecond: 1e9, clock }),
    logger,
    clock,
    random: () => 0.5,
    onBudgetWait: (ms) => budgetWaits.push(ms),
  });
  return { d, budgetWaits };
}

describe('DeliveryDriver', () => {
  it('retries only the retryable records; rejected ones leave at once; delivered ones are never sent again', async () => {
    const clock = new ManualClock();
    const s = scripted((req) => req.records.map((r) => {
      if (r.recordId === 'b.1') return rejected('400', 'mapper_parsing_exception');
      if (r.recordId === 'b.2' && req.attempt < 3) return retryable('429', 'too many requests');
      if (r.recordId === 'b.3') return retryable('503', 'unavailable');
      return delivered;
    }));
    s.useClock(clock);
    const { d } = driver(clock, { durationMs: 60_000 });
    const result = await clock.run(d.deliver(s.sink, 'b', records(4), new AbortController().signal));
    expect(s.requests[0].ids).toEqual(['b.0', 'b.1', 'b.2', 'b.3']);
    expect(s.requests[1].ids).toEqual(['b.2', 'b.3']);
    expect(s.requests[2].ids).toEqual(['b.2', 'b.3']);
    for (const r of s.requests.slice(3)) expect(r.ids).toEqual(['b.3']);
    expect(result.delivered).toBe(2);
    const failed = Object.fromEntries(result.failed.map((f) => [f.record.recordId, f]));
    expect(Object.keys(failed).sort()).toEqual(['b.1', 'b.3']);
    expect(failed['b.1']).toMatchObject({ attemptsMade: 1, outcome: { status: 'rejected', errorCode: '400' } });
    expect(failed['b.3'].outcome).toMatchObject({ status: 'retryable', errorCode: '503' });
    expect(failed['b.3'].attemptsMade).toBe(result.attempts);
    // Counted from the first attempt: the last attempt is at (or just before) 60 s.
    expect(failed['b.3'].attemptEndingTimestamp - s.requests[0].at).toBeLessThanOrEqual(60_000);
    expect(s.requests[s.requests.length - 1].at - s.requests[0].at).toBe(60_000);
  });

  it('backs off exponentially with jitter, and never sooner than the destination\'s retry-after', async () => {
    const clock = new ManualClock();
    const s = scripted((req) => (req.attempt === 3 ? retryable('Throttled', 'slow down', 7000) : req.attempt < 5 ? retryable('500', 'oops') : delivered));
    s.useClock(clock);
    const { d } = driver(clock, { durationMs: 600_000, baseMs: 1000, capMs: 8000 });
    await clock.run(d.deliver(s.sink, 'b', records(1), new AbortController().signal));
    const gaps = s.requests.slice(1).map((r, i) => r.at - s.requests[i].at);
    // random() = 0.5 of the ceilings 1 s, 2 s, (4 s but retry-after 7 s), 8 s.
    expect(gaps).toEqual([500, 1000, 7000, 4000]);
  });

  it('RetryOptions.DurationInSeconds 0 means no retry at all', async () => {
    const clock = new ManualClock();
    const s = scripted(() => retryable('500', 'down'));
    const { d } = driver(clock, { durationMs: 0 });
    const result = await clock.run(d.deliver(s.sink, 'b', records(3), new AbortController().signal));
    expect(s.requests).toHaveLength(1);
    expect(result.failed.map((f) => f.attemptsMade)).toEqual([1, 1, 1]);
  });

  it('gives up at once when the destination asks to wait longer than the time left', async () => {
    const clock = new ManualClock();
    const s = scripted(() => retryable('429', 'come back in 2 minutes', 120_000));
    const { d } = driver(clock, { durationMs: 60_000 });
    const result = await clock.run(d.deliver(s.sink, 'b', records(1), new AbortController().signal));
    expect(s.requests).toHaveLength(1);
    expect(result.failed[0].outcome.errorCode).toBe('429');
  });

  it("'after-first-failure' does not charge the time spent waiting for responses (Splunk, HTTP endpoints)", async () => {
    const clock = new ManualClock();
    // Every attempt takes 30 s to answer; the duration is 10 s.
    const s = scripted(async () => {
      await clock.sleep(30_000);
      return retryable('HttpEndpoint.RequestTimeout', 'no answer');
    });
    s.useClock(clock);
    const { d: counting } = driver(clock, { durationMs: 10_000, window: 'from-first-attempt', baseMs: 1000, capMs: 1000 });
    await clock.run(counting.deliver(s.sink, 'b', records(1), new AbortController().signal));
    expect(s.requests).toHaveLength(1); // the first attempt alone outlasted the duration
    s.requests.length = 0;
    const { d: excluding } = driver(clock, { durationMs: 10_000, window: 'after-first-failure', baseMs: 1000, capMs: 1000 });
    await clock.run(excluding.deliver(s.sink, 'b', records(1), new AbortController().signal));
    // 500 ms between attempts until 10 s of waiting add up: 20 retries after the first attempt.
    expect(s.requests).toHaveLength(21);
  });

  it('turns a thrown error into outcomes with the sink\'s classify (retryable InternalError without one)', async () => {
    const clock = new ManualClock();
    const withClassify = scripted(() => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); }, {
      classify: () => retryable('HttpEndpoint.ConnectionFailed', 'refused'),
    });
    const { d } = driver(clock, { durationMs: 0 });
    expect((await clock.run(d.deliver(withClassify.sink, 'b', records(2), new AbortController().signal))).failed.map((f) => f.outcome.errorCode))
      .toEqual(['HttpEndpoint.ConnectionFailed', 'HttpEndpoint.ConnectionFailed']);
    const plain = scripted(() => { throw new Error('boom'); });
    expect((await clock.run(d.deliver(plain.sink, 'b', records(1), new AbortController().signal))).failed[0].outcome)
      .toEqual({ status: 'retryable', errorCode: 'InternalError', errorMessage: 'boom' });
    const wrongCount = scripted(() => [delivered]);
    expect((await clock.run(d.deliver(wrongCount.sink, 'b', records(2), new AbortController().signal))).failed[0].outcome.errorMessage)
      .toMatch(/1 outcomes for 2 records/);
  });

  it('aborts an attempt that outlasts attemptTimeoutMs and counts it as retryable', async () => {
    const clock = new ManualClock();
    let aborted = 0;
    const s = scripted((req) => (req.attempt === 1
      ? new Promise<never>(() => { req.signal.addEventListener('abort', () => aborted++); })
      : delivered), { classify: (err) => retryable((err as Error).name, (err as Error).message) });
    s.useClock(clock);
    const { d } = driver(clock, { durationMs: 600_000, attemptTimeoutMs: 180_000 });
    const result = await clock.run(d.deliver(s.sink, 'b', records(1), new AbortController().signal));
    expect(aborted).toBe(1);
    expect(result).toMatchObject({ delivered: 1, attempts: 2 });
    expect(s.requests[1].at - s.requests[0].at).toBeGreaterThanOrEqual(180_000);
  });

  it('the retry budget stops a retry storm: a dead endpoint sees at most the budget\'s rate of retries, and every record still reaches the backup on time', async () => {
    const run = async (budget: (clock: ManualClock) => RetryBudget) => {
      const clock = new ManualClock();
      const s = scripted(() => retryable('503', 'dead'));
      s.useClock(clock);
      const { d, budgetWaits } = driver(clock, { durationMs: 60_000, baseMs: 100, capMs: 400, budget: budget(clock) });
      const batches = Array.from({ length: 50 }, (_, i) => d.deliver(s.sink, `b${i}`, records(2), new AbortController().signal));
      const results = await clock.run(Promise.all(batches));
      return { s, results, budgetWaits };
    };
    const unlimited = await run((clock) => new RetryBudget({ capacity: 1e9, refillPerSecond: 1e9, clock }));
    const budgeted = await run((clock) => new RetryBudget({ capacity: 10, refillPerSecond: 2, clock }));
    const retries = (r: typeof unlimited) => r.s.requests.filter((q) => q.attempt > 1).length;
    // Unbudgeted, each of the 50 batches retries every ~200 ms for a minute.
    expect(retries(unlimited)).toBeGreaterThan(5000);
    // Budgeted: 10 at once, then 2 per second (plus the last attempt some batches make at the deadline).
    expect(retries(budgeted)).toBeLessThanOrEqual(10 + 2 * 60 + 1);
    expect(budgeted.budgetWaits.length).toBeGreaterThan(0);
    for (const r of [unlimited, budgeted]) {
      expect(r.results.every((x) => x.failed.length === 2 && x.delivered === 0)).toBe(true);
      for (const x of r.results) for (const f of x.failed) expect(f.attemptEndingTimestamp - 1_700_000_000_000).toBeLessThanOrEqual(60_000 + 1000);
    }
  });

  it('stops when the delivery stream stops', async () => {
    const clock = new ManualClock();
    const s = scripted(() => retryable('500', 'down'));
    const { d } = driver(clock, { durationMs: 600_000 });
    const stop = new AbortController();
    const p = d.deliver(s.sink, 'b', records(1), stop.signal);
    await clock.advance(10);
    stop.abort();
    await expect(p).rejects.toThrow(/delivery stopped/);
  });
});
