/**
 * The sink conformance suite: the checks every built-in sink passes against its test double,
 * shipped so authors can run them against their own sink and a test endpoint. It is
 * test-runner-agnostic: `runSinkConformance` runs the checks and returns a report (see
 * `vitest.ts` for a thin vitest wrapper). Nothing here reaches outside the target you give it.
 */
import type { FailedOutcome, RecordOutcome, Sink, SinkRecord, SinkResult } from '../core/sink.js';

/** What the suite needs to know about a sink and the endpoint it delivers to. */
export interface ConformanceTarget {
  /** A fresh sink (called once per check; the suite closes it). */
  create(): Sink | Promise<Sink>;
  /** The record bytes the test endpoint holds now, in any order (as the sink's records' `data`, see `sameData`). */
  delivered(): Buffer[] | Promise<Buffer[]>;
  /** Empty the test endpoint (called before each check). */
  reset?(): void | Promise<void>;
  /** Make the endpoint unavailable (5xx, refused connections) until `restore`: enables the outage check. */
  breakDestination?(): void | Promise<void>;
  restore?(): void | Promise<void>;
  /** Records the destination accepts (default: one-line JSON objects with a newline, some non-ASCII). */
  makeRecords?(n: number, batch: string): SinkRecord[];
  /** Whether delivered bytes stand for a sent record (default: byte-equal). */
  sameData?(sent: Buffer, delivered: Buffer): boolean;
}

export interface ConformanceReport {
  passed: string[];
  failed: { check: string; error: string }[];
  /** Checks the target does not support (no `breakDestination`, no `healthcheck`, ...). */
  skipped: string[];
}

export interface ConformanceOptions {
  /** Run only these checks (by name). */
  only?: readonly string[];
  /** A check that takes longer fails (default 30,000 ms). */
  timeoutMs?: number;
}

interface Check {
  name: string;
  /** Returns 'skip' when the target or sink lacks what the check needs. */
  run(t: ConformanceTarget, sink: Sink, helpers: Helpers): Promise<void | 'skip'>;
}

interface Helpers {
  records(n: number): SinkRecord[];
  send(sink: Sink, records: SinkRecord[], opts?: { attempt?: number; signal?: AbortSignal; batchId?: string }): Promise<RecordOutcome[]>;
}

const COMMON_FIELDS = ['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData'];
const STATUSES = new Set(['delivered', 'retryable', 'rejected']);

class CheckFailure extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

function checkOutcome(o: unknown, where: string): asserts o is RecordOutcome {
  expect(typeof o === 'object' && o !== null, `${where}: an outcome must be an object, got ${JSON.stringify(o)}`);
  const r = o as Record<string, unknown>;
  expect(STATUSES.has(r.status as string), `${where}: status must be delivered, retryable or rejected, got ${JSON.stringify(r.status)}`);
  if (r.status !== 'delivered') {
    expect(typeof r.errorCode === 'string' && r.errorCode.length > 0, `${where}: a ${String(r.status)} outcome needs a non-empty errorCode`);
    expect(typeof r.errorMessage === 'string', `${where}: a ${String(r.status)} outcome needs an errorMessage string`);
    expect(r.retryAfterMs === undefined || (typeof r.retryAfterMs === 'number' && r.retryAfterMs >= 0), `${where}: retryAfterMs must be a non-negative number`);
  }
}

function expand(result: SinkResult, n: number, where: string): RecordOutcome[] {
  if (Array.isArray(result)) {
    expect(result.length === n, `${where}: ${result.length} outcomes for ${n} records (one per record, in order, or a single one for all)`);
    result.forEach((o, i) => checkOutcome(o, `${where}, record ${i}`));
    return result as RecordOutcome[];
  }
  checkOutcome(result, where);
  return Array.from({ length: n }, () => result as RecordOutcome);
}

function checkFailed(o: unknown, where: string): asserts o is FailedOutcome {
  checkOutcome(o, where);
  expect((o as RecordOutcome).status !== 'delivered', `${where}: classify must return retryable or rejected`);
}

/** The outcomes of one attempt, counting a thrown error as `classify` (or retryable) for every record. */
async function attempt(sink: Sink, records: SinkRecord[], opts: { attempt?: number; signal?: AbortSignal; batchId?: string }, batch: string): Promise<RecordOutcome[]> {
  let result: SinkResult;
  try {
    result = await sink.send({ batchId: opts.batchId ?? batch, attempt: opts.attempt ?? 1, records, signal: opts.signal ?? new AbortController().signal });
  } catch (err) {
    const o = sink.classify ? sink.classify(err) : { status: 'retryable' as const, errorCode: 'Unclassified', errorMessage: String(err) };
    checkFailed(o, 'classify(error thrown by send)');
    return records.map(() => o);
  }
  return expand(result, records.length, 'send');
}

export function defaultRecords(n: number, batch: string): SinkRecord[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    recordId: `${batch}.${i}`,
    data: Buffer.from(`${JSON.stringify({ batch, i, text: `record ${i} — ünïcødé ✓` })}\n`),
    arrivedAt: now,
  }));
}

/** A multiset comparison: every sent record is among the delivered bytes (at least once). */
function missing(sent: SinkRecord[], got: Buffer[], same: (a: Buffer, b: Buffer) => boolean): SinkRecord[] {
  const pool = [...got];
  return sent.filter((r) => {
    const k = pool.findIndex((d) => same(r.data, d));
    if (k < 0) return true;
    pool.splice(k, 1);
    return false;
  });
}

