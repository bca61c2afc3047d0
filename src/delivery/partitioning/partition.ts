/**
 * Which partition a record belongs to under dynamic partitioning: the values of the partition
 * keys the Prefix uses, in the order it uses them. Records with the same values share one buffer
 * and one object; the Prefix (with its timestamps and random strings) is evaluated once per
 * object from the partition's keys.
 */
import { parsePrefix } from '../../../sinks/s3/prefix.js';
import type { PartitionKeys } from '../transform/types.js';

/** The partition keys a Prefix references, by source, in order of first use. */
export interface PartitionSpec {
  query: string[];
  lambda: string[];
}

export function partitionSpec(prefix: string | null | undefined): PartitionSpec {
  const spec: PartitionSpec = { query: [], lambda: [] };
  for (const part of parsePrefix(prefix ?? '').parts) {
    if (typeof part === 'string') continue;
    if (part.kind === 'partitionKeyFromQuery' && !spec.query.includes(part.key)) spec.query.push(part.key);
    if (part.kind === 'partitionKeyFromLambda' && !spec.lambda.includes(part.key)) spec.lambda.push(part.key);
  }
  return spec;
}

export type PartitionResult =
  | { ok: true; id: string; keys: { query?: Record<string, string>; lambda?: Record<string, string> } }
  | { ok: false; message: string };

/** The record's partition: an id stable for equal key values, and just the keys the Prefix uses. */
export function partitionOf(spec: PartitionSpec, keys: PartitionKeys | undefined): PartitionResult {
  const pick = (names: string[], from: Record<string, string> | undefined, source: string): Record<string, string> | string => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const v = from?.[name];
      if (v === undefined) return `partition key '${name}' (${source}) is missing for the record`;
      out[name] = v;
    }
    return out;
  };
  const query = pick(spec.query, keys?.query, 'partitionKeyFromQuery');
  if (typeof query === 'string') return { ok: false, message: query };
  const lambda = pick(spec.lambda, keys?.lambda, 'partitionKeyFromLambda');
  if (typeof lambda === 'string') return { ok: false, message: lambda };
  const id = JSON.stringify([spec.query.map((k) => query[k]), spec.lambda.map((k) => lambda[k])]);
  const used: { query?: Record<string, string>; lambda?: Record<string, string> } = {};
  if (spec.query.length > 0) used.query = query;
  if (spec.lambda.length > 0) used.lambda = lambda;
  return { ok: true, id, keys: used };
}
