/**
 * Dynamic partitioning of one source batch (reference §7.4), before its records enter their
 * partitions' buffers (`PartitionStage`): after the transform, each record's partition — the
 * values of the partition keys the Prefix uses — is computed. Records without a key the Prefix
 * needs, or whose Prefix cannot be evaluated, fail with `DynamicPartitioning.MetadataExtractionFailed`
 * under `processing-failed/`. The others become stage entries; a partition's buffer key also
 * holds the settings its object is written with (bucket, compression, conversion, Prefix,
 * VersionId), so records planned under different configurations never share an object.
 *
 * A cut buffer becomes one object (`partitionObjectKey`) under its own evaluated Prefix, named
 * from the buffer's identity (partition plus the source batches in it), so replaying the same
 * source batches into the same buffer writes the same key.
 */
import type { LogRecord } from '../../core/record.js';
import { batchObjectId, evaluatePrefix, objectKey, PrefixEvaluationError, seededRandomStrings } from '../../../sinks/s3/key-layout.js';
import type { EncodeOptions } from '../destination.js';
import type { ResolvedFormatConversion } from '../convert/format-conversion-config.js';
import { partitionOf, partitionSpec } from '../partitioning/partition.js';
import type { StageEntry, StagedObject } from '../partitioning/partition-stage.js';
import { METADATA_EXTRACTION_FAILED, processingFailedDocument } from '../transform/index.js';
import type { ErrorDocument } from './error-objects.js';
import type { ObjectTarget } from './object-writer.js';

/** What a batch's partitioned objects need from the plan (fixed at cut time, journaled). */
export interface PartitionedPlan {
  batchId: string;
  /** The Prefix template, with its partition-key expressions. */
  prefix: string;
  streamName: string;
  version: number;
  timeZone?: string;
  extension: string;
}

type Keys = { query?: Record<string, string>; lambda?: Record<string, string> };

/** What a partition buffer's object is written with: the same for all its records. */
export interface PartitionGroup {
  target: Omit<ObjectTarget, 'key'>;
  conversion?: ResolvedFormatConversion;
  plan: Omit<PartitionedPlan, 'batchId'>;
  keys: Keys;
}

/** A source batch placed: its records as stage entries, the originals (error documents carry them), and the records that failed. */
export interface PlacedBatch {
  entries: StageEntry<PartitionGroup>[];
  /** Per entry, the record as it arrived before any processor ran. */
  originals: { data: Buffer; arrivedAt: number }[];
  /** Failed-record documents by error output type. */
  errors: Map<string, ErrorDocument[]>;
}

/** The records of a transformed source batch as stage entries, and those that cannot be partitioned. */
export function placeRecords(
  target: Omit<ObjectTarget, 'key'>, conversion: ResolvedFormatConversion | undefined, plan: PartitionedPlan,
  records: readonly LogRecord[], opts: EncodeOptions | undefined, now: () => number = Date.now,
): PlacedBatch {
  const spec = partitionSpec(plan.prefix);
  const t = opts?.transformed;
  const errors = new Map<string, ErrorDocument[]>();
  const original = (i: number) => (t ? t.sources[t.origin[i]] : records[i]);
  const extractionFailed = (i: number, message: string) => {
    const src = original(i);
    let list = errors.get('processing-failed');
    if (!list) errors.set('processing-failed', (list = []));
    list.push({
      doc: processingFailedDocument({
        errorOutputType: 'processing-failed', errorCode: METADATA_EXTRACTION_FAILED, errorMessage: message, attemptsMade: 1,
        attemptEndingTimestamp: now(), rawData: src.data, arrivedAt: src.arrivedAt,
      }),
      arrivedAt: src.arrivedAt,
    });
  };
  const { batchId: _batchId, ...settings } = plan;
  const settingsKey = JSON.stringify([target.bucket, target.compression, target.kmsKeyArn ?? null, conversion ?? null, settings]);
  /** Per partition of this batch: its group, or the reason its Prefix cannot be evaluated. */
  const groups = new Map<string, PartitionGroup | string>();
  const entries: StageEntry<PartitionGroup>[] = [];
  const originals: PlacedBatch['originals'] = [];
  records.forEach((record, i) => {
    const p = partitionOf(spec, t?.partitionKeys[i]);
    if (!p.ok) return extractionFailed(i, `The record cannot be partitioned: ${p.message}`);
    let g = groups.get(p.id);
    if (g === undefined) {
      try {
        // Checked now (a Prefix too long for its keys can never be written); evaluated again when the object is cut.
        evaluatePrefix(plan.prefix, { arrivalMs: record.arrivedAt, timeZone: plan.timeZone, random: seededRandomStrings(p.id), partitionKeys: p.keys });
        g = { target, conversion, plan: settings, keys: p.keys };
      } catch (err) {
        if (!(err instanceof PrefixEvaluationError)) throw err;
        g = err.message;
      }
      groups.set(p.id, g);
    }
    if (typeof g === 'string') return extractionFailed(i, `The Prefix cannot be evaluated for the record's partition: ${g}`);
    const src = original(i);
    entries.push({ partition: `${settingsKey}\0${p.id}`, group: g, record });
    originals.push({ data: src.data, arrivedAt: src.arrivedAt });
  });
  return { entries, originals, errors };
}

/** The key of a cut partition buffer's object: its Prefix evaluated for the oldest record, its name from the buffer's identity. */
export function partitionObjectKey(object: StagedObject<PartitionGroup>): string {
  const { plan, keys } = object.group;
  let oldest = Infinity;
  for (const r of object.records) if (r.arrivedAt < oldest) oldest = r.arrivedAt;
  const prefix = evaluatePrefix(plan.prefix, { arrivalMs: oldest, timeZone: plan.timeZone, random: seededRandomStrings(object.identity), partitionKeys: keys });
  return objectKey({ prefix, streamName: plan.streamName, version: plan.version, arrivalMs: oldest, timeZone: plan.timeZone, id: batchObjectId(object.identity), extension: plan.extension });
}
