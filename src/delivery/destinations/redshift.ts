import type { LogRecord } from '../../core/record.js';
import type { Sink, SinkRecord } from '../../core/sink.js';
import type { SecretResolver } from '../../config/secrets.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { S3Backup, SourceRecord } from '../../backup/s3-backup.js';
import { writeUntilDone, type BackupHealth } from '../../backup/write-retry.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import type { Clock } from '../../util/clock.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, DeliveryReceipt, Destination, EncodedBatch, EncodeOptions } from '../destination.js';
import { DeliveryDriver, type DriverResult } from '../driver/delivery-driver.js';
import { driverMetrics } from '../driver/driver-metrics.js';
import type { RetryBudget } from '../driver/retry-budget.js';
import { objectBody, S3ObjectWriter, type ObjectTarget } from './object-writer.js';
import { batchObjectId, evaluatePrefix, extensionFor, objectKey, seededRandomStrings, type CompressionFormat } from '../../../sinks/s3/key-layout.js';
import { bucketFromArn, type ObjectStore } from '../../../sinks/s3/object-store.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { classifyS3Error } from '../../../sinks/s3/retry.js';
import { redshiftSettings, resolveIntermediate, type RedshiftDestinationConfiguration } from '../../../sinks/redshift/config.js';
import type { Manifest, RedshiftLoader } from '../../../sinks/redshift/loader.js';
import { classifyRedshiftError } from '../../../sinks/redshift/retry.js';

const MiB = 1024 * 1024;

/** Where one batch is staged, fixed at cut time so a replay after a crash uses the same manifest (the bookkeeping key). */
interface RedshiftTarget {
  kind: 'redshift';
  batchId: string;
  object: ObjectTarget;
  /** Key of the batch's manifest (same bucket). */
  manifestKey: string;
  /** Where the manifest goes when the load is given up. */
  errorManifestKey: string;
  /** Hydrant's failure report next to it (error code, message, attempts). */
  errorReportKey: string;
}

/** What is sent: the staged object's body, plus the records themselves when the source backup is on. */
interface RedshiftBody {
  object: Buffer[];
  source?: SourceRecord[];
}

export interface RedshiftDestinationOptions {
  streamName: string;
  current: () => { config: RedshiftDestinationConfiguration; version: number };
  store: ObjectStore;
  loader: RedshiftLoader;
  secrets: SecretResolver;
  metrics: Metrics;
  logger: Logger;
  budget: RetryBudget;
  backoff: BackoffPolicy;
  /** An attempt longer than this is aborted and retried. */
  attemptTimeoutMs?: number;
  /** The source-record backup (S3BackupMode Enabled), writing to S3BackupConfiguration. */
  sourceBackup: S3Backup;
  /** Retries of the errors/ manifest write (a failing write pauses delivery). */
  backupHealth: BackupHealth;
  backupBackoff: BackoffPolicy;
  clock: Clock;
  random?: () => number;
}

/**
 * Redshift through S3 and COPY (destinations.md §4.2): the batch becomes an object in the
 * intermediate bucket (Firehose's key layout and S3 rules: retried until retention), then a
 * manifest `<Prefix>manifests/yyyy/MM/dd/HH/<name>` listing it, then COPY — retried by the
 * delivery driver within `RetryOptions.DurationInSeconds` (default 3600 s, counted from the first
 * attempt) under the destination's retry budget. A batch whose COPY never succeeds leaves its
 * manifest under `<Prefix>errors/manifests/…` (for a manual re-COPY, as Firehose does) and a
 * report with the database's error under `<Prefix>errors/reports/…`, and the stream moves on.
 */
export class RedshiftDestination implements Destination {
  readonly kind = 'redshift';
  private readonly writer: S3ObjectWriter;
  private readonly driver: DeliveryDriver;

  constructor(private readonly opts: RedshiftDestinationOptions) {
    this.writer = new S3ObjectWriter(opts.streamName, opts.store, opts.metrics);
    this.driver = new DeliveryDriver({
      retry: {
        durationMs: () => (opts.current().config.RetryOptions?.DurationInSeconds ?? 3600) * 1000,
        window: 'from-first-attempt',
        backoff: opts.backoff,
        attemptTimeoutMs: opts.attemptTimeoutMs,
      },
      budget: opts.budget,
      logger: opts.logger,
      clock: opts.clock,
      random: opts.random,
      ...driverMetrics(opts.metrics, 'Redshift', opts.streamName, false),
    });
  }

  limits(): BatchLimits {
    const hints = resolveIntermediate(this.opts.current().config).BufferingHints;
    return { maxBytes: hints.SizeInMBs! * MiB, intervalMs: hints.IntervalInSeconds! * 1000 };
  }

  plan(batch: CutBatch): Record<string, unknown> {
    const { config, version } = this.opts.current();
    const s3 = resolveIntermediate(config);
    const compression = s3.CompressionFormat as CompressionFormat;
    const at = { arrivalMs: batch.oldestArrival, random: seededRandomStrings(batch.id) };
    const name = objectKey({ prefix: '', streamName: this.opts.streamName, version, arrivalMs: batch.oldestArrival, id: batchObjectId(batch.id), extension: '' });
    const target: RedshiftTarget = {
      kind: 'redshift',
      batchId: batch.id,
      object: {
        bucket: bucketFromArn(s3.BucketARN),
        key: evaluatePrefix(s3.Prefix, at) + name + extensionFor(compression),
        compression,
        kmsKeyArn: s3.EncryptionConfiguration.KMSEncryptionConfig?.AWSKMSKeyARN,
      },
      manifestKey: evaluatePrefix(`${s3.Prefix}manifests/`, at) + name,
      errorManifestKey: evaluatePrefix(`${s3.Prefix}errors/manifests/`, at) + name,
      errorReportKey: evaluatePrefix(`${s3.Prefix}errors/reports/`, at) + name + '.json',
    };
    return target as unknown as Record<string, unknown>;
  }

