/**
 * Partition keys of a record for dynamic partitioning (reference §7.4): from the result of the
 * MetadataExtraction jq query (one JSON object; its members are the keys) or from a transform
 * Lambda's `metadata.partitionKeys`. Values become prefix text: strings as they are, numbers and
 * booleans as JSON prints them; null, objects and arrays are refused, as is a query that does
 * not yield exactly one object.
 */
import type { JqResult } from '../transform/jq/jq-engine.js';

/** Most keys one record may have (AWS's limit for the jq query). */
export const MAX_PARTITION_KEYS = 50;

export type PartitionKeysResult = { ok: true; keys: Record<string, string> } | { ok: false; message: string };

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v);

/** The keys a jq result gives, or why it gives none. */
export function partitionKeysFromQuery(result: JqResult): PartitionKeysResult {
  if (!result.ok) return { ok: false, message: `The MetadataExtractionQuery failed on the record: ${result.error}` };
  if (result.values.length !== 1) {
    return { ok: false, message: `The MetadataExtractionQuery must produce exactly one JSON object per record; it produced ${result.values.length} values` };
  }
  const value = result.values[0];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: `The MetadataExtractionQuery must produce a JSON object; it produced ${describe(value)}` };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PARTITION_KEYS) return { ok: false, message: `The MetadataExtractionQuery produced ${entries.length} keys; at most ${MAX_PARTITION_KEYS} are allowed` };
  const keys: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v === 'string') keys[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') keys[k] = JSON.stringify(v);
    else return { ok: false, message: `Partition key '${k}' evaluated to ${describe(v)}; partition keys must be strings, numbers or booleans` };
  }
  return { ok: true, keys };
}

/** Checks a Lambda's `metadata.partitionKeys` count (their types were checked with the response). */
export function checkLambdaPartitionKeys(keys: Record<string, string>): PartitionKeysResult {
  const n = Object.keys(keys).length;
  if (n > MAX_PARTITION_KEYS) return { ok: false, message: `The Lambda function returned ${n} partition keys; at most ${MAX_PARTITION_KEYS} are allowed` };
  return { ok: true, keys };
}
