/**
 * JSON records → rows of a table schema, the way Firehose's SerDes read them (reference §9).
 * A record holds one JSON object or several concatenated (`{"a":1}{"a":2}`; a JSON array is
 * not a row). Column values follow the Hive types; a value that does not fit its column fails
 * the whole record (`DataFormatConversion.MalformedData`), text that is not JSON objects fails it
 * with `DataFormatConversion.ParseError`.
 *
 * OpenX JSON SerDe: JSON keys match columns case-insensitively unless `CaseInsensitive` is false,
 * dots in keys may become underscores, `ColumnToJsonKeyMappings` maps a column to another key, and
 * strings are read as numbers or booleans when the column wants one. Hive JSON SerDe: keys match
 * case-insensitively, numeric and boolean columns want JSON numbers and booleans, timestamps use
 * `TimestampFormats` first.
 *
 * Row values are what Arrow's builders take: strings, numbers, bigints (bigint columns), 128-bit
 * words (decimals), epoch ms (dates, timestamps), bytes, arrays, Maps and objects. JSON numbers
 * beyond 2^53 have already lost precision in JSON.parse.
 */
import type { HiveType } from './hive-types.js';
import type { Deserializer } from './format-conversion-config.js';
import { compileJodaPattern, parseDefaultTimestamp } from './timestamps.js';
import { splitJsonValues } from '../transform/processors/deaggregation.js';

export interface Column {
  name: string;
  type: HiveType;
}

export type RowsResult = { ok: true; rows: unknown[][] } | { ok: false; errorCode: string; errorMessage: string };

export const PARSE_ERROR = 'DataFormatConversion.ParseError';
export const MALFORMED_DATA = 'DataFormatConversion.MalformedData';

class Malformed extends Error {}

const INT_RANGES = { tinyint: [-128, 127], smallint: [-32768, 32767], int: [-2147483648, 2147483647] } as const;
const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** A decimal's unscaled value as 128-bit two's complement words (little-endian), as Arrow stores it. */
function decimalWords(value: unknown, precision: number, scale: number, path: string): Uint32Array {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toString() : '') : typeof value === 'string' ? value.trim() : '';
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Malformed(`${path}: ${show(value)} is not a decimal`);
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  const exp = Number(m[4] ?? 0) - (m[3] ?? '').length + scale;
  if (exp >= 0) digits += '0'.repeat(exp);
  else {
    const keep = digits.length + exp;
    const dropped = keep > 0 ? digits.slice(keep) : digits.padStart(-exp, '0');
    digits = keep > 0 ? digits.slice(0, keep) : '0';
    if (dropped[0] >= '5') digits = (BigInt(digits) + 1n).toString();
  }
  let unscaled = BigInt(digits || '0');
  if (unscaled.toString().length > precision && unscaled !== 0n) throw new Malformed(`${path}: ${show(value)} does not fit decimal(${precision},${scale})`);
  if (m[1] === '-') unscaled = -unscaled;
  let x = BigInt.asUintN(128, unscaled);
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    words[i] = Number(x & 0xffffffffn);
    x >>= 32n;
  }
  return words;
}

export class RowReader {
  private readonly timestampFormats: ((text: string) => number | undefined)[];

  constructor(private readonly columns: readonly Column[], private readonly serde: Deserializer) {
    this.timestampFormats = serde.kind === 'hive' ? serde.timestampFormats.map(compileJodaPattern) : [];
  }

  /** The rows of one record, or why it has none. */
  read(data: Buffer): RowsResult {
    const docs = splitJsonValues(data, Infinity);
    if (!docs || docs.length === 0) return { ok: false, errorCode: PARSE_ERROR, errorMessage: 'The record is not JSON' };
    const rows: unknown[][] = [];
    for (const doc of docs) {
      let value: unknown;
      try {
        value = JSON.parse(doc.toString('utf8'));
      } catch (err) {
        return { ok: false, errorCode: PARSE_ERROR, errorMessage: `The record is not valid JSON: ${(err as Error).message}` };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { ok: false, errorCode: PARSE_ERROR, errorMessage: `Each JSON value in a record must be an object (one row); found ${Array.isArray(value) ? 'an array' : show(value)}` };
      }
      try {
        rows.push(this.row(value as Record<string, unknown>));
      } catch (err) {
        if (err instanceof Malformed) return { ok: false, errorCode: MALFORMED_DATA, errorMessage: err.message };
        throw err;
      }
    }
    return { ok: true, rows };
  }

