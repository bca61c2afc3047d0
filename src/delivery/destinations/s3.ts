import type { LogRecord } from '../../core/record.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, Destination, EncodedBatch } from '../destination.js';
import { batchObjectId, evaluatePrefix, extensionFor, objectKey, seededRandomStrings, type CompressionFormat } from '../../../sinks/s3/key-layout.js';
import { bucketFromArn, type ObjectStore } from '../../../sinks/s3/object-store.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { classifyS3Error } from '../../../sinks/s3/retry.js';
import { objectBody, S3ObjectWriter, type ObjectTarget } from './object-writer.js';
import type { resolveS3Destination } from './s3-config.js';

const MiB = 1024 * 1024;

/** Where and how one batch is written: fixed when the batch is cut, replayed as-is after a crash. */
type S3Target = ObjectTarget;

export interface S3DestinationOptions {
  streamName: string;
  /** The destination's current configuration and the stream's VersionId. */
  current: () => { config: ReturnType<typeof resolveS3Destination>; version: number };
  store: ObjectStore;
  metrics: Metrics;
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
    const prefix = evaluatePrefix(config.Prefix, {
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
      extension: extensionFor(compression, config.FileExtension),
    });
    const target: S3Target = {
      bucket: bucketFromArn(config.BucketARN),
      key,
      compression,
      kmsKeyArn: config.EncryptionConfiguration.KMSEncryptionConfig?.AWSKMSKeyARN,
    };
    return target as unknown as Record<string, unknown>;
  }

  async encode(raw: Record<string, unknown>, records: LogRecord[]): Promise<EncodedBatch> {
    const { body, bytes } = await objectBody((raw as unknown as S3Target).compression, records);
    return { body, records: records.length, bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void> {
    await this.writer.put(raw as unknown as S3Target, encoded.body as Buffer[], encoded.records, encoded.bytes, signal);
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    const e = S3DeliveryError.isInstance(err) ? err : classifyS3Error(err);
    return { code: e.code, message: e.message, retryable: e.retryable };
  }

  async close(): Promise<void> {}
}
