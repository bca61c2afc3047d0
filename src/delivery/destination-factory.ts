import type { DeliveryConfig } from '../config/config.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { backupHealth } from '../backup/health.js';
import type { BackupHealth } from '../backup/write-retry.js';
import { S3Backup, type S3BackupOptions } from '../backup/s3-backup.js';
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
import { SinkDestination } from './destinations/sink.js';
import { resolveSinkDestination, type ResolvedSinkDestination } from './destinations/sink-kinds.js';

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
  /** Relative plugin module paths resolve from here. */
  pluginBaseDir: string;
  /** `DomainARN` → cluster URL of OpenSearch domains. */
  opensearchDomains?: Record<string, string>;
  /** The sink destination already resolved by the caller's checks (saves loading a plugin twice). */
  resolvedSink?: ResolvedSinkDestination;
  /** Dynamic partitioning: active partitions of the delivery stream (default 500). */
  activePartitionLimit?: number;
  /** Dynamic partitioning: bytes the partition buffers may hold (default 256 MiB). */
  partitionBufferBytes?: number;
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
export async function createDestination(ctx: DestinationContext): Promise<Destination> {
  const def = ctx.current();
  const clock = ctx.clock ?? systemClock;
  if (def.destination.sink) return createSinkDestination(ctx, clock);
  if (def.destination.Redshift) {
    const health = backupHealth(def.name, ctx.logger, ctx.metrics);
    const redshift = () => {
      const d = ctx.current();
      return { config: d.destination.Redshift!, version: d.versionId };
    };
    const sourceBackup = s3Backup(ctx, clock, health, () => {
      const { config, version } = redshift();
      // Only written while S3BackupMode is Enabled, which requires S3BackupConfiguration.
      return { config: config.S3BackupConfiguration!, version };
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
    activePartitionLimit: ctx.activePartitionLimit,
    partitionBufferBytes: ctx.partitionBufferBytes,
    logger: ctx.logger,
    conversion: ctx.conversion,
  });
}

/**
 * An HTTP endpoint, Splunk, OpenSearch or plugin destination: its sink behind the delivery
 * driver, failed (or all) records to the S3 backup of its `S3Configuration`. The resolution is
 * fixed for the destination's life: an UpdateDestination of a sink destination builds a new one.
 */
async function createSinkDestination(ctx: DestinationContext, clock: Clock): Promise<Destination> {
  const def = ctx.current();
  const resolved = ctx.resolvedSink ?? await resolveSinkDestination(def.destination.sink!, {
    secrets: ctx.secrets, pluginBaseDir: ctx.pluginBaseDir, opensearchDomains: ctx.opensearchDomains,
  });
  const sink = await resolved.createSink({ deliveryStreamName: def.name, deliveryStreamArn: def.arn, logger: ctx.logger, now: () => clock.now() });
  const backup = s3Backup(ctx, clock, backupHealth(def.name, ctx.logger, ctx.metrics), () => ({ config: resolved.s3, version: ctx.current().versionId }));
  return new SinkDestination({
    streamName: def.name,
    kind: resolved.kind,
    sink,
    metricName: resolved.metricName,
    limits: () => resolved.limits,
    retry: { durationMs: () => resolved.retryDurationSeconds * 1000, window: resolved.retryWindow, backoff: deliveryBackoff(ctx.delivery) },
    budget: retryBudget(ctx.delivery, clock),
    errorOutputType: resolved.errorOutputType,
    backupAll: () => resolved.backup === 'all',
    backup,
    metrics: ctx.metrics,
    logger: ctx.logger,
    clock,
  });
}

/** The S3 backup writer of a stream, counting its writes in the `BackupToS3.*` metrics. */
function s3Backup(ctx: DestinationContext, clock: Clock, health: BackupHealth, current: S3BackupOptions['current']): S3Backup {
  const name = ctx.current().name;
  const attempted = backupAttempts(ctx.metrics, name);
  return new S3Backup({
    streamName: name,
    current,
    store: ctx.store,
    clock,
    backoff: backupBackoff(ctx.delivery),
    health,
    onAttempt: (_kind, ok) => attempted(ok),
    onWritten: (o) => {
      ctx.metrics.backupToS3Records.labels(name).inc(o.records);
      ctx.metrics.backupToS3Bytes.labels(name).inc(o.bytes);
    },
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
