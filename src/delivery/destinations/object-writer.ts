import type { LogRecord } from '../../core/record.js';
import type { Metrics } from '../../observability/metrics.js';
import { compress, type CompressionFormat } from '../../../sinks/s3/compress.js';
import { contentEncodingFor, OBJECT_CONTENT_TYPE } from '../../../sinks/s3/compression-format.js';
import type { ObjectStore } from '../../../sinks/s3/object-store.js';

/** Where one object goes. */
export interface ObjectTarget {
  bucket: string;
  key: string;
  compression: CompressionFormat;
  kmsKeyArn?: string;
}

/**
 * An object body from records: concatenated as they are (Firehose adds no delimiter) into one
 * contiguous buffer, so the per-record objects can go while the batch is in flight; compression
 * runs on the thread pool.
 */
export async function objectBody(compression: CompressionFormat, records: readonly LogRecord[]): Promise<{ body: Buffer[]; bytes: number }> {
  const chunks = new Array<Buffer>(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    chunks[i] = records[i].data;
    bytes += chunks[i].length;
  }
  const body = compression === 'UNCOMPRESSED' ? [Buffer.concat(chunks, bytes)] : await compress(compression, chunks);
  return { body, bytes };
}

/**
 * One object PUT (one attempt) counted in the `DeliveryToS3.*` metrics: the S3 destination's
 * objects and Redshift's staged objects.
 */
export class S3ObjectWriter {
  private attempts = 0;
  private successes = 0;

  constructor(private readonly streamName: string, private readonly store: ObjectStore, private readonly metrics: Metrics) {}

  /** `records`/`bytes` are counted as delivered when the object is written (0 for a manifest). */
  async put(target: ObjectTarget, body: Buffer[], records: number, bytes: number, signal: AbortSignal, contentType = OBJECT_CONTENT_TYPE): Promise<void> {
    const name = this.streamName;
    const m = this.metrics;
    this.attempts++;
    m.deliveryToS3Attempts.labels(name).inc();
    try {
      await this.store.put({
        bucket: target.bucket,
        key: target.key,
        body,
        contentType,
        contentEncoding: contentEncodingFor(target.compression),
        kmsKeyArn: target.kmsKeyArn,
        signal,
      });
      this.successes++;
    } finally {
      m.deliveryToS3Success.labels(name).set(this.successes / this.attempts);
    }
    if (records > 0) {
      m.deliveryToS3Records.labels(name).inc(records);
      m.deliveryToS3Bytes.labels(name).inc(bytes);
    }
    m.deliveryToS3Objects.labels(name).inc();
  }
}
