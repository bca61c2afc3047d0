/**
 * A clock tests move by hand: `sleep` resolves only when the test advances time past it, so
 * retry and backoff logic is tested without waiting for real time.
 */
import type { Clock } from '../../src/util/clock.js';

interface Sleeper {
  until: number;
  resolve(elapsed: boolean): void;
}

export class ManualClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const s: Sleeper = { until: this.t + Math.max(0, ms), resolve };
      this.sleepers.push(s);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        resolve(false);
      }, { once: true });
    });
  }

  /** Sleepers waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Move time forward by `ms`, waking sleepers in order (letting promise chains run in between). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      this.sleepers.sort((a, b) => a.until - b.until);
      const next = this.sleepers[0];
      if (!next || next.until > target) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.until);
      next.resolve(true);
    }
    this.t = target;
    await settle();
  }

  /** Run until `promise` settles, jumping time to each next sleeper; throws if nothing can happen any more. */
  async run<T>(promise: Promise<T>, maxSteps = 100_000): Promise<T> {
    let done = false;
    const p = promise.finally(() => { done = true; });
    for (let i = 0; i < maxSteps; i++) {
      await settle();
      if (done) return p;
      this.sleepers.sort((a, b) => a.until - b.until);
      const next = this.sleepers.shift();
      if (!next) {
        await settle();
        if (done) return p;
        throw new Error('nothing is sleeping and the promise has not settled');
      }
      this.t = Math.max(this.t, next.until);
      next.resolve(true);
    }
    throw new Error(`still not settled after ${maxSteps} steps`);
  }
}

/** Let pending promise callbacks and I/O callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
