/**
 * Exponential backoff with jitter. `backoffDelay` is the log reader's and S3 delivery's
 * historical form (a random delay in [base, min(cap, base * 2^attempt)]); `BackoffPolicy` is the
 * configurable form the delivery driver and the backup writer use.
 */
export function backoffDelay(attempt: number, baseMs = 200, capMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return baseMs + Math.floor(random() * Math.max(0, ceiling - baseMs));
}

export { sleep } from './clock.js';

/** How long to wait before retry number `n` (0 = the first retry). */
export interface BackoffPolicy {
  /** Delay ceiling of the first retry. */
  baseMs: number;
  /** No delay is longer than this. */
  capMs: number;
  /** Growth per retry (default 2). */
  multiplier?: number;
  /**
   * `full` (default): uniform in [0, ceiling] ("full jitter", which spreads many failing
   * batches best); a number j: uniform in [ceiling × (1 − j), ceiling × (1 + j)], capped (the
   * HTTP endpoint specification's ±15 % is 0.15).
   */
  jitter?: 'full' | number;
}

/** The delay before retry `n` under `policy`; at least `floorMs` (a destination's Retry-After). */
export function retryDelay(policy: BackoffPolicy, n: number, floorMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * (policy.multiplier ?? 2) ** Math.min(n, 60));
  const jitter = policy.jitter ?? 'full';
  const delay = jitter === 'full'
    ? random() * ceiling
    : Math.min(policy.capMs, ceiling * (1 - jitter + 2 * jitter * random()));
  return Math.max(floorMs, Math.round(delay));
}