const CHECKS: readonly Check[] = [
  {
    name: 'send returns one valid outcome per record or one for all',
    async run(_t, sink, h) {
      await h.send(sink, h.records(5));
    },
  },
  {
    name: 'delivered records reach the destination',
    async run(t, sink, h) {
      const records = h.records(20);
      const out = await h.send(sink, records);
      expect(out.every((o) => o.status === 'delivered'), `a healthy destination should take every record; got ${JSON.stringify(out.find((o) => o.status !== 'delivered'))}`);
      const lost = missing(records, await t.delivered(), t.sameData ?? ((a, b) => a.equals(b)));
      expect(lost.length === 0, `${lost.length} records reported delivered are not at the destination (first: ${lost[0]?.recordId})`);
    },
  },
  {
    name: 'a retry of the same batch, and a retry of part of it, are accepted',
    async run(t, sink, h) {
      const records = h.records(6);
      await h.send(sink, records, { batchId: 'retry-batch' });
      const again = await h.send(sink, records, { attempt: 2, batchId: 'retry-batch' });
      expect(again.every((o) => o.status === 'delivered'), 'sending a batch again (same batchId, attempt 2) should succeed on a healthy destination');
      const part = await h.send(sink, records.slice(2, 4), { attempt: 3, batchId: 'retry-batch' });
      expect(part.length === 2 && part.every((o) => o.status === 'delivered'), 'a retry carrying only some records of the batch should succeed');
      const lost = missing(records, await t.delivered(), t.sameData ?? ((a, b) => a.equals(b)));
      expect(lost.length === 0, `${lost.length} records of the retried batch are not at the destination`);
    },
  },
  {
    name: 'an aborted attempt settles promptly and reports no false delivery errors',
    async run(_t, sink, h) {
      const ac = new AbortController();
      ac.abort();
      await h.send(sink, h.records(3), { signal: ac.signal });
    },
  },
  {
    name: 'classify turns any error into a retryable or rejected outcome',
    async run(_t, sink) {
      if (!sink.classify) return 'skip';
      const errors: unknown[] = [new Error('boom'), Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'a string', undefined, { weird: true }];
      for (const e of errors) checkFailed(sink.classify(e), `classify(${String(e)})`);
    },
  },
  {
    name: 'failed-record fields are JSON and leave the common fields alone',
    async run(_t, sink, h) {
      if (!sink.failedRecordFields) return 'skip';
      const fields = sink.failedRecordFields(h.records(1)[0]);
      expect(typeof fields === 'object' && fields !== null && !Array.isArray(fields), 'failedRecordFields must return an object');
      const clash = Object.keys(fields).filter((k) => COMMON_FIELDS.includes(k));
      expect(clash.length === 0, `failedRecordFields must not set Firehose's common fields: ${clash.join(', ')}`);
      expect(JSON.stringify(JSON.parse(JSON.stringify(fields))) === JSON.stringify(fields), 'failedRecordFields must be plain JSON');
    },
  },
  {
    name: 'the health check passes while the destination is up',
    async run(_t, sink) {
      if (!sink.healthcheck) return 'skip';
      await sink.healthcheck(AbortSignal.timeout(10_000));
    },
  },
  {
    name: 'an unavailable destination gives retryable outcomes, never delivered or rejected, and recovers',
    async run(t, sink, h) {
      if (!t.breakDestination || !t.restore) return 'skip';
      await t.breakDestination();
      try {
        const out = await h.send(sink, h.records(4), { batchId: 'outage' });
        expect(out.every((o) => o.status === 'retryable'), `while the destination is down every record should be retryable; got ${JSON.stringify(out.find((o) => o.status !== 'retryable'))}`);
        if (sink.healthcheck) {
          const healthy = await sink.healthcheck(AbortSignal.timeout(10_000)).then(() => true, () => false);
          expect(!healthy, 'the health check should fail while the destination is down');
        }
      } finally {
        await t.restore();
      }
      const after = await h.send(sink, h.records(4), { batchId: 'outage', attempt: 2 });
      expect(after.every((o) => o.status === 'delivered'), 'after the destination is back the same batch should be delivered');
    },
  },
  {
    name: 'close releases the sink',
    async run(_t, sink) {
      await sink.close?.();
    },
  },
];

/** The names of the checks, in the order they run. */
export const SINK_CONFORMANCE_CHECKS: readonly string[] = CHECKS.map((c) => c.name);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CheckFailure(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Run the suite (or `opts.only`) against a target; never throws for a failing sink, reports instead. */
export async function runSinkConformance(target: ConformanceTarget, opts: ConformanceOptions = {}): Promise<ConformanceReport> {
  const report: ConformanceReport = { passed: [], failed: [], skipped: [] };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let n = 0;
  for (const check of CHECKS) {
    if (opts.only && !opts.only.includes(check.name)) continue;
    const batch = `conformance-${process.pid}-${Date.now()}-${n++}`;
    const helpers: Helpers = {
      records: (k) => (target.makeRecords ?? defaultRecords)(k, batch),
      send: (sink, records, o = {}) => attempt(sink, records, o, batch),
    };
    let sink: Sink | undefined;
    try {
      await target.reset?.();
      sink = await target.create();
      const r = await withTimeout(check.run(target, sink, helpers), timeoutMs, check.name);
      if (r === 'skip') report.skipped.push(check.name);
      else report.passed.push(check.name);
    } catch (err) {
      report.failed.push({ check: check.name, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await sink?.close?.()?.catch(() => undefined);
    }
  }
  return report;
}
