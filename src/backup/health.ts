import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BackupHealth } from './write-retry.js';

/**
 * The backup health of one delivery stream: every failed backup write is counted
 * (`BackupWriteFailures`) and logged, and `DeliveryPausedForBackup` is 1 while any backup write
 * of the stream keeps failing (delivery waits for it), back to 0 when all have succeeded.
 */
export function backupHealth(streamName: string, logger: Logger, metrics: Metrics): BackupHealth {
  const failing = new Set<string>();
  return {
    failed(err, attempt, what) {
      metrics.backupWriteFailures.labels(streamName).inc();
      const first = !failing.has(what);
      failing.add(what);
      metrics.deliveryPausedForBackup.labels(streamName).set(1);
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: unknown })?.code;
      if (first) logger.error({ deliveryStream: streamName, backup: what, attempt, errorCode: code, errorMessage: message }, 'writing the S3 backup failed: delivery of the stream is paused and the write is retried until it succeeds');
      else logger.warn({ deliveryStream: streamName, backup: what, attempt, errorCode: code, errorMessage: message }, 'writing the S3 backup failed again; still paused');
    },
    recovered(what) {
      failing.delete(what);
      if (failing.size === 0) metrics.deliveryPausedForBackup.labels(streamName).set(0);
      logger.info({ deliveryStream: streamName, backup: what }, 'the S3 backup was written; delivery resumes');
    },
  };
}
