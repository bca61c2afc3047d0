import type { LogRecord } from '../../core/record.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BatchLimits } from '../buffer/batcher.js';
import type { CutBatch, Destination, EncodedBatch } from '../destination.js';
import { batchObjectId, evaluatePrefix, extensionFor, objectKey, seededRandomStrings, type CompressionFormat } from '../../../sinks/s3/key-layout.js';
import { contentEncodingFor, OBJECT_CONTENT_TYPE } from '../../../sinks/s3/compression-format.js';
import { bucketFromArn, type ObjectStore } from '../../../sinks/s3/object-store.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';
import { compress } from '../../../sinks/s3/compress.js';
import { classifyS3Error } from '../../../sinks/s3/retry.js';
import type { resolveS3Destination } from './s3-config.js';

const MiB = 1024 * 1024;

/** Where and how one batch is written: fixed when the batch is cut, replayed as-is after a crash. */
interface S3Target {
  bucket: string;
  key: string;
  compression: CompressionFormat;
  kmsKeyArn?: string;
}

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
  private attempts = 0;
  private successes = 0;

  constructor(private readonly opts: S3DestinationOptions) {}

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
    const target = raw as unknown as S3Target;
    const chunks = new Array<Buffer>(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      chunks[i] = records[i].data;
      bytes += chunks[i].length;
    }
    // Records are concatenated as they are (Firehose adds no delimiter). One contiguous body lets
    // the per-record objects go while the batch is in flight; compression runs on the thread pool.
    const body = target.compression === 'UNCOMPRESSED' ? [Buffer.concat(chunks, bytes)] : await compress(target.compression, chunks);
    return { body, records: records.length, bytes };
  }

  async deliver(raw: Record<string, unknown>, encoded: EncodedBatch, signal: AbortSignal): Promise<void> {
    const target = raw as unknown as S3Target;
    const name = this.opts.streamName;
    this.attempts++;
    this.opts.metrics.deliveryToS3Attempts.labels(name).inc();
    try {
      await this.opts.store.put({
        bucket: target.bucket,
        key: target.key,
        body: encoded.body as Buffer[],
        contentType: OBJECT_CONTENT_TYPE,
        contentEncoding: contentEncodingFor(target.compression),
        kmsKeyArn: target.kmsKeyArn,
        signal,
      });
      this.successes++;
    } finally {
      this.opts.metrics.deliveryToS3Success.labels(name).set(this.successes / this.attempts);
    }
    this.opts.metrics.deliveryToS3Records.labels(name).inc(encoded.records);
    this.opts.metrics.deliveryToS3Bytes.labels(name).inc(encoded.bytes);
    this.opts.metrics.deliveryToS3Objects.labels(name).inc();
  }

  describeFailure(err: unknown): { code: string; message: string; retryable: boolean } {
    const e = S3DeliveryError.isInstance(err) ? err : classifyS3Error(err);
    return { code: e.code, message: e.message, retryable: e.retryable };
  }

  async close(): Promise<void> {}
}
