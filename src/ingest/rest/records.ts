/**
 * A plain REST body → records: NDJSON (one JSON value per line; blank lines are skipped) or one
 * JSON array of values. Every value must be valid JSON; the first that is not rejects the whole
 * request, naming its line. Each record's data is the value's JSON text followed by a newline
 * (an NDJSON line as sent; an array element re-serialized), so objects written to S3 are NDJSON.
 */
import { invalidArgument } from '../../core/aws-error.js';

export interface JsonRecord {
  data: Buffer;
  value: unknown;
  /** 1-based line (NDJSON) or element (array) number, for error messages. */
  line: number;
}

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines', 'application/x-jsonlines']);

function firstNonSpace(body: Buffer): number {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}

/** Parse a body; `contentType` `application/x-ndjson` (and its aliases) forces line mode. */
export function parseJsonRecords(body: Buffer, contentType: string | undefined): JsonRecord[] {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!NDJSON_TYPES.has(type) && firstNonSpace(body) === 0x5b /* [ */) return parseArray(body);
  const out: JsonRecord[] = [];
  const newline = Buffer.from('\n');
  let start = 0;
  let line = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    line++;
    let stop = end;
    if (stop > start && body[stop - 1] === 0x0d) stop--;
    const bytes = body.subarray(start, stop);
    if (bytes.toString('utf8').trim() !== '') {
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw invalidArgument(`Line ${line} is not valid JSON: ${(err as Error).message}. Nothing was stored.`);
      }
      out.push({ data: Buffer.concat([bytes, newline]), value, line });
    }
    start = end + 1;
  }
  return out;
}

function parseArray(body: Buffer): JsonRecord[] {
  let values: unknown;
  try {
    values = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`The body is not a valid JSON array: ${(err as Error).message}. Nothing was stored.`);
  }
  if (!Array.isArray(values)) throw invalidArgument('The body must be a JSON array or NDJSON.');
  return values.map((value, i) => ({ data: Buffer.from(`${JSON.stringify(value)}\n`), value, line: i + 1 }));
}
