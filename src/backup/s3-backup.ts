import { createHash } from 'node:crypto';
import { compress, type CompressionFormat } from '../../sinks/s3/compress.js';
import { contentEncodingFor, OBJECT_CONTENT_TYPE } from '../../sinks/s3/compression-format.js';
import { batchObjectId, evaluateErrorPrefix, evaluatePrefix, extensionFor, objectKey, seededRandomStrings } from '../../sinks/s3/key-layout.js';
import { bucketFromArn, type ObjectStore } from '../../sinks/s3/object-store.js';
import type { S3DestinationConfiguration } from '../core/s3-configuration.js';
import type { BackoffPolicy } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { resolveS3Configuration } from './backup-config.js';
import { failedRecordDocument, jsonLine, type FailedRecordInput } from './failed-record.js';
import { BufferedObjectWriter, type Accepted, type BufferedChunk } from './object-buffer.js';
import { writeUntilDone, type BackupHealth } from './write-retry.js';

const MiB = 1024 * 1024;

/** What one written backup object held, for metrics. */
export interface BackupObjectWritten {
  kind: 'failed' | 'source';
  /** The error output type of a failed-records object. */
  errorOutputType?: string;
  bucket: string;
  key: string;
  records: number;
  /** Bytes before compression. */
  bytes: number;
}

export interface S3BackupOptions {
  streamName: string;
  /** The backup bucket's configuration and the stream's VersionId, read when an object is written. */
  current: () => { config: S3DestinationConfiguration; version: number };
  store: ObjectStore;
  clock: Clock;
  /** Backoff between retries of a failed write. */
  backoff: BackoffPolicy;
  health: BackupHealth;
  /** Called after each write attempt (`ok` false for a failed one). */
  onAttempt?(kind: 'failed' | 'source', ok: boolean): void;
  onWritten?(object: BackupObjectWritten): void;
}

/** One source record for the source backup (`AllData`, `AllDocuments`, `AllEvents`, `Enabled`). */
export interface SourceRecord {
  data: Buffer;
  arrivedAt: number;
}

/**
 * The S3 backup of one delivery stream, reusable by every destination:
 * - `failed`: failed records as JSON Lines in Firehose's failed-record format, under
 *   `ErrorOutputPrefix` with `!{firehose:error-output-type}` (or `<Prefix><type>/yyyy/MM/dd/HH/`
 *   without one), one buffer per error output type (`http-endpoint-failed`, `splunk-failed`,
 *   `AmazonOpenSearchService-failed`, `processing-failed`, `format-conversion-failed`, ...);
 * - `source`: records as they are (concatenated, as Firehose writes objects) under `Prefix`.
 * Both use the backup configuration's own BufferingHints, CompressionFormat and KMS key and
 * Firehose's object names, with ids derived from the batches in the object. A write is retried
 * until it succeeds (delivery pauses meanwhile); `durable` of each call says when its records are
 * in S3, and the batch's checkpoint waits for it.
 */
export class S3Backup {
  private readonly writers = new Map<string, BufferedObjectWriter>();

  constructor(private readonly opts: S3BackupOptions) {}

  /** Hand failed records to the backup. */
  failed(errorOutputType: string, batchId: string, records: readonly FailedRecordInput[]): Promise<Accepted> {
    return this.failedDocuments(errorOutputType, batchId, records.map((r) => ({ doc: failedRecordDocument(r), arrivedAt: r.arrivedAt })));
  }

  /**
   * Hand already built failed-record documents to the backup (processing-failed and
   * format-conversion-failed records have their own field sets).
   */
  failedDocuments(errorOutputType: string, batchId: string, docs: readonly { doc: unknown; arrivedAt: number }[]): Promise<Accepted> {
    const lines = docs.map((d) => jsonLine(d.doc));
    return this.writer(`failed:${errorOutputType}`, errorOutputType).add(batchId, lines, sum(lines), oldest(docs));
  }

