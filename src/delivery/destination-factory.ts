import type { DeliveryConfig } from '../config/config.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { backupHealth } from '../backup/health.js';
import { S3Backup } from '../backup/s3-backup.js';
import type { BackoffPolicy } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ObjectStore } from '../../sinks/s3/object-store.js';
import type { RedshiftLoader } from '../../sinks/redshift/loader.js';
import type { DeliveryStreamDefinition } from './catalog.js';
import type { Destination } from './destination.js';
import { RedshiftDestination } from './destinations/redshift.js';
import { S3Destination } from './destinations/s3.js';
import { resolveS3Destination } from './destinations/s3-config.js';
import type { ConversionServices } from './destinations/s3-conversion.js';
import { RetryBudget } from './driver/retry-budget.js';

/** What building a delivery stream's destination needs from the node. */
export interface DestinationContext {
  /** The stream's definition as it is now (UpdateDestination replaces it). */
  current: () => DeliveryStreamDefinition;
  store: ObjectStore;
  metrics: Metrics;
  logger: Logger;
  secrets: SecretResolver;
  redshiftLoader: RedshiftLoader;
  delivery?: DeliveryConfig;
  clock?: Clock;
  /** Parquet workers and table definitions, for S3 destinations with record format conversion. */
  conversion?: ConversionServices;
}

/** The driver's backoff between delivery retries (config `delivery.retry`). */
export function deliveryBackoff(delivery: DeliveryConfig | undefined): BackoffPolicy {
  return { baseMs: delivery?.retry?.baseDelayMs ?? 1000, capMs: delivery?.retry?.maxDelayMs ?? 60_000 };
}

/** Backoff between retries of a failed backup write (config `delivery.backupRetry`). */
export function backupBackoff(delivery: DeliveryConfig | undefined): BackoffPolicy {
  return { baseMs: delivery?.backupRetry?.baseDelayMs ?? 500, capMs: delivery?.backupRetry?.maxDelayMs ?? 30_000 };
}

/** A fresh retry budget for one destination (config `delivery.retryBudget`). */
export function retryBudget(delivery: DeliveryConfig | undefined, clock: Clock): RetryBudget {
  return new RetryBudget({ capacity: delivery?.retryBudget?.capacity, refillPerSecond: delivery?.retryBudget?.refillPerSecond, clock });
}

/** The destination a definition delivers to. */
export function createDestination(ctx: DestinationContext): Destination {
  const def = ctx.current();
  const clock = ctx.clock ?? systemClock;
  if (def.destination.Redshift) {
    const health = backupHealth(def.name, ctx.logger, ctx.metrics);
    const attempted = backupAttempts(ctx.metrics, def.name);
    const redshift = () => {
      const d = ctx.current();
      return { config: d.destination.Redshift!, version: d.versionId };
    };
    const sourceBackup = new S3Backup({
      streamName: def.name,
      current: () => {
        const { config, version } = redshift();
        // Only written while S3BackupMode is Enabled, which requires S3BackupConfiguration.
        return { config: config.S3BackupConfiguration!, version };
      },
      store: ctx.store,
      clock,
      backoff: backupBackoff(ctx.delivery),
      health,
      onAttempt: (_kind, ok) => attempted(ok),
      onWritten: (o) => {
        ctx.metrics.backupToS3Records.labels(def.name).inc(o.records);
        ctx.metrics.backupToS3Bytes.labels(def.name).inc(o.bytes);
      },
    });
    return new RedshiftDestination({
      streamName: def.name,
      current: redshift,
      store: ctx.store,
      loader: ctx.redshiftLoader,
      secrets: ctx.secrets,
      metrics: ctx.metrics,
      logger: ctx.logger,
      budget: retryBudget(ctx.delivery, clock),
      backoff: deliveryBackoff(ctx.delivery),
      attemptTimeoutMs: ctx.delivery?.redshift?.attemptTimeoutMs ?? 900_000,
      sourceBackup,
      backupHealth: health,
      backupBackoff: backupBackoff(ctx.delivery),
      clock,
    });
  }
  return new S3Destination({
    streamName: def.name,
    current: () => {
      const d = ctx.current();
      return { config: resolveS3Destination(d.destination.ExtendedS3!), version: d.versionId };
    },
    store: ctx.store,
    metrics: ctx.metrics,
    conversion: ctx.conversion,
  });
}

/** `BackupToS3.Success` of one stream: successful source-backup writes over attempted ones. */
function backupAttempts(metrics: Metrics, stream: string): (ok: boolean) => void {
  let attempts = 0;
  let successes = 0;
  return (ok) => {
    attempts++;
    if (ok) successes++;
    metrics.backupToS3Attempts.labels(stream).inc();
    metrics.backupToS3Success.labels(stream).set(successes / attempts);
  };
}
