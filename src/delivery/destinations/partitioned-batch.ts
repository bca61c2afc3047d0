/**
 * Dynamic partitioning of one batch without partition buffers (reference §7.4; used where delivery
 * runs as jobs that must finish once their objects are written, see `PartitionedS3Delivery`): after the transform, the batch's records
 * are grouped by their partition — the values of the partition keys the Prefix uses — and each
 * partition becomes one object under its own evaluated Prefix. Keys derive from the batch
 * identity and the partition, so a replay after a crash writes the same objects again.
 *
 * The active-partition limit is applied per batch: the first `limit` partitions of the batch (in
 * the order their first record appears) get objects; records of further partitions go to the
 * error prefix as `activePartitionExceeded`, as AWS routes records beyond its limit. Counting
 * only the batch's own partitions keeps that choice the same on every replay (a limit counted
 * over whatever else happened to be in flight would not be). Records without a key the Prefix
 * needs, or whose Prefix cannot be evaluated, fail with
 * `DynamicPartitioning.MetadataExtractionFailed` under `processing-failed/`.
 */
import type { LogRecord } from '../../core/record.js';
import { batchObjectId, evaluatePrefix, objectKey, PrefixEvaluationError, seededRandomStrings } from '../../../sinks/s3/key-layout.js';
import type { EncodeOptions } from '../destination.js';
import { partitionOf, partitionSpec } from '../partitioning/partition.js';
import { activePartitionExceededDocument, METADATA_EXTRACTION_FAILED, processingFailedDocument } from '../transform/index.js';
import type { ErrorDocument } from './error-objects.js';
import type { PartitionedPlan } from './partitioned-objects.js';

/** One partition's object: its key and records. */
export interface PartitionObject {
  key: string;
  records: LogRecord[];
}

export interface PartitionedBatch {
  objects: PartitionObject[];
  /** Failed-record documents by error output type. */
  errors: Map<string, ErrorDocument[]>;
  /** Distinct partitions the batch held (including those over the limit). */
  partitions: number;
}

/** Splits a transformed batch into its partitions' objects and the records that cannot be placed. */
export function partitionBatch(plan: PartitionedPlan, records: readonly LogRecord[], opts: EncodeOptions | undefined, limit: number, now: () => number = Date.now): PartitionedBatch {
  const spec = partitionSpec(plan.prefix);
  const t = opts?.transformed;
  const errors = new Map<string, ErrorDocument[]>();
  const fail = (type: string, doc: object, arrivedAt: number) => {
    let list = errors.get(type);
    if (!list) errors.set(type, (list = []));
    list.push({ doc, arrivedAt });
  };
  const original = (i: number) => (t ? t.sources[t.origin[i]] : records[i]);
  const extractionFailed = (i: number, message: string) => {
    const src = original(i);
    fail('processing-failed', processingFailedDocument({
      errorOutputType: 'processing-failed', errorCode: METADATA_EXTRACTION_FAILED, errorMessage: message, attemptsMade: 1,
      attemptEndingTimestamp: now(), rawData: src.data, arrivedAt: src.arrivedAt,
    }), src.arrivedAt);
  };

  const groups = new Map<string, { keys: { query?: Record<string, string>; lambda?: Record<string, string> }; indexes: number[] }>();
  records.forEach((_r, i) => {
    const p = partitionOf(spec, t?.partitionKeys[i]);
    if (!p.ok) return extractionFailed(i, `The record cannot be partitioned: ${p.message}`);
    let g = groups.get(p.id);
    if (!g) groups.set(p.id, (g = { keys: p.keys, indexes: [] }));
    g.indexes.push(i);
  });

  const objects: PartitionObject[] = [];
  let placed = 0;
  for (const [id, g] of groups) {
    if (placed >= limit) {
      for (const i of g.indexes) {
        const src = original(i);
        fail('activePartitionExceeded', activePartitionExceededDocument({
          arrivedAt: src.arrivedAt, rawData: src.data, limit, at: now(), partitionKeys: { ...g.keys.query, ...g.keys.lambda },
        }), src.arrivedAt);
      }
      continue;
    }
    let oldest = Infinity;
    for (const i of g.indexes) if (records[i].arrivedAt < oldest) oldest = records[i].arrivedAt;
    const identity = `${plan.batchId}\0${id}`;
    let prefix: string;
    try {
      prefix = evaluatePrefix(plan.prefix, { arrivalMs: oldest, timeZone: plan.timeZone, random: seededRandomStrings(identity), partitionKeys: g.keys });
    } catch (err) {
      if (!(err instanceof PrefixEvaluationError)) throw err;
      for (const i of g.indexes) extractionFailed(i, `The Prefix cannot be evaluated for the record's partition: ${err.message}`);
      continue;
    }
    placed++;
    objects.push({
      key: objectKey({ prefix, streamName: plan.streamName, version: plan.version, arrivalMs: oldest, timeZone: plan.timeZone, id: batchObjectId(identity), extension: plan.extension }),
      records: g.indexes.map((i) => records[i]),
    });
  }
  return { objects, errors, partitions: groups.size };
}
