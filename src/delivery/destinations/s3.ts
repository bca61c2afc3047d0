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
import { partitionObjectKey, placeRecords, type PartitionedPlan, type PartitionGroup, type PlacedBatch } from './partitioned-objects.js';
import { DEFAULT_ACTIVE_PARTITION_LIMIT } from '../partitioning/active-partitions.js';
import { PartitionStage, type StagedObject } from '../partitioning/partition-stage.js';
import { PrefixEvaluationError } from '../../../sinks/s3/key-layout.js';
import { activePartitionExceededDocument, METADATA_EXTRACTION_FAILED, processingFailedDocument } from '../transform/index.js';
import type { ErrorDocument } from './error-objects.js';
import type { DeliveryReceipt } from '../destination.js';
import type { Logger } from '../../observability/logger.js';

const MiB = 1024 * 1024;

/**
 * Where and how one batch is written: fixed when the batch is cut, replayed as-is after a crash.
 * With dynamic partitioning the keys depend on the records' partitions, known only after the
 * transform: `partitioned` holds what they derive from, and `key` is unused.
 */
type S3Target = ObjectTarget & { conversion?: ConversionPlan; partitioned?: PartitionedPlan };

/**
 * A partitioned source batch as encoded: its records placed (partition computed), until `deliver`
 * routes them into their partitions' buffers (once: `durable` is then set).
 */
interface PartitionedBody {
  placed?: PlacedBatch;
  durable?: Promise<void>;
  /** Failed-record documents (unpartitionable, over the active-partition limit), by type. */
  errorDocs?: Map<string, ErrorDocument[]>;
  errors?: (ErrorObject & { written?: boolean })[];
}

/** A cut partition buffer, encoded once (retries reuse it). */
interface PreparedPartition {
  file?: { target: ObjectTarget; body: Buffer[]; records: number; bytes: number; written?: boolean };
  errors: (ErrorObject & { written?: boolean })[];
}

