/**
 * S3 delivery with dynamic partitioning (reference §7.4), one buffer per partition: the pipeline
 * cuts small source batches (`sourceLimits`), each is transformed and its records routed into
 * their partitions' buffers (`PartitionStage`), and each buffer is written as one object when its
 * own BufferingHints size or interval is reached. `deliver` returns once the records are routed
 * and the batch's error objects written; its receipt's `durable` waits for every partition object
 * holding its records, so the batch's checkpoint commits only then. At-least-once after a crash
 * (see `PartitionStage`). On the Redis backend these streams are delivered by the node holding
 * their shards, not as delivery jobs (a job would hold its worker for a partition's interval). */
import type { LogRecord } from '../../core/record.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { PrefixEvaluationError } from '../../../sinks/s3/key-layout.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { DeliveryReceipt, EncodedBatch, EncodeOptions } from '../destination.js';
import { DEFAULT_ACTIVE_PARTITION_LIMIT } from '../partitioning/active-partitions.js';
import { PartitionStage, type StagedObject } from '../partitioning/partition-stage.js';
import { activePartitionExceededDocument, METADATA_EXTRACTION_FAILED, processingFailedDocument } from '../transform/index.js';
import { errorObject, type ErrorDocument, type ErrorObject } from './error-objects.js';
import { objectBody, type ObjectTarget, type S3ObjectWriter } from './object-writer.js';
import { partitionObjectKey, placeRecords, type PartitionedPlan, type PartitionGroup, type PlacedBatch } from './partitioned-objects.js';
import type { resolveS3Destination } from './s3-config.js';
import type { ConversionPlan, ConvertedBatch } from './s3-conversion.js';

const MiB = 1024 * 1024;
const DEFAULT_PARTITION_BUFFER_BYTES = 256 * MiB;
/** Source batches of a buffered partitioned stream are small and short, so records reach their partitions' buffers quickly. */
const SOURCE_BATCH_BYTES = MiB;
const SOURCE_BATCH_INTERVAL_MS = 1000;

/**
 * Where and how one batch is written: fixed when the batch is cut, replayed as-is after a crash.
 * With dynamic partitioning the keys depend on the records' partitions, known only after the
 * transform: `partitioned` holds what they derive from, and `key` is unused.
 */
export type S3Target = ObjectTarget & { conversion?: ConversionPlan; partitioned?: PartitionedPlan };

type Written<T> = T & { written?: boolean };

/** A source batch as encoded for the partition buffers: placed until `deliver` routes it (once: `durable` is then set). */
interface StagedBody {
  placed?: PlacedBatch;
  durable?: Promise<void>;
  /** Failed-record documents (unpartitionable, over the active-partition limit), by type. */
  errorDocs?: Map<string, ErrorDocument[]>;
  errors?: Written<ErrorObject>[];
}

/** A cut partition buffer, encoded once (retries reuse it). */
interface PreparedPartition {
  file?: Written<{ target: ObjectTarget; body: Buffer[]; records: number; bytes: number }>;
  errors: Written<ErrorObject>[];
}

export interface PartitionedDeliveryOptions {
  streamName: string;
  current: () => { config: ReturnType<typeof resolveS3Destination>; version: number };
  metrics: Metrics;
  writer: S3ObjectWriter;
  /** Record format conversion of one object's records (the S3 destination's). */
  convert: (plan: ConversionPlan, records: LogRecord[], signal?: AbortSignal) => Promise<EncodedBatch>;
  /** Active partitions of the delivery stream (default 500, AWS's limit). */
  activePartitionLimit?: number;
  /** Bytes the partition buffers may hold before the largest is written early (default 256 MiB). */
  partitionBufferBytes?: number;
  logger?: Logger;
}

export class PartitionedS3Delivery {
  /** The partition buffers, created with the first partitioned batch. */
  private stage: PartitionStage<PartitionGroup> | undefined;
  private closed = false;

  constructor(private readonly opts: PartitionedDeliveryOptions) {}

  private get limit(): number {
    return this.opts.activePartitionLimit ?? DEFAULT_ACTIVE_PARTITION_LIMIT;
  }

  /** The source batches' limits (BufferingHints apply to each partition's buffer). */
  sourceLimits(hints: { SizeInMBs?: number; IntervalInSeconds?: number }): BatchLimits {
    return { maxBytes: Math.min(SOURCE_BATCH_BYTES, (hints.SizeInMBs ?? 64) * MiB), intervalMs: Math.min(SOURCE_BATCH_INTERVAL_MS, (hints.IntervalInSeconds ?? 300) * 1000) };
  }

  async encode(target: S3Target, plan: PartitionedPlan, records: LogRecord[], opts: EncodeOptions): Promise<EncodedBatch> {
    const { key: _key, conversion, partitioned: _p, ...object } = target;
    const placed = placeRecords(object, conversion?.settings, plan, records, opts);
    let bytes = 0;
    for (const e of placed.entries) bytes += e.record.data.length;
    const body: StagedBody = { placed };
    return { body, records: placed.entries.length, bytes };
  }

