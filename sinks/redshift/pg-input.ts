/**
 * What a `jdbc:postgresql://` destination streams into `COPY … FROM STDIN` for one staged
 * object, and the statement itself: the translation of Redshift's COPY into PostgreSQL's
 * (destinations.md §4.6). Per object, as Redshift reads each file on its own: IGNOREHEADER lines
 * are dropped, a last line without its newline gets one, text data without ESCAPE has its
 * backslashes doubled (Redshift reads them literally, PostgreSQL as escapes), and JSON objects
 * become CSV rows whose fields follow the column list (JSON 'auto': key = column name).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { quoteIdent } from './identifiers.js';
import { topLevelMembers } from './json-members.js';
import { unescapeDelimiter, type ParsedCopyOptions } from './copy-options.js';

/** A target column as the database describes it. */
export interface TableColumn {
  name: string;
  /** `format_type` text, e.g. `timestamp without time zone`. */
  type: string;
}

/** Data the staged objects hold that COPY cannot load (the batch fails, as on Redshift). */
export class DataLoadError extends Error {
  readonly code = 'Redshift.DataLoadFailed';
  constructor(message: string) {
    super(message);
    this.name = 'DataLoadError';
  }
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** `COPY <table> (<columns>) FROM STDIN WITH (...)` for the options (columns: the load's column list). */
export function pgCopyStatement(table: string, columns: readonly string[], o: ParsedCopyOptions): string {
  const cols = columns.length > 0 ? ` (${columns.map(quoteIdent).join(', ')})` : '';
  const w: string[] = [];
  if (o.format === 'text') {
    w.push('FORMAT text', `DELIMITER ${literal(unescapeDelimiter(o.delimiter ?? '|'))}`);
    const nullAs = o.nullAs ?? '\\N';
    // Without ESCAPE the data's backslashes are doubled, so the NULL marker is matched doubled too.
    w.push(`NULL ${literal(o.escape ? nullAs : nullAs.replaceAll('\\', '\\\\'))}`);
  } else if (o.format === 'csv') {
    w.push('FORMAT csv');
    if (o.delimiter !== undefined) w.push(`DELIMITER ${literal(unescapeDelimiter(o.delimiter))}`);
    if (o.quote !== undefined) w.push(`QUOTE ${literal(o.quote)}`);
    if (o.nullAs !== undefined) w.push(`NULL ${literal(o.nullAs)}`);
    if (o.emptyAsNull && columns.length > 0) w.push(`FORCE_NULL (${columns.map(quoteIdent).join(', ')})`);
  } else {
    w.push('FORMAT csv');
  }
  return `COPY ${table}${cols} FROM STDIN WITH (${w.join(', ')})`;
}

const NL = 0x0a;
const BACKSLASH = 0x5c;

/** Options of one object's transform. */
export interface ObjectInputOptions {
  options: ParsedCopyOptions;
  /** For JSON: the columns, in the statement's order. */
  columns?: readonly TableColumn[];
  /** Where in the object stream (for messages). */
  url: string;
}

/** The bytes of one staged object, made ready for PostgreSQL's COPY. */
export class ObjectInput extends Transform {
  private headerLeft: number;
  private lastByte = -1;
  private readonly o: ParsedCopyOptions;
  // JSON scanning state
  private pending: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  private offset = 0;
  private readonly columnIndex?: Map<string, number>;
  private readonly timestampColumn?: boolean[];
  private readonly epochScale: number;
  private rowsOut = 0;

  constructor(private readonly input: ObjectInputOptions) {
    super();
    this.o = input.options;
    this.headerLeft = this.o.ignoreHeader;
    const cols = input.columns ?? [];
    if (this.o.format === 'json') {
      this.columnIndex = new Map();
      cols.forEach((c, i) => this.columnIndex!.set(this.o.jsonIgnoreCase ? c.name.toLowerCase() : c.name, i));
      this.timestampColumn = cols.map((c) => /^timestamp|^date$/.test(c.type));
    }
    this.epochScale = this.o.timeFormat === 'epochsecs' ? 1000 : this.o.timeFormat === 'epochmillisecs' ? 1 : 0;
  }

  /** Rows produced from JSON objects so far. */
  get rows(): number {
    return this.rowsOut;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.headerLeft > 0) chunk = this.skipHeader(chunk);
      if (chunk.length === 0) return done();
      if (this.o.format === 'json') this.scanJson(chunk);
      else this.pushText(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.o.format === 'json') {
      if (this.depth > 0 || this.inString) return done(new DataLoadError(`${this.input.url}: the last JSON object is incomplete`));
    } else if (this.lastByte !== -1 && this.lastByte !== NL) {
      this.push(Buffer.from('\n'));
    }
    done();
  }

  private skipHeader(chunk: Buffer): Buffer {
    let at = 0;
    while (this.headerLeft > 0) {
      const nl = chunk.indexOf(NL, at);
      if (nl < 0) return chunk.subarray(chunk.length);
      at = nl + 1;
      this.headerLeft--;
    }
    return chunk.subarray(at);
  }

  private pushText(chunk: Buffer): void {
    this.lastByte = chunk[chunk.length - 1];
    if (this.o.format !== 'text' || this.o.escape || chunk.indexOf(BACKSLASH) < 0) {
      this.push(chunk);
      return;
    }
    // Redshift without ESCAPE reads a backslash as itself: double it for PostgreSQL.
    let count = 0;
    for (let i = chunk.indexOf(BACKSLASH); i >= 0; i = chunk.indexOf(BACKSLASH, i + 1)) count++;
    const out = Buffer.allocUnsafe(chunk.length + count);
    let w = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      out[w++] = b;
      if (b === BACKSLASH) out[w++] = BACKSLASH;
    }
    this.push(out);
  }

