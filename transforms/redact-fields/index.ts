/**
 * Drops and redacts fields of JSON records, and drops whole records by level.
 *
 * Configured through the function's environment (Hydrant's `functions` map, or Lambda's
 * environment variables):
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `DROP_FIELDS` | comma-separated field paths removed from every record (`password,session.token`) | none |
 * | `REDACT_FIELDS` | field paths whose values are replaced by `sha256:<hex>` of the value (joinable, not readable) | none |
 * | `DROP_LEVELS` | records whose `level` field is one of these (case-insensitive) are Dropped | none |
 *
 * Records that are not JSON objects are ProcessingFailed. The output keeps a record's trailing
 * newline if it had one.
 */
import { createHash } from 'node:crypto';
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../firehose-event.js';

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export interface RedactOptions {
  drop: string[];
  redact: string[];
  dropLevels: string[];
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): RedactOptions {
  return { drop: list(env.DROP_FIELDS), redact: list(env.REDACT_FIELDS), dropLevels: list(env.DROP_LEVELS).map((l) => l.toLowerCase()) };
}

/** Applies `fn` to the parent object of a dotted path, if it exists. */
function atPath(doc: Record<string, unknown>, path: string, fn: (parent: Record<string, unknown>, key: string) => void): void {
  const parts = path.split('.');
  let node: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === 'object' && node !== null && parts[parts.length - 1] in node) fn(node as Record<string, unknown>, parts[parts.length - 1]);
}

/** The cleaned document, 'drop' for a dropped record, or undefined when it is not a JSON object. */
export function clean(text: string, opts: RedactOptions): string | 'drop' | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const obj = doc as Record<string, unknown>;
  if (typeof obj.level === 'string' && opts.dropLevels.includes(obj.level.toLowerCase())) return 'drop';
  for (const path of opts.drop) atPath(obj, path, (parent, key) => delete parent[key]);
  for (const path of opts.redact) {
    atPath(obj, path, (parent, key) => {
      parent[key] = `sha256:${createHash('sha256').update(JSON.stringify(parent[key])).digest('hex')}`;
    });
  }
  return JSON.stringify(obj) + (text.endsWith('\n') ? '\n' : '');
}

export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
  const opts = optionsFromEnv();
  return {
    records: event.records.map((record): FirehoseTransformationResultRecord => {
      const out = clean(Buffer.from(record.data, 'base64').toString('utf8'), opts);
      if (out === undefined) return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
      if (out === 'drop') return { recordId: record.recordId, result: 'Dropped', data: '' };
      return { recordId: record.recordId, result: 'Ok', data: Buffer.from(out, 'utf8').toString('base64') };
    }),
  };
};
