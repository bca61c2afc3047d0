import type { RecordOutcome, SinkRecord, SinkRequest, SinkResult } from '../../src/core/sink.js';

/** Records as the driver hands them: stable ids, JSON bytes, arrival times. */
export function jsonRecords(n: number, opts: { arrivedAt?: number; idPrefix?: string; make?: (i: number) => unknown } = {}): SinkRecord[] {
  const arrivedAt = opts.arrivedAt ?? Date.UTC(2016, 1, 25, 13, 0, 0);
  return Array.from({ length: n }, (_, i) => ({
    recordId: `${opts.idPrefix ?? '49577193928114147339600778471082492393164139877200035842'}.${i}`,
    data: Buffer.from(JSON.stringify(opts.make ? opts.make(i) : { n: i, text: `record ${i}` })),
    arrivedAt,
  }));
}

/** One attempt's request. */
export function sinkRequest(records: readonly SinkRecord[], opts: { batchId?: string; attempt?: number; signal?: AbortSignal } = {}): SinkRequest {
  return { batchId: opts.batchId ?? 'stream/shardId-000000000000/0-99', attempt: opts.attempt ?? 1, records, signal: opts.signal ?? new AbortController().signal };
}

/** A result as one outcome per record. */
export function perRecord(result: SinkResult, n: number): RecordOutcome[] {
  if (Array.isArray(result)) {
    if (result.length !== n) throw new Error(`expected ${n} outcomes, got ${result.length}`);
    return result as RecordOutcome[];
  }
  return Array.from({ length: n }, () => result as RecordOutcome);
}

export const TEST_SOURCE_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/test-stream';
export const BACKUP_S3 = { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::backup-bucket' };
