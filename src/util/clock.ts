/**
 * Time as the delivery driver, the retry budget and the backup writer see it: the current time
 * and a sleep that a stop signal cuts short. Production uses the system clock; tests pass a
 * manual clock and move time forward themselves, so no test waits for real time to pass.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves true after `ms`, or false as soon as `signal` aborts (at once if it already has). */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/** Sleep that ends early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock: `Date.now` and timers. */
export const systemClock: Clock = { now: () => Date.now(), sleep };
