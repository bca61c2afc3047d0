import type { LogRecord } from '../../core/record.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, Destination, EncodedBatch, EncodeOptions } from '../destination.js';
import { batchObjectId, evaluatePrefix, extensionFor, objectKey, seededRandomStrings, type CompressionFormat } from '../../../sinks/s3/key-layout.js';
import { bucketFromArn, type ObjectStore } from '../../../sinks/s3/object-store.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { classifyS3Error } from '../../../sinks/s3/retry.js';
import { objectBody, S3ObjectWriter, type ObjectTarget } from './object-writer.js';
import type { resolveS3Destination } from './s3-config.js';
import { ConversionTableError, conversionOf, convertBatch, type ConversionPlan, type ConversionServices, type ConvertedBatch } from './s3-conversion.js';
import { errorObject, type ErrorObject } from './error-objects.js';
import { partitionBatch, type PartitionedPlan } from './partitioned-objects.js';
import { DEFAULT_ACTIVE_PARTITION_LIMIT } from '../partitioning/active-partitions.js';

const MiB = 1024 * 1024;

/**
 * Where and how one batch is written: fixed when the batch is cut, replayed as-is after a crash.
 * With dynamic partitioning the keys depend on the records' partitions, known only after the
 * transform: `partitioned` holds what they derive from, and `key` is unused.
 */
type S3Target = ObjectTarget & { conversion?: ConversionPlan; partitioned?: PartitionedPlan };

/** A partitioned batch as encoded: one object per partition, plus the error objects. */
interface PartitionedBody {
  objects: { target: ObjectTarget; body: Buffer[]; records: number; bytes: number; written?: boolean }[];
  errors: (ErrorObject & { written?: boolean })[];
}

export interface S3DestinationOptions {
  streamName: string;
  /** The destination's current configuration and the stream's VersionId. */
  current: () => { config: ReturnType<typeof resolveS3Destination>; version: number };
  store: ObjectStore;
  metrics: Metrics;
  /** Parquet workers and table definitions (record format conversion); absent: a converting batch fails and is retried. */
  conversion?: ConversionServices;
  /** Active partitions per batch with dynamic partitioning (default 500, AWS's per-stream limit). */
  activePartitionLimit?: number;
}

/** Delivery to S3 (or the local object directory) in Firehose's key layout. */
export class S3Destination implements Destination {
  readonly kind = 's3';
  private readonly writer: S3ObjectWriter;

  constructor(private readonly opts: S3DestinationOptions) {
    this.writer = new S3ObjectWriter(opts.streamName, opts.store, opts.metrics);
  }

  limits(): BatchLimits {
    const hints = this.opts.current().config.BufferingHints;
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
    if (target.partitioned) return this.encodePartitioned(target, target.partitioned, records, opts);
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

  /**
   * Dynamic partitioning: one object per partition (each converted to Parquet when conversion is
   * on), the records that could not be placed in error objects; all keys derive from the batch.
   */
  private async encodePartitioned(target: S3Target, plan: PartitionedPlan, records: LogRecord[], opts: EncodeOptions): Promise<EncodedBatch> {
    const limit = this.opts.activePartitionLimit ?? DEFAULT_ACTIVE_PARTITION_LIMIT;
    const split = partitionBatch(plan, records, opts, limit);
    const m = this.opts.metrics;
    m.activePartitionsLimit.labels(plan.streamName).set(limit);
    m.partitionCount.labels(plan.streamName).set(Math.min(split.partitions, limit));
    m.partitionCountExceeded.labels(plan.streamName).set(split.partitions > limit ? 1 : 0);
    const out: PartitionedBody = { objects: [], errors: [] };
    let total = 0;
    let bytes = 0;
    const { config, version } = this.opts.current();
    for (const o of split.objects) {
      const objectTarget: ObjectTarget = { bucket: target.bucket, key: o.key, compression: target.compression, kmsKeyArn: target.kmsKeyArn };
      if (target.conversion) {
        const converted = await this.encodeConverted({ ...target.conversion, batchId: o.key }, o.records, opts.signal);
        const { file, errors } = converted.body as ConvertedBatch;
        if (errors) out.errors.push(errors);
        if (file) out.objects.push({ target: objectTarget, body: [file], records: converted.records, bytes: converted.bytes });
        total += converted.records;
        bytes += converted.bytes;
        continue;
      }
      const encoded = await objectBody(target.compression, o.records);
      out.objects.push({ target: objectTarget, body: encoded.body, records: o.records.length, bytes: encoded.bytes });
      total += o.records.length;
      bytes += encoded.bytes;
    }
    for (const [type, docs] of split.errors) out.errors.push(await errorObject(plan.streamName, { config, version }, plan.batchId, type, docs));
    return { body: out, records: total, bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void> {
    const target = raw as unknown as S3Target;
    if (target.partitioned) {
      // What was written is not written again when a later put fails and the pipeline retries the batch.
      const body = encoded.body as PartitionedBody;
      for (const o of body.objects) {
        if (o.written) continue;
        await this.writer.put(o.target, o.body, o.records, o.bytes, signal);
        o.written = true;
      }
      for (const e of body.errors) {
        if (e.written) continue;
        await this.writer.put(e.target, e.body, 0, 0, signal);
        e.written = true;
      }
      return;
    }
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

  async close(): Promise<void> {}
}
