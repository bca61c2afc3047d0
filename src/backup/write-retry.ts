import { retryDelay, type BackoffPolicy } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';

/** Thrown when the delivery stream stops while a backup write is still failing. */
export class BackupStoppedError extends Error {
  constructor() {
    super('the delivery stream stopped before the backup was written');
    this.name = 'BackupStoppedError';
  }
}

/** Reports the backup's health: a failed write pauses delivery (AWS: "Firehose pauses the stream"). */
export interface BackupHealth {
  /** A write failed (`attempt` counts from 1); it is retried after a backoff. */
  failed(err: unknown, attempt: number, what: string): void;
  /** A write succeeded after at least one failure. */
  recovered(what: string): void;
}

export interface WriteRetryOptions {
  clock: Clock;
  backoff: BackoffPolicy;
  health: BackupHealth;
  /** Aborted when the delivery stream stops. */
  signal: AbortSignal;
  random?: () => number;
}

/**
 * Retry a backup write until it succeeds: the backup is where records go when everything else
 * failed, so it is never given up (destinations.md §0.1). Throws BackupStoppedError only when
 * the stream stops; the records then stay in the log and are delivered again after a restart.
 */
export async function writeUntilDone(what: string, write: () => Promise<void>, opts: WriteRetryOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) throw new BackupStoppedError();
    try {
      await write();
      if (attempt > 1) opts.health.recovered(what);
      return;
    } catch (err) {
      if (opts.signal.aborted) throw new BackupStoppedError();
      opts.health.failed(err, attempt, what);
      if (!(await opts.clock.sleep(retryDelay(opts.backoff, attempt - 1, 0, opts.random), opts.signal))) throw new BackupStoppedError();
    }
  }
}
