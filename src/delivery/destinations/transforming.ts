/**
 * Data transformation in front of any destination (`ProcessingConfiguration`): when a batch is
 * encoded — once per batch, before the destination frames or compresses it — the processor chain
 * (decompression, CloudWatch Logs extraction, de-aggregation, the Lambda, MetadataExtraction,
 * AppendDelimiterToRecord) runs over its records. Records the chain drops are gone; records it
 * fails go, as Firehose's processing-failed documents (with their original bytes), into one error
 * object per batch and error output type under the error prefix; the rest go on to the wrapped
 * destination with their partition keys. The batch's checkpoint moves only once the destination
 * has its records and the error objects are written.
 *
 * Replays are deterministic: the chain's record ids and the error objects' keys derive from the
 * batch identity, so a batch processed again after a crash presents the same ids to the Lambda
 * and overwrites its error objects.
 */
import { createHash } from 'node:crypto';
import type { LogRecord } from '../../core/record.js';
import type { Logger } from '../../observability/logger.js';
import type { BackupHealth } from '../../backup/write-retry.js';
import { writeUntilDone } from '../../backup/write-retry.js';
import type { S3Backup, SourceRecord } from '../../backup/s3-backup.js';
import type { Accepted } from '../../backup/object-buffer.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import type { Clock } from '../../util/clock.js';
import type { ObjectStore } from '../../../sinks/s3/object-store.js';
import { contentEncodingFor, OBJECT_CONTENT_TYPE } from '../../../sinks/s3/compression-format.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, DeliveryReceipt, Destination, EncodedBatch, EncodeOptions } from '../destination.js';
import {
  processingFailedDocument, TransformAbortedError, type KinesisRecordMetadata, type PartitionKeys, type ProcessorChain, type TransformInput,
} from '../transform/index.js';
import { errorObject, type ErrorDocument, type ErrorObject, type ErrorOutputLocation } from './error-objects.js';

export interface TransformingDestinationOptions {
  inner: Destination;
  streamName: string;
  /** The chain of the current configuration (undefined or inactive: records pass through untouched). */
  chain: () => ProcessorChain | undefined;
  /** Where failed records go now. */
  errorOutput: () => ErrorOutputLocation;
  store: ObjectStore;
  clock: Clock;
  /** Retries of a failed error-object write (delivery of the batch waits for it). */
  backoff: BackoffPolicy;
  health: BackupHealth;
  logger: Logger;
  /** The Lambda event's `kinesisRecordMetadata` of a record (Kinesis data stream sources). */
  kinesisMetadata?: (record: LogRecord) => KinesisRecordMetadata | undefined;
  /**
   * Source-record backup (S3BackupMode Enabled on Extended S3): while `enabled()`, every batch's
   * records as they arrived are also written there; the batch's checkpoint waits for that write.
   */
  sourceBackup?: { enabled: () => boolean; backup: S3Backup };
  /** Counts per batch: records delivered on, dropped and failed by the chain. */
  onProcessed?: (counts: { ok: number; okBytes: number; dropped: number; failed: number }) => void;
}

/** The member a transforming destination adds to the wrapped destination's target. */
interface TransformTarget {
  transformBatchId?: string;
}

interface PendingError extends ErrorObject {
  writing?: Promise<void>;
}

interface TransformedBody {
  batchId: string;
  inner?: EncodedBatch;
  errors: PendingError[];
  /** The untransformed records, for the source backup. */
  sources?: SourceRecord[];
  sourceBackup?: Promise<Accepted>;
}

export class TransformingDestination implements Destination {
  private readonly stopped = new AbortController();

  constructor(private readonly opts: TransformingDestinationOptions) {}

  get kind(): string {
    return this.opts.inner.kind;
  }

  limits(): BatchLimits {
    return this.opts.inner.limits();
  }

  plan(batch: CutBatch): Record<string, unknown> {
    const target = this.opts.inner.plan(batch);
    return { ...target, transformBatchId: batch.id } satisfies TransformTarget;
  }