  async deliver(plan: PartitionedPlan, encoded: EncodedBatch, signal: AbortSignal): Promise<void | DeliveryReceipt> {
    return this.deliverStaged(plan, encoded.body as StagedBody, signal);
  }

  /** Write every partition buffer now (drain). */
  async flush(): Promise<void> {
    await this.stage?.flush();
  }

  /** Arrival of the oldest record in a partition buffer not yet written (Infinity when none). */
  oldestBuffered(): number {
    return this.stage?.oldestArrival() ?? Infinity;
  }

  /** Stop: what the partition buffers hold is dropped; its source batches stay pending and are replayed. */
  close(): void {
    this.closed = true;
    this.stage?.close();
  }

  private async putOnce(w: { written?: boolean }, target: ObjectTarget, body: Buffer[], records: number, bytes: number, signal: AbortSignal): Promise<void> {
    if (w.written) return;
    await this.opts.writer.put(target, body, records, bytes, signal);
    w.written = true;
  }

  private setMetrics(active: number, exceeded: boolean): void {
    const m = this.opts.metrics;
    const name = this.opts.streamName;
    m.activePartitionsLimit.labels(name).set(this.limit);
    m.partitionCount.labels(name).set(active);
    m.partitionCountExceeded.labels(name).set(exceeded ? 1 : 0);
  }

  private partitionStage(): PartitionStage<PartitionGroup> {
    this.stage ??= new PartitionStage<PartitionGroup>({
      limits: () => {
        const hints = this.opts.current().config.BufferingHints;
        return { maxBytes: (hints.SizeInMBs ?? 64) * MiB, intervalMs: (hints.IntervalInSeconds ?? 300) * 1000 };
      },
      activePartitionLimit: this.limit,
      maxBufferedBytes: this.opts.partitionBufferBytes ?? DEFAULT_PARTITION_BUFFER_BYTES,
      write: (o, signal) => this.writePartition(o, signal),
      logger: this.opts.logger,
    });
    return this.stage;
  }

  /**
   * A source batch: its records go into their partitions' buffers (once; a retry after a failed
   * error-object write does not add them again), its failed records into error objects.
   */
  private async deliverStaged(plan: PartitionedPlan, body: StagedBody, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (!body.durable) {
      if (this.closed) throw new Error('the destination is closed');
      const placed = body.placed!;
      const stage = this.partitionStage();
      const { durable, refused } = stage.route(plan.batchId, placed.entries);
      body.durable = durable;
      if (refused.length > 0) {
        const at = Date.now();
        placed.errors.set('activePartitionExceeded', refused.map((i) => {
          const src = placed.originals[i];
          const keys = placed.entries[i].group.keys;
          return { doc: activePartitionExceededDocument({ arrivedAt: src.arrivedAt, rawData: src.data, limit: this.limit, at, partitionKeys: { ...keys.query, ...keys.lambda } }), arrivedAt: src.arrivedAt };
        }));
      }
      this.setMetrics(stage.activeCount, refused.length > 0);
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
    for (const e of body.errors) await this.putOnce(e, e.target, e.body, 0, 0, signal);
    // Too much buffered: the largest buffers are written early, and this batch's slot is held meanwhile (reading pauses).
    await this.stage?.relieve();
    return { durable: body.durable };
  }

  /** Write one cut partition buffer: one object (a Parquet file with conversion), encoded once. */
  private async writePartition(object: StagedObject<PartitionGroup>, signal: AbortSignal): Promise<void> {
    let prepared = object.prepared as PreparedPartition | undefined;
    if (!prepared) {
      prepared = await this.preparePartition(object, signal);
      object.prepared = prepared;
    }
    for (const e of prepared.errors) await this.putOnce(e, e.target, e.body, 0, 0, signal);
    const f = prepared.file;
    if (f) await this.putOnce(f, f.target, f.body, f.records, f.bytes, signal);
  }

  private async preparePartition(object: StagedObject<PartitionGroup>, signal: AbortSignal): Promise<PreparedPartition> {
    const g = object.group;
    let key: string;
    try {
      key = partitionObjectKey(object);
    } catch (err) {
      if (!(err instanceof PrefixEvaluationError)) throw err;
      // Checked when the records were placed; should the Prefix fail now, the records are not lost.
      const { config, version } = this.opts.current();
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
      const converted = await this.opts.convert({ settings: g.conversion, batchId: key }, object.records, signal);
      const { file, errors } = converted.body as ConvertedBatch;
      return { file: file ? { target, body: [file], records: converted.records, bytes: converted.bytes } : undefined, errors: errors ? [errors] : [] };
    }
    const encoded = await objectBody(g.target.compression, object.records);
    return { file: { target, body: encoded.body, records: object.records.length, bytes: encoded.bytes }, errors: [] };
  }
}
