import type { LogRecord } from '../../core/record.js';
import type { Sink, SinkRecord } from '../../core/sink.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { S3Backup } from '../../backup/s3-backup.js';
import type { Clock } from '../../util/clock.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, DeliveryReceipt, Destination, EncodedBatch } from '../destination.js';
import { DeliveryDriver, type DriverResult, type FailedRecord, type RetrySettings } from '../driver/delivery-driver.js';
import { driverMetrics } from '../driver/driver-metrics.js';
import type { RetryBudget } from '../driver/retry-budget.js';

export interface SinkDestinationOptions {
  streamName: string;
  /** Short name for logs and journal targets, e.g. `http-endpoint`. */
  kind: string;
  sink: Sink;
  /** Metrics are `DeliveryTo<metricName>.*`, e.g. `HttpEndpoint`, `Splunk`, `AmazonOpenSearchService`. */
  metricName: string;
  limits: () => BatchLimits;
  retry: RetrySettings;
  /** The destination's retry budget (shared by all its batches). */
  budget: RetryBudget;
  /** The `!{firehose:error-output-type}` of failed records, e.g. `http-endpoint-failed`. */
  errorOutputType: string;
  /** True when every record is also written to the backup (AllData, AllDocuments, AllEvents). */
  backupAll: () => boolean;
  backup: S3Backup;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
}

/** What a sink destination fixes at cut time: only the batch identity (sinks derive request ids and document ids from it). */
interface SinkTarget {
  kind: string;
  batchId: string;
}

/**
 * Any `Sink` as a delivery destination: the delivery driver retries its records within the
 * retry duration under the destination's retry budget; what is left goes to the S3 backup as
 * Firehose failed-record JSON (with the sink's own fields), and with "all" backup every record is
 * also written to the backup as it is, in parallel with delivery. The batch's checkpoint moves
 * once both backups are durable.
 */
export class SinkDestination implements Destination {
  readonly kind: string;
  private readonly driver: DeliveryDriver;

  constructor(private readonly opts: SinkDestinationOptions) {
    this.kind = opts.kind;
    this.driver = new DeliveryDriver({
      retry: opts.retry,
      budget: opts.budget,
      logger: opts.logger,
      clock: opts.clock,
      random: opts.random,
      ...driverMetrics(opts.metrics, opts.metricName, opts.streamName),
    });
  }

  limits(): BatchLimits {
    return this.opts.limits();
  }

  plan(batch: CutBatch): Record<string, unknown> {
    const target: SinkTarget = { kind: this.kind, batchId: batch.id };
    return target as unknown as Record<string, unknown>;
  }

  async encode(raw: Record<string, unknown>, records: LogRecord[]): Promise<EncodedBatch> {
    const { batchId } = raw as unknown as SinkTarget;
    const out = new Array<SinkRecord>(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      out[i] = { recordId: sinkRecordId(batchId, i), data: records[i].data, arrivedAt: records[i].arrivedAt };
      bytes += records[i].data.length;
    }
    return { body: out, records: out.length, bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<DeliveryReceipt | void> {
    const { batchId } = raw as unknown as SinkTarget;
    const records = encoded.body as SinkRecord[];
    // "All" backup runs in parallel with delivery.
    const source = this.opts.backupAll() ? this.opts.backup.source(batchId, records) : undefined;
    source?.catch(() => undefined);
    const result = await this.driver.deliver(this.opts.sink, batchId, records, signal);
    const durable: Promise<void>[] = [];
    if (result.failed.length > 0) durable.push((await this.backupFailed(batchId, result)).durable);
    if (source) durable.push((await source).durable);
    return durable.length > 0 ? { durable: Promise.all(durable).then(() => undefined) } : undefined;
  }

  private backupFailed(batchId: string, result: DriverResult) {
    const sink = this.opts.sink;
    this.opts.metrics.deliveryFailedRecords.labels(this.opts.streamName).inc(result.failed.length);
    return this.opts.backup.failed(this.opts.errorOutputType, batchId, result.failed.map((f: FailedRecord) => ({
      data: f.record.data,
      arrivedAt: f.record.arrivedAt,
      attemptsMade: f.attemptsMade,
      errorCode: f.outcome.errorCode,
      errorMessage: f.outcome.errorMessage,
      attemptEndingTimestamp: f.attemptEndingTimestamp,
      extra: sink.failedRecordFields?.(f.record),
    })));
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    return { code: (err as { code?: string })?.code ?? 'InternalError', message: err instanceof Error ? err.message : String(err), retryable: true };
  }

  flush(): Promise<void> {
    return this.opts.backup.flush();
  }

  async close(): Promise<void> {
    this.opts.backup.close();
    await this.opts.sink.close?.();
  }
}

/** A record's id within its batch: stable across retries and replays (a batch lists its records in a fixed order). */
export function sinkRecordId(batchId: string, index: number): string {
  return `${batchId}.${index}`;
}