  async encode(raw: Record<string, unknown>, records: LogRecord[], opts?: EncodeOptions): Promise<EncodedBatch> {
    const t = raw as unknown as RedshiftTarget;
    const { body, bytes } = await objectBody(t.object.compression, records);
    // The source backup holds the records as they arrived, before any transform.
    const sources = opts?.transformed?.sources ?? records;
    const source = this.opts.current().config.S3BackupMode === 'Enabled' ? sources.map((r) => ({ data: r.data, arrivedAt: r.arrivedAt })) : undefined;
    const out: RedshiftBody = { object: body, source };
    return { body: out, records: records.length, bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<DeliveryReceipt | void> {
    const t = raw as unknown as RedshiftTarget;
    const body = encoded.body as RedshiftBody;
    // Staging follows S3's rules: a failure throws and the pipeline retries it until retention.
    await this.writer.put(t.object, body.object, encoded.records, encoded.bytes, signal);
    const manifestUrl = `s3://${t.object.bucket}/${t.manifestKey}`;
    const manifest = this.manifestBody(t);
    await this.writer.put({ ...t.object, key: t.manifestKey, compression: 'UNCOMPRESSED' }, [manifest], 0, 0, signal, 'application/json');
    // The source backup runs alongside the COPY (started once staging can no longer throw).
    const backup = body.source ? this.opts.sourceBackup.source(t.batchId, body.source) : undefined;
    backup?.catch(() => undefined);

    // COPY is one unit of work for the whole batch: one "record" for the driver, one outcome.
    const unit: SinkRecord = { recordId: t.batchId, data: Buffer.alloc(0), arrivedAt: 0 };
    const result = await this.driver.deliver(this.copySink(t, manifestUrl, encoded), t.batchId, [unit], signal);
    if (result.failed.length > 0) await this.giveUp(t, manifest, result, encoded, signal);
    if (backup) return { durable: (await backup).durable };
    return undefined;
  }

  /** The COPY as a sink: one unit of work per batch, one outcome for all of it. */
  private copySink(t: RedshiftTarget, manifestUrl: string, encoded: EncodedBatch): Sink {
    const m = this.opts.metrics.destination('Redshift');
    const name = this.opts.streamName;
    return {
      send: async (req) => {
        const { config } = this.opts.current();
        const settings = redshiftSettings(config, this.opts.secrets);
        const r = await this.opts.loader.load(settings, { manifestUrl, deliveryStream: name, batchId: t.batchId, roleArn: config.RoleARN, signal: req.signal });
        if (r.alreadyLoaded) {
          this.opts.logger.info({ batch: t.batchId, manifest: manifestUrl, rows: r.rows }, 'manifest already loaded (a batch replayed after a crash): not loaded again');
        } else if (r.rows !== encoded.records && settings.options.ignoreHeader === 0) {
          this.opts.logger.info({ batch: t.batchId, manifest: manifestUrl, rows: r.rows, records: encoded.records }, 'COPY loaded a different number of rows than the batch has records (records without a trailing newline, or holding several rows)');
        }
        m.records.labels(name).inc(encoded.records);
        m.bytes.labels(name).inc(encoded.bytes);
        return { status: 'delivered' };
      },
      classify: classifyRedshiftError,
    };
  }

  private manifestBody(t: RedshiftTarget): Buffer {
    const manifest: Manifest = { entries: [{ url: `s3://${t.object.bucket}/${t.object.key}`, mandatory: true }] };
    return Buffer.from(JSON.stringify(manifest));
  }

  /** The load is given up: its manifest and a report go under errors/, retried until written. */
  private async giveUp(t: RedshiftTarget, manifest: Buffer, result: DriverResult, encoded: EncodedBatch, signal: AbortSignal): Promise<void> {
    const f = result.failed[0];
    this.opts.metrics.deliveryFailedRecords.labels(this.opts.streamName).inc(encoded.records);
    const report = {
      deliveryStreamName: this.opts.streamName,
      manifest: `s3://${t.object.bucket}/${t.manifestKey}`,
      errorManifest: `s3://${t.object.bucket}/${t.errorManifestKey}`,
      records: encoded.records,
      attemptsMade: f.attemptsMade,
      errorCode: f.outcome.errorCode,
      errorMessage: f.outcome.errorMessage,
      attemptEndingTimestamp: f.attemptEndingTimestamp,
    };
    this.opts.logger.error(report, 'COPY failed for the whole retry duration: the batch is skipped and its manifest left under errors/');
    const put = (key: string, body: Buffer, type: string) => () => this.opts.store.put({
      bucket: t.object.bucket, key, body, contentType: type, kmsKeyArn: t.object.kmsKeyArn,
    }).then(() => undefined);
    const retry = { clock: this.opts.clock, backoff: this.opts.backupBackoff, health: this.opts.backupHealth, signal };
    await writeUntilDone('Redshift error manifest', put(t.errorManifestKey, manifest, 'application/json'), retry);
    await writeUntilDone('Redshift error report', put(t.errorReportKey, Buffer.from(JSON.stringify(report) + '\n'), 'application/json'), retry);
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    const e = S3DeliveryError.isInstance(err) ? err : classifyS3Error(err);
    return { code: e.code, message: e.message, retryable: e.retryable };
  }

  flush(): Promise<void> {
    return this.opts.sourceBackup.flush();
  }

  async close(): Promise<void> {
    this.opts.sourceBackup.close();
  }
}
