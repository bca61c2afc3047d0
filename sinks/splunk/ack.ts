/**
 * Indexer acknowledgement (destinations.md §2.6): after HEC accepts a request with an `ackId`,
 * the batch counts as delivered only once `/services/collector/ack` says `true` for it. One
 * poller per sink (one channel) asks about every pending id in one request per interval, caps
 * how many acks may be pending (a full poller makes `send` wait: backpressure), and resolves a
 * wait with `timeout` once HECAcknowledgmentTimeoutInSeconds has passed since the send.
 *
 * This is the one place a sink keeps a timer (protocol polling); the clock and the sleep are
 * injectable so tests can run a 180-second timeout without waiting for it.
 */

/** Time as the poller sees it. */
export interface AckScheduler {
  now(): number;
  /** Resolve after `ms` (true), or early with false when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

export const realScheduler: AckScheduler = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }),
};

/** Asks HEC about ack ids; resolves with `{ "<id>": true|false }`. */
export type AckQuery = (ids: number[], signal: AbortSignal) => Promise<Record<string, boolean>>;

interface PendingAck {
  id: number;
  deadline: number;
  settle(result: 'acked' | 'timeout'): void;
}

export interface AckPollerOptions {
  /** Between two polls (default 1,000 ms). */
  intervalMs?: number;
  /** Acks that may wait at once (default 1,000); `slot` waits beyond it. */
  maxPending?: number;
  scheduler?: AckScheduler;
  /** Poll failures (HEC down while acks wait): logged, polling goes on until the deadlines. */
  onPollError?: (err: unknown) => void;
}

export class AckPoller {
  private readonly pending = new Map<number, PendingAck>();
  private slotsUsed = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private readonly closed = new AbortController();
  private readonly scheduler: AckScheduler;

  constructor(private readonly query: AckQuery, private readonly opts: AckPollerOptions = {}) {
    this.scheduler = opts.scheduler ?? realScheduler;
  }

  /** Acks waiting now. */
  get size(): number {
    return this.pending.size;
  }

  /** Take a pending-ack slot before sending; the returned function gives it back (idempotent). */
  async slot(signal: AbortSignal): Promise<() => void> {
    const max = this.opts.maxPending ?? 1000;
    while (this.slotsUsed >= max) {
      if (signal.aborted || this.closed.signal.aborted) throw new Error('aborted while waiting for a free indexer-acknowledgement slot');
      await new Promise<void>((resolve) => {
        this.slotWaiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    this.slotsUsed++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.slotsUsed--;
      this.slotWaiters.shift()?.();
    };
  }

  /** Wait until HEC acknowledges `ackId`, or `timeoutMs` passes (counted from now). */
  wait(ackId: number, timeoutMs: number, signal: AbortSignal): Promise<'acked' | 'timeout' | 'aborted'> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.pending.delete(ackId);
        resolve('aborted');
      };
      this.pending.set(ackId, {
        id: ackId,
        deadline: this.scheduler.now() + timeoutMs,
        settle: (r) => {
          signal.removeEventListener('abort', onAbort);
          this.pending.delete(ackId);
          resolve(r);
        },
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? 1000;
    while (this.pending.size > 0 && !this.closed.signal.aborted) {
      if (!(await this.scheduler.sleep(interval, this.closed.signal))) break;
      const ids = [...this.pending.keys()];
      if (ids.length === 0) break;
      try {
        const acks = await this.query(ids, this.closed.signal);
        for (const id of ids) if (acks[String(id)] === true) this.pending.get(id)?.settle('acked');
      } catch (err) {
        this.opts.onPollError?.(err);
      }
      const now = this.scheduler.now();
      for (const p of [...this.pending.values()]) if (now >= p.deadline) p.settle('timeout');
    }
  }

  /** Stop polling; waits still pending resolve as timed out. */
  async close(): Promise<void> {
    this.closed.abort();
    for (const p of [...this.pending.values()]) p.settle('timeout');
    for (const w of this.slotWaiters.splice(0)) w();
    await this.loop;
  }
}
