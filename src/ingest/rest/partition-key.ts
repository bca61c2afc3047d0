/**
 * Partition keys for `POST /v1/streams/{name}/records`: one key for every record
 * (`X-Hydrant-Partition-Key` header or `partitionKey` query parameter), or a field of each record
 * (`X-Hydrant-Partition-Key-Field` / `partitionKeyField`, a dotted path such as `user.id`), or,
 * with neither, a random key per record (records spread evenly over the shards).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { invalidArgument } from '../../core/aws-error.js';
import type { JsonRecord } from './records.js';

const MAX_KEY = 256;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function checkKey(key: string, where: string): string {
  if (key.length < 1 || key.length > MAX_KEY) throw invalidArgument(`${where}: a partition key must have 1 to ${MAX_KEY} characters. Nothing was stored.`);
  return key;
}

function fieldValue(value: unknown, path: string[]): unknown {
  let v = value;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** One partition key per record, in order; throws (naming the line) when a record has no usable key field. */
export function partitionKeys(records: JsonRecord[], headers: IncomingHttpHeaders, query: URLSearchParams): string[] {
  const fixed = first(headers['x-hydrant-partition-key']) ?? query.get('partitionKey') ?? undefined;
  const field = first(headers['x-hydrant-partition-key-field']) ?? query.get('partitionKeyField') ?? undefined;
  if (fixed !== undefined && field !== undefined) throw invalidArgument('Give a partition key or a partition-key field, not both.');
  if (fixed !== undefined) {
    checkKey(fixed, 'X-Hydrant-Partition-Key');
    return records.map(() => fixed);
  }
  if (field === undefined) return records.map(() => randomUUID());
  const path = field.split('.');
  return records.map((r) => {
    const v = fieldValue(r.value, path);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw invalidArgument(`Line ${r.line} has no string or number field ${field} for the partition key. Nothing was stored.`);
    }
    return checkKey(String(v), `Line ${r.line}`);
  });
}