  async encode(target: Record<string, unknown>, records: LogRecord[], opts: EncodeOptions = {}): Promise<EncodedBatch> {
    const chain = this.opts.chain();
    const batchId = (target as TransformTarget).transformBatchId ?? createHash('sha256').update(JSON.stringify(target)).digest('hex').slice(0, 32);
    const sources = this.opts.sourceBackup?.enabled() ? records.map((r) => ({ data: r.data, arrivedAt: r.arrivedAt })) : undefined;
    if (!chain?.active) return this.wrap(batchId, await this.opts.inner.encode(target, records, opts), [], sources);
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.stopped.signal]) : this.stopped.signal;
    const metadata = this.opts.kinesisMetadata;
    const inputs = records.map((r): TransformInput => {
      const kinesisRecordMetadata = metadata?.(r);
      return kinesisRecordMetadata ? { data: r.data, arrivedAt: r.arrivedAt, kinesisRecordMetadata } : { data: r.data, arrivedAt: r.arrivedAt };
    });
    const results = await chain.process(batchId, inputs, signal);
    const out: LogRecord[] = [];
    const origin: number[] = [];
    const partitionKeys: (PartitionKeys | undefined)[] = [];
    const failed = new Map<string, ErrorDocument[]>();
    let dropped = 0;
    let okBytes = 0;
    for (const r of results) {
      if (r.result === 'Ok') {
        okBytes += r.data.length;
        const source = records[r.source];
        out.push({ position: source.position, arrivedAt: source.arrivedAt, partitionKey: source.partitionKey, data: r.data });
        origin.push(r.source);
        partitionKeys.push(r.partitionKeys);
      } else if (r.result === 'Dropped') {
        dropped++;
      } else {
        const type = r.failure.errorOutputType;
        let docs = failed.get(type);
        if (!docs) failed.set(type, (docs = []));
        docs.push({ doc: processingFailedDocument(r.failure), arrivedAt: r.failure.arrivedAt });
      }
    }
    let failedCount = 0;
    for (const docs of failed.values()) failedCount += docs.length;
    this.opts.onProcessed?.({ ok: out.length, okBytes, dropped, failed: failedCount });
    if (failedCount > 0) {
      this.opts.logger.warn({ batch: batchId, failed: failedCount, errorOutputTypes: [...failed.keys()] }, 'records failed processing: they go to the error prefix');
    }
    const location = this.opts.errorOutput();
    const errors: PendingError[] = [];
    for (const [type, docs] of failed) errors.push(await errorObject(this.opts.streamName, location, batchId, type, docs));
    const inner = out.length > 0
      ? await this.opts.inner.encode(target, out, { signal, transformed: { sources: records, origin, partitionKeys } })
      : undefined;
    return this.wrap(batchId, inner, errors, sources);
  }

  private wrap(batchId: string, inner: EncodedBatch | undefined, errors: PendingError[], sources: SourceRecord[] | undefined): EncodedBatch {
    const body: TransformedBody = { batchId, inner, errors, sources };
    return { body, records: inner?.records ?? 0, bytes: inner?.bytes ?? 0 };
  }

  async deliver(target: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void | DeliveryReceipt> {
    const body = encoded.body as TransformedBody;
    const both = AbortSignal.any([signal, this.stopped.signal]);
    // Error objects are written alongside delivery, each retried until it is written (as a
    // failing backup write pauses a Firehose stream); a retried delivery reuses them.
    const writes = body.errors.map((e) => (e.writing ??= this.writeError(e, both).catch((err: unknown) => {
      e.writing = undefined;
      throw err;
    })));
    for (const w of writes) w.catch(() => undefined);
    // The source backup is handed its records once per batch, alongside delivery.
    const backup = this.opts.sourceBackup?.backup;
    if (backup && body.sources && !body.sourceBackup) {
      body.sourceBackup = backup.source(body.batchId, body.sources);
      body.sourceBackup.catch(() => undefined);
    }
    const receipt = body.inner ? await this.opts.inner.deliver(target, body.inner, signal) : undefined;
    await Promise.all(writes);
    const durable: Promise<void>[] = [];
    if (receipt) durable.push(receipt.durable);
    if (body.sourceBackup) durable.push((await body.sourceBackup).durable);
    if (durable.length === 0) return undefined;
    return { durable: Promise.all(durable).then(() => undefined) };
  }

  private writeError(e: PendingError, signal: AbortSignal): Promise<void> {
    const put = async () => {
      await this.opts.store.put({
        bucket: e.target.bucket,
        key: e.target.key,
        body: e.body,
        contentType: OBJECT_CONTENT_TYPE,
        contentEncoding: contentEncodingFor(e.target.compression),
        kmsKeyArn: e.target.kmsKeyArn,
        signal,
      });
    };
    return writeUntilDone(`failed records (${e.errorOutputType})`, put, { clock: this.opts.clock, backoff: this.opts.backoff, health: this.opts.health, signal });
  }

  async flush(): Promise<void> {
    await Promise.all([this.opts.inner.flush?.(), this.opts.sourceBackup?.backup.flush()]);
  }

  oldestBuffered(): number {
    return this.opts.inner.oldestBuffered?.() ?? Infinity;
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    if (err instanceof TransformAbortedError) return { code: 'Processing.Stopped', message: err.message, retryable: true };
    return this.opts.inner.describeFailure(err);
  }

  async close(): Promise<void> {
    this.stopped.abort();
    this.opts.sourceBackup?.backup.close();
    await this.opts.inner.close();
  }
}
