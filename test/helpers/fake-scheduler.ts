import type { AckScheduler } from '../../sinks/splunk/index.js';

/**
 * A scheduler whose clock moves only when something sleeps on it: a sleep of N ms advances the
 * clock by N and resolves on the next turn of the event loop. A 180-second ack timeout then
 * takes as many turns as it has poll intervals, and no real time.
 */
export function fakeScheduler(start = 1_700_000_000_000): AckScheduler & { advanced(): number } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal.aborted) return false;
      t += ms;
      await new Promise((r) => setImmediate(r));
      return !signal.aborted;
    },
    advanced: () => t - start,
  };
}

/** A scheduler whose sleeps end only when the test calls `tick` (which advances the clock). */
export function manualScheduler(start = 1_700_000_000_000): AckScheduler & { tick(ms: number): Promise<void>; sleepers(): number } {
  let t = start;
  let waiting: { until: number; resolve: (v: boolean) => void }[] = [];
  return {
    now: () => t,
    sleep: (ms, signal) => new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const entry = { until: t + ms, resolve };
      waiting.push(entry);
      signal.addEventListener('abort', () => {
        waiting = waiting.filter((w) => w !== entry);
        resolve(false);
      }, { once: true });
    }),
    tick: async (ms) => {
      t += ms;
      const due = waiting.filter((w) => w.until <= t);
      waiting = waiting.filter((w) => w.until > t);
      for (const w of due) w.resolve(true);
      await turns(5);
    },
    sleepers: () => waiting.length,
  };
}

/** Let `n` turns of the event loop pass (I/O callbacks included). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}