const DEFAULT_PARTITION_BUFFER_BYTES = 256 * MiB;
/** Source batches of a partitioned stream are small and short, so records reach their partitions' buffers quickly. */
const SOURCE_BATCH_BYTES = MiB;
const SOURCE_BATCH_INTERVAL_MS = 1000;

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
  /** The partition buffers (dynamic partitioning), created with the first partitioned batch. */
  private partitions: PartitionStage<PartitionGroup> | undefined;
  private closed = false;

  constructor(private readonly opts: S3DestinationOptions) {
    this.writer = new S3ObjectWriter(opts.streamName, opts.store, opts.metrics);
  }

  limits(): BatchLimits {
    const { config } = this.opts.current();
    const hints = config.BufferingHints;
    if (config.DynamicPartitioningConfiguration?.Enabled === true) {
      // BufferingHints apply to each partition's buffer (see PartitionStage); the source batches are small.
      return { maxBytes: Math.min(SOURCE_BATCH_BYTES, (hints.SizeInMBs ?? 32) * MiB), intervalMs: Math.min(SOURCE_BATCH_INTERVAL_MS, (hints.IntervalInSeconds ?? 60) * 1000) };
    }
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

  /** Dynamic partitioning: the batch's records placed in their partitions; `deliver` routes them into the partition buffers. */
  private async encodePartitioned(target: S3Target, plan: PartitionedPlan, records: LogRecord[], opts: EncodeOptions): Promise<EncodedBatch> {
    const { key: _key, conversion, partitioned: _p, ...object } = target;
    const placed = placeRecords(object, conversion?.settings, plan, records, opts);
    let bytes = 0;
    for (const e of placed.entries) bytes += e.record.data.length;
    const body: PartitionedBody = { placed };
    return { body, records: placed.entries.length, bytes };
  }

  private stage(): PartitionStage<PartitionGroup> {
    this.partitions ??= new PartitionStage<PartitionGroup>({
      limits: () => {
        const hints = this.opts.current().config.BufferingHints;
        return { maxBytes: (hints.SizeInMBs ?? 64) * MiB, intervalMs: (hints.IntervalInSeconds ?? 300) * 1000 };
      },
      activePartitionLimit: this.opts.activePartitionLimit ?? DEFAULT_ACTIVE_PARTITION_LIMIT,
      maxBufferedBytes: this.opts.partitionBufferBytes ?? DEFAULT_PARTITION_BUFFER_BYTES,
      write: (o, signal) => this.writePartition(o, signal),
      logger: this.opts.logger,
    });
    return this.partitions;
  }

  /**
   * A source batch of a partitioned stream: its records go into their partitions' buffers (once;
   * a retry after a failed error-object write does not add them again), its failed records into
   * error objects. The receipt's `durable` resolves once every partition object holding one of its
   * records is written: only then does its checkpoint commit.
   */
  private async deliverPartitioned(plan: PartitionedPlan, body: PartitionedBody, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (!body.durable) {
      if (this.closed) throw new Error('the destination is closed');
      const placed = body.placed!;
      const stage = this.stage();
      const { durable, refused } = stage.route(plan.batchId, placed.entries);
      body.durable = durable;
      const limit = this.opts.activePartitionLimit ?? DEFAULT_ACTIVE_PARTITION_LIMIT;
      if (refused.length > 0) {
        const docs: ErrorDocument[] = [];
        const at = Date.now();
        for (const i of refused) {
          const src = placed.originals[i];
          const keys = placed.entries[i].group.keys;
          docs.push({ doc: activePartitionExceededDocument({ arrivedAt: src.arrivedAt, rawData: src.data, limit, at, partitionKeys: { ...keys.query, ...keys.lambda } }), arrivedAt: src.arrivedAt });
        }
        placed.errors.set('activePartitionExceeded', docs);
      }
      const m = this.opts.metrics;
      m.activePartitionsLimit.labels(plan.streamName).set(limit);
      m.partitionCount.labels(plan.streamName).set(stage.activeCount);
      m.partitionCountExceeded.labels(plan.streamName).set(refused.length > 0 ? 1 : 0);
      body.errorDocs = placed.errors;
      body.placed = undefined; // the records are in the buffers now
    }
    if (!body.errors) {
      const { config, version } = this.opts.current();
      const errors: ErrorObject[] = [];
      // Not the transform's identity (its processing-failed object is keyed by the batch too).
      for (const [type, docs] of body.errorDocs!) errors.push(await errorObject(plan.streamName, { config, version }, `${plan.batchId}\0partitioning`, type, docs));
      body.errors = errors;
    }
    for (const e of body.errors) {
      if (e.written) continue;
      await this.writer.put(e.target, e.body, 0, 0, signal);
      e.written = true;
    }
    // Too much buffered: the largest buffers are written early, and this batch's slot is held meanwhile (reading pauses).
    await this.partitions?.relieve();
    return { durable: body.durable };
  }

  /** Write one cut partition buffer: one object (a Parquet file with conversion), encoded once. */
  private async writePartition(object: StagedObject<PartitionGroup>, signal: AbortSignal): Promise<void> {
    let prepared = object.prepared as PreparedPartition | undefined;
    if (!prepared) {
      prepared = await this.preparePartition(object, signal);
      object.prepared = prepared;
    }
    for (const e of prepared.errors) {
      if (e.written) continue;
      await this.writer.put(e.target, e.body, 0, 0, signal);
      e.written = true;
    }
    const f = prepared.file;
    if (f && !f.written) {
      await this.writer.put(f.target, f.body, f.records, f.bytes, signal);
      f.written = true;
    }
  }

  private async preparePartition(object: StagedObject<PartitionGroup>, signal: AbortSignal): Promise<PreparedPartition> {
    const g = object.group;
    const { config, version } = this.opts.current();
    let key: string;
    try {
      key = partitionObjectKey(object);
    } catch (err) {
      if (!(err instanceof PrefixEvaluationError)) throw err;
      // Checked when the records were placed; should the Prefix fail now, the records are not lost.
      const at = Date.now();
      const docs = object.records.map((r) => ({
        doc: processingFailedDocument({
          errorOutputType: 'processing-failed', errorCode: METADATA_EXTRACTION_FAILED, errorMessage: `The Prefix cannot be evaluated for the record's partition: ${err.message}`,
          attemptsMade: 1, attemptEndingTimestamp: at, rawData: r.data, arrivedAt: r.arrivedAt,
        }),
        arrivedAt: r.arrivedAt,
      }));
      return { errors: [await errorObject(g.plan.streamName, { config, version }, object.identity, 'processing-failed', docs)] };
    }
    const target: ObjectTarget = { ...g.target, key };
    if (g.conversion) {
      const converted = await this.encodeConverted({ settings: g.conversion, batchId: key }, object.records, signal);
      const { file, errors } = converted.body as ConvertedBatch;
      return { file: file ? { target, body: [file], records: converted.records, bytes: converted.bytes } : undefined, errors: errors ? [errors] : [] };
    }
    const encoded = await objectBody(g.target.compression, object.records);
    return { file: { target, body: encoded.body, records: object.records.length, bytes: encoded.bytes }, errors: [] };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void | DeliveryReceipt> {
    const target = raw as unknown as S3Target;
    if (target.partitioned) return this.deliverPartitioned(target.partitioned, encoded.body as PartitionedBody, signal);
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
    await this.partitions?.flush();
  }

  /** Arrival of the oldest record in a partition buffer not yet written (Infinity when none). */
  oldestBuffered(): number {
    return this.partitions?.oldestArrival() ?? Infinity;
  }

  /** Stop: what the partition buffers hold is dropped; its source batches stay pending and are replayed. */
  async close(): Promise<void> {
    this.closed = true;
    this.partitions?.close();
  }
}