  /** Hand source records to the backup (written raw under Prefix). */
  source(batchId: string, records: readonly SourceRecord[]): Promise<Accepted> {
    const lines = records.map((r) => r.data);
    return this.writer('source').add(batchId, lines, sum(lines), oldest(records));
  }

  /** Write everything buffered now and wait until it is in S3 (SIGTERM drain). */
  async flush(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush()));
  }

  /** Stop: buffered records are not written (their batches are delivered again after a restart). */
  close(): void {
    for (const w of this.writers.values()) w.close();
  }

  /**
   * Write one object outside the buffers (e.g. a Redshift manifest under `errors/`), retried
   * until it succeeds; `signal` stops the retries.
   */
  putUntilDone(what: string, put: () => Promise<void>, signal: AbortSignal): Promise<void> {
    return writeUntilDone(what, put, { clock: this.opts.clock, backoff: this.opts.backoff, health: this.opts.health, signal });
  }

  private writer(name: string, errorOutputType?: string): BufferedObjectWriter {
    let w = this.writers.get(name);
    if (!w) {
      const kind = errorOutputType === undefined ? 'source' : 'failed';
      w = new BufferedObjectWriter({
        what: errorOutputType === undefined ? 'source records' : `failed records (${errorOutputType})`,
        clock: this.opts.clock,
        backoff: this.opts.backoff,
        health: this.opts.health,
        limits: () => {
          const hints = resolveS3Configuration(this.opts.current().config).BufferingHints;
          return { maxBytes: hints.SizeInMBs! * MiB, intervalMs: hints.IntervalInSeconds! * 1000 };
        },
        write: (chunk) => this.writeChunk(kind, errorOutputType, chunk),
      });
      this.writers.set(name, w);
    }
    return w;
  }

  private async writeChunk(kind: 'failed' | 'source', errorOutputType: string | undefined, chunk: BufferedChunk): Promise<void> {
    const { config, version } = this.opts.current();
    const cfg = resolveS3Configuration(config);
    const compression = cfg.CompressionFormat as CompressionFormat;
    const identity = createHash('sha256').update(`${kind}\0${errorOutputType ?? ''}\0${chunk.ids.join('\0')}`).digest('hex');
    const ctx = { arrivalMs: chunk.oldestArrival, random: seededRandomStrings(identity), errorOutputType };
    const prefix = kind === 'failed' ? evaluateErrorPrefix(cfg.Prefix, cfg.ErrorOutputPrefix, ctx) : evaluatePrefix(cfg.Prefix, ctx);
    const key = objectKey({
      prefix,
      streamName: this.opts.streamName,
      version,
      arrivalMs: chunk.oldestArrival,
      id: batchObjectId(identity),
      extension: extensionFor(compression),
    });
    const bucket = bucketFromArn(cfg.BucketARN);
    const body = compression === 'UNCOMPRESSED' ? chunk.lines : await compress(compression, chunk.lines);
    try {
      await this.opts.store.put({
        bucket,
        key,
        body,
        contentType: OBJECT_CONTENT_TYPE,
        contentEncoding: contentEncodingFor(compression),
        kmsKeyArn: cfg.EncryptionConfiguration.KMSEncryptionConfig?.AWSKMSKeyARN,
      });
    } catch (err) {
      this.opts.onAttempt?.(kind, false);
      throw err;
    }
    this.opts.onAttempt?.(kind, true);
    this.opts.onWritten?.({ kind, errorOutputType, bucket, key, records: chunk.count, bytes: chunk.bytes });
  }
}

function sum(lines: readonly Buffer[]): number {
  let n = 0;
  for (const l of lines) n += l.length;
  return n;
}

function oldest(items: readonly { arrivedAt: number }[]): number {
  let o = Infinity;
  for (const i of items) if (i.arrivedAt < o) o = i.arrivedAt;
  return o;
}