  private row(obj: Record<string, unknown>): unknown[] {
    const lookup = this.keyed(obj);
    return this.columns.map((c) => {
      const key = this.serde.kind === 'openx' ? this.serde.columnToJsonKey[c.name] : undefined;
      const raw = key !== undefined ? obj[key] ?? lookup.get(this.normalize(key)) : lookup.get(c.name);
      return this.value(raw, c.type, c.name);
    });
  }

  private normalize(key: string): string {
    let k = key;
    if (this.serde.kind === 'hive' || this.serde.caseInsensitive) k = k.toLowerCase();
    if (this.serde.kind === 'openx' && this.serde.dotsToUnderscores) k = k.replace(/\./g, '_');
    return k;
  }

  /** JSON keys as the SerDe matches them to column (or struct field) names. */
  private keyed(obj: Record<string, unknown>): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [k, v] of Object.entries(obj)) {
      const n = this.normalize(k);
      if (!out.has(n)) out.set(n, v);
    }
    return out;
  }

  private value(v: unknown, type: HiveType, path: string): unknown {
    if (v === undefined || v === null) return null;
    const lenient = this.serde.kind === 'openx';
    switch (type.kind) {
      case 'string':
      case 'char':
      case 'varchar': {
        const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
        return 'length' in type ? s.slice(0, type.length) : s;
      }
      case 'boolean':
        if (typeof v === 'boolean') return v;
        if (lenient && typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
        throw new Malformed(`${path}: ${show(v)} is not a boolean`);
      case 'tinyint':
      case 'smallint':
      case 'int':
      case 'bigint': {
        const n = typeof v === 'number' ? v : lenient && typeof v === 'string' && NUMERIC.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n)) throw new Malformed(`${path}: ${show(v)} is not an integer${typeof v === 'string' && !lenient ? ' (the Hive JSON SerDe wants JSON numbers)' : ''}`);
        if (type.kind === 'bigint') {
          if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return BigInt(v.trim());
          return BigInt(n);
        }
        const [lo, hi] = INT_RANGES[type.kind];
        if (n < lo || n > hi) throw new Malformed(`${path}: ${n} does not fit ${type.kind}`);
        return n;
      }
      case 'float':
      case 'double': {
        const n = typeof v === 'number' ? v : lenient && typeof v === 'string' && NUMERIC.test(v) ? Number(v) : NaN;
        if (Number.isNaN(n)) throw new Malformed(`${path}: ${show(v)} is not a number`);
        return n;
      }
      case 'decimal':
        if (typeof v !== 'number' && !(typeof v === 'string' && (lenient || NUMERIC.test(v)))) throw new Malformed(`${path}: ${show(v)} is not a decimal`);
        return decimalWords(v, type.precision, type.scale, path);
      case 'date': {
        if (typeof v === 'string') {
          const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v.trim());
          const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
          if (m && new Date(ms).getUTCDate() === Number(m[3])) return ms;
        } else if (typeof v === 'number' && Number.isInteger(v)) {
          return v * 86_400_000;
        }
        throw new Malformed(`${path}: ${show(v)} is not a date (yyyy-MM-dd)`);
      }
      case 'timestamp': {
        let ms: number | undefined;
        if (typeof v === 'string') for (const f of this.timestampFormats) if ((ms = f(v)) !== undefined) break;
        ms ??= parseDefaultTimestamp(v);
        if (ms === undefined) throw new Malformed(`${path}: ${show(v)} is not a timestamp`);
        return ms;
      }
      case 'binary':
        if (typeof v !== 'string') throw new Malformed(`${path}: ${show(v)} is not base64 text`);
        return new Uint8Array(Buffer.from(v, 'base64'));
      case 'array':
        if (!Array.isArray(v)) throw new Malformed(`${path}: ${show(v)} is not an array`);
        return v.map((e, i) => this.value(e, type.element, `${path}[${i}]`));
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed(`${path}: ${show(v)} is not an object (map)`);
        const out = new Map<unknown, unknown>();
        for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
          // JSON object keys are always strings: a numeric or boolean key type reads them as text.
          const key = this.value(type.key.kind === 'boolean' ? k === 'true' : NUMERIC.test(k) && type.key.kind !== 'string' ? Number(k) : k, type.key, `${path} key`);
          if (key === null) throw new Malformed(`${path}: map keys must not be null`);
          out.set(key, this.value(val, type.value, `${path}.${k}`));
        }
        return out;
      }
      case 'struct': {
        if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed(`${path}: ${show(v)} is not an object (struct)`);
        const fields = this.keyed(v as Record<string, unknown>);
        const out: Record<string, unknown> = {};
        for (const f of type.fields) out[f.name] = this.value(fields.get(this.normalize(f.name)), f.type, `${path}.${f.name}`);
        return out;
      }
    }
  }
}
