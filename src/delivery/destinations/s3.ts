import type { LogRecord } from '../../core/record.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, DeliveryReceipt, Destination, EncodedBatch, EncodeOptions } from '../destination.js';
import { batchObjectId, evaluatePrefix, extensionFor, objectKey, seededRandomStrings, type CompressionFormat } from '../../../sinks/s3/key-layout.js';
import { bucketFromArn, type ObjectStore } from '../../../sinks/s3/object-store.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { classifyS3Error } from '../../../sinks/s3/retry.js';
import { objectBody, S3ObjectWriter } from './object-writer.js';
import type { resolveS3Destination } from './s3-config.js';
import { ConversionTableError, conversionOf, convertBatch, type ConversionPlan, type ConversionServices, type ConvertedBatch } from './s3-conversion.js';
import { PartitionedS3Delivery, type S3Target } from './s3-partitioned.js';
import type { Logger } from '../../observability/logger.js';

const MiB = 1024 * 1024;

export interface S3DestinationOptions {
  streamName: string;
  /** The destination's current configuration and the stream's VersionId. */
  current: () => { config: ReturnType<typeof resolveS3Destination>; version: number };
  store: ObjectStore;
  metrics: Metrics;
  /** Parquet workers and table definitions (record format conversion); absent: a converting batch fails and is retried. */
  conversion?: ConversionServices;
  /** Active partitions of the delivery stream with dynamic partitioning (default 500, AWS's limit). */
  activePartitionLimit?: number;
  /** Dynamic partitioning: bytes the partition buffers may hold before the largest is written early (default 256 MiB). */
  partitionBufferBytes?: number;
  logger?: Logger;
}

/** Delivery to S3 (or the local object directory) in Firehose's key layout. */
export class S3Destination implements Destination {
  readonly kind = 's3';
  private readonly writer: S3ObjectWriter;
  /** Dynamic partitioning. */
  private readonly partitioned: PartitionedS3Delivery;

  constructor(private readonly opts: S3DestinationOptions) {
    this.writer = new S3ObjectWriter(opts.streamName, opts.store, opts.metrics);
    this.partitioned = new PartitionedS3Delivery({
      streamName: opts.streamName,
      current: opts.current,
      metrics: opts.metrics,
      writer: this.writer,
      convert: (plan, records, signal) => this.encodeConverted(plan, records, signal),
      activePartitionLimit: opts.activePartitionLimit,
      partitionBufferBytes: opts.partitionBufferBytes,
      logger: opts.logger,
    });
  }

  limits(): BatchLimits {
    const { config } = this.opts.current();
    const hints = config.BufferingHints;
    // With dynamic partitioning, BufferingHints apply to each partition's buffer; the source batches are small.
    if (config.DynamicPartitioningConfiguration?.Enabled === true) return this.partitioned.sourceLimits(hints);
    return { maxBytes: (hints.SizeInMBs ?? 32) * MiB, intervalMs: (hints.IntervalInSeconds ?? 60) * 1000 };
  }

  plan(batch: CutBatch): Record<string, unknown> {
    const { config, version } = this.opts.current();
    const compression = config.CompressionFormat as CompressionFormat;
    const conversion = conversionOf(config);
    const partitioned = config.DynamicPartitioningConfiguration?.Enabled === true;
    const extension = extensionFor(compression, config.FileExtension, conversion ? 'parquet' : undefined);
    // With dynamic partitioning the Prefix needs the records' partition keys: see encodePartitioned.
    const prefix = partitioned ? '' : evaluatePrefix(config.Prefix, {
      arrivalMs: batch.oldestArrival,
      timeZone: config.CustomTimeZone,
      random: seededRandomStrings(batch.id),
    });
    const key = objectKey({
      prefix,
      streamName: this.opts.streamName,
      version,
      arrivalMs: batch.oldestArrival,
      timeZone: config.CustomTimeZone,
      id: batchObjectId(batch.id),
      extension,
    });
    const target: S3Target = {
      bucket: bucketFromArn(config.BucketARN),
      key,
      compression,
      kmsKeyArn: config.EncryptionConfiguration.KMSEncryptionConfig?.AWSKMSKeyARN,
    };
    if (conversion) target.conversion = { settings: conversion, batchId: batch.id };
    if (partitioned) {
      target.partitioned = { batchId: batch.id, prefix: config.Prefix, streamName: this.opts.streamName, version, timeZone: config.CustomTimeZone, extension };
    }
    return target as unknown as Record<string, unknown>;
  }

  async encode(raw: Record<string, unknown>, records: LogRecord[], opts: EncodeOptions = {}): Promise<EncodedBatch> {
    const target = raw as unknown as S3Target;
    if (target.partitioned) return this.partitioned.encode(target, target.partitioned, records, opts);
    if (target.conversion) return this.encodeConverted(target.conversion, records, opts.signal);
    const { body, bytes } = await objectBody(target.compression, records);
    return { body, records: records.length, bytes };
  }

  /** Record format conversion: the body is a Parquet file plus the batch's format-conversion-failed object. */
  private async encodeConverted(plan: ConversionPlan, records: LogRecord[], signal?: AbortSignal): Promise<EncodedBatch> {
    if (!this.opts.conversion) throw new Error('record format conversion is not available on this node');
    const { config, version } = this.opts.current();
    const body = await convertBatch({ services: this.opts.conversion, plan, records, streamName: this.opts.streamName, errorOutput: { config, version }, signal });
    const m = this.opts.metrics;
    const name = this.opts.streamName;
    let bytes = 0;
    for (const r of records) bytes += r.data.length;
    m.succeedConversionRecords.labels(name).inc(body.rows);
    m.succeedConversionBytes.labels(name).inc(body.bytes);
    m.failedConversionRecords.labels(name).inc(records.length - body.rows);
    m.failedConversionBytes.labels(name).inc(bytes - body.bytes);
    return { body, records: body.rows, bytes: body.bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void | DeliveryReceipt> {
    const target = raw as unknown as S3Target;
    if (target.partitioned) return this.partitioned.deliver(target.partitioned, encoded, signal);
    if (!target.conversion) return this.writer.put(target, encoded.body as Buffer[], encoded.records, encoded.bytes, signal);
    const { file, errors } = encoded.body as ConvertedBatch;
    // Both keys are fixed by the batch: a retry (or a replay) overwrites them with the same objects.
    if (errors) await this.writer.put(errors.target, errors.body, 0, 0, signal);
    if (file) await this.writer.put(target, [file], encoded.records, encoded.bytes, signal);
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    if (err instanceof ConversionTableError) return { code: err.code, message: err.message, retryable: true };
    const e = S3DeliveryError.isInstance(err) ? err : classifyS3Error(err);
    return { code: e.code, message: e.message, retryable: e.retryable };
  }

  /** Write every partition buffer now (drain). */
  async flush(): Promise<void> {
    await this.partitioned.flush();
  }

  /** Arrival of the oldest record in a partition buffer not yet written (Infinity when none). */
  oldestBuffered(): number {
    return this.partitioned.oldestBuffered();
  }

  /** Stop: what the partition buffers hold is dropped; its source batches stay pending and are replayed. */
  async close(): Promise<void> {
    this.partitioned.close();
  }
}