  /** Split concatenated JSON objects (whitespace between them allowed) and emit one CSV row each. */
  private scanJson(chunk: Buffer): void {
    // Rows of one input chunk go out as one chunk: COPY is fed in large writes, not one per row.
    const rows: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
        if (b !== 0x7b) {
          throw new DataLoadError(`${this.input.url}: byte ${this.offset + i}: expected a JSON object ('{'), found '${String.fromCharCode(b)}' (JSON 'auto' loads objects only)`);
        }
        start = i;
      }
      if (b === 0x22) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          this.pending.push(chunk.subarray(start, i + 1));
          rows.push(this.row(this.pending.length === 1 ? this.pending[0].toString('utf8') : Buffer.concat(this.pending).toString('utf8')));
          this.pending = [];
          start = -1;
        }
      }
    }
    if (this.depth > 0) this.pending.push(chunk.subarray(Math.max(0, start)));
    this.offset += chunk.length;
    if (rows.length > 0) this.push(rows.join(''));
  }

  /** One CSV row (with its newline) from one JSON object's text. */
  private row(text: string): string {
    try {
      JSON.parse(text);
    } catch (err) {
      throw new DataLoadError(`${this.input.url}: invalid JSON object ${text.length > 200 ? text.slice(0, 200) + '…' : text}: ${(err as Error).message}`);
    }
    const fields = new Array<string>(this.columnIndex!.size).fill('');
    for (const [key, raw] of topLevelMembers(text)) {
      const idx = this.columnIndex!.get(this.o.jsonIgnoreCase ? key.toLowerCase() : key);
      if (idx !== undefined) fields[idx] = this.field(raw, idx);
    }
    this.rowsOut++;
    return fields.join(',') + '\n';
  }

  /** One CSV field from a raw JSON value: null → unquoted empty (NULL), everything else quoted. */
  private field(raw: string, idx: number): string {
    const c = raw[0];
    let value: string;
    if (c === 'n') return '';
    if (c === '"') {
      value = JSON.parse(raw) as string;
      if (this.o.emptyAsNull && value === '') return '';
      if (this.o.blanksAsNull && value.trim() === '') return '';
    } else if (c === '{' || c === '[') {
      value = raw;
    } else if (c === 't' || c === 'f') {
      value = raw;
    } else {
      value = this.epochScale > 0 && this.timestampColumn![idx] ? new Date(Number(raw) * this.epochScale).toISOString() : raw;
    }
    return `"${value.replaceAll('"', '""')}"`;
  }
}
