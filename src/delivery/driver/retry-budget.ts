import { systemClock, type Clock } from '../../util/clock.js';

export interface RetryBudgetOptions {
  /**
   * Retries that may start at once after a quiet period: the bucket's size.
   * @defaultValue 20
   */
  capacity?: number;
  /**
   * Retries per second the destination sustains once the bucket is empty.
   * @defaultValue 2
   */
  refillPerSecond?: number;
  clock?: Clock;
}

/**
 * A retry budget shared by every batch of one destination: a token bucket of retries (first
 * attempts are free). When many batches fail at once against a dead endpoint, each retry takes
 * a token; once the bucket is empty, retries wait in line for tokens instead of hammering the
 * endpoint, so the destination sees at most `refillPerSecond` retries per second however many
 * batches are in flight. Waiting counts as time passing for the retry duration, so an endpoint
 * that stays down still sends its batches to the backup on time.
 */
export class RetryBudget {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly rate: number;
  private readonly clock: Clock;
  /** Waiters take tokens in arrival order. */
  private line: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(opts: RetryBudgetOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 20);
    this.rate = Math.max(0.001, opts.refillPerSecond ?? 2);
    this.clock = opts.clock ?? systemClock;
    this.tokens = this.capacity;
    this.last = this.clock.now();
  }

  private refill(): void {
    const t = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** Tokens left now (fractions included). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Retries waiting for a token. */
  get queued(): number {
    return this.waiting;
  }

  /**
   * Take one retry token, waiting in line while the bucket is empty. Resolves with how long it
   * waited (0 when a token was there), or null when `signal` aborted first.
   */
  acquire(signal?: AbortSignal): Promise<number | null> {
    this.refill();
    if (this.waiting === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve(0);
    }
    this.waiting++;
    const start = this.clock.now();
    const turn = this.line.then(async () => {
      for (;;) {
        if (signal?.aborted) return null;
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return this.clock.now() - start;
        }
        const ms = Math.ceil(((1 - this.tokens) / this.rate) * 1000);
        if (!(await this.clock.sleep(ms, signal))) return null;
      }
    }).finally(() => {
      this.waiting--;
    });
    this.line = turn;
    if (!signal) return turn;
    // An aborted waiter answers at once; when its turn comes it takes nothing.
    return Promise.race([turn, new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      else signal.addEventListener('abort', () => resolve(null), { once: true });
    })]);
  }
}
