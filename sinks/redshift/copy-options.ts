/**
 * `CopyCommand.CopyOptions`: the Redshift COPY parameters Firehose appends to its COPY statement
 * (destinations.md §4.3), parsed so that
 * - a `jdbc:redshift://` destination sends them verbatim (Redshift is the judge), after the
 *   checks that catch a broken configuration early (GZIP must match the intermediate bucket's
 *   CompressionFormat);
 * - a `jdbc:postgresql://` destination translates them into `COPY … FROM STDIN` options plus
 *   what Hydrant does itself while streaming the staged objects (decompression, header lines,
 *   JSON 'auto' key-to-column mapping, Redshift's literal backslashes), and refuses at
 *   CreateDeliveryStream the options PostgreSQL cannot follow, naming them.
 */

export type DateOrder = 'YMD' | 'MDY' | 'DMY';

export interface ParsedCopyOptions {
  format: 'text' | 'csv' | 'json';
  /** DELIMITER (default: `|` for text, `,` for CSV). */
  delimiter?: string;
  /** QUOTE (CSV; default `"`). */
  quote?: string;
  /** NULL AS (default: `\N` for text; unquoted empty for CSV). */
  nullAs?: string;
  /** IGNOREHEADER: lines skipped at the start of every staged object. */
  ignoreHeader: number;
  gzip: boolean;
  /** ESCAPE: backslash escapes in text format (without it Redshift treats backslashes literally). */
  escape: boolean;
  /** JSON 'auto' or 'auto ignorecase'. */
  jsonIgnoreCase: boolean;
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  timeFormat?: string;
  dateFormat?: string;
  /** Options that change nothing on PostgreSQL (statistics, credentials, region, MANIFEST). */
  ignored: string[];
  /** Options PostgreSQL cannot follow, with the reason. */
  unsupported: { option: string; reason: string }[];
  /** Words that are not Redshift COPY options Hydrant knows. */
  unknown: string[];
}

export class CopyOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyOptionsError';
  }
}

type Token = { word: string } | { str: string } | { num: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s|,|;/.test(ch)) { i++; continue; }
    if (ch === "'") {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new CopyOptionsError(`CopyOptions has an unterminated string starting at '${text.slice(i, i + 20)}'`);
        if (text[j] === "'" && text[j + 1] === "'") { s += "'"; j += 2; continue; }
        if (text[j] === '\\' && text[j + 1] === "'") { s += "'"; j += 2; continue; }
        if (text[j] === "'") break;
        s += text[j++];
      }
      out.push({ str: s });
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^\d+(?:\.\d+)?/.exec(text.slice(i));
    if (!m) throw new CopyOptionsError(`CopyOptions has an unexpected character '${ch}' at '${text.slice(i, i + 20)}'`);
    out.push(/^\d/.test(m[0]) ? { num: Number(m[0]) } : { word: m[0].toUpperCase() });
    i += m[0].length;
  }
  return out;
}

const IGNORED_FLAGS = new Set(['MANIFEST']);
const IGNORED_WITH_STRING = new Set(['REGION', 'CREDENTIALS', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'SESSION_TOKEN', 'MASTER_SYMMETRIC_KEY']);
const IGNORED_WITH_NUMBER = new Set(['COMPROWS', 'READRATIO']);
const UNSUPPORTED_FLAGS: Record<string, string> = {
  BZIP2: 'PostgreSQL stand-in decompresses GZIP only (the intermediate bucket allows only UNCOMPRESSED and GZIP)',
  LZOP: 'PostgreSQL stand-in decompresses GZIP only (the intermediate bucket allows only UNCOMPRESSED and GZIP)',
  ZSTD: 'PostgreSQL stand-in decompresses GZIP only (the intermediate bucket allows only UNCOMPRESSED and GZIP)',
  REMOVEQUOTES: 'PostgreSQL COPY has no equivalent; use CSV with QUOTE',
  TRUNCATECOLUMNS: 'PostgreSQL COPY rejects over-long values instead of truncating them',
  TRIMBLANKS: 'PostgreSQL COPY keeps trailing blanks',
  FILLRECORD: 'PostgreSQL COPY requires every column in every row',
  ACCEPTANYDATE: 'PostgreSQL COPY rejects dates it cannot parse',
  EXPLICIT_IDS: 'identity columns are PostgreSQL\'s own business',
  ROUNDEC: 'PostgreSQL rounds numeric input its own way',
  NOLOAD: 'a load that loads nothing is not delivery',
  ENCRYPTED: 'client-side encrypted objects cannot be read by the stand-in',
  IGNOREBLANKLINES: 'PostgreSQL COPY treats a blank line as a row',
  AVRO: 'only text, CSV and JSON are supported', PARQUET: 'only text, CSV and JSON are supported',
  ORC: 'only text, CSV and JSON are supported', SHAPEFILE: 'only text, CSV and JSON are supported',
};

/** Parse CopyOptions text. Throws CopyOptionsError for text that is not COPY parameters at all. */
export function parseCopyOptions(text: string | undefined): ParsedCopyOptions {
  const opts: ParsedCopyOptions = {
    format: 'text', ignoreHeader: 0, gzip: false, escape: false, jsonIgnoreCase: false,
    emptyAsNull: false, blanksAsNull: false, ignored: [], unsupported: [], unknown: [],
  };
  const tokens = tokenize(text ?? '');
  let i = 0;
  const peekWord = () => { const t = tokens[i]; return t && 'word' in t ? t.word : undefined; };
  const optAs = () => { if (peekWord() === 'AS') i++; };
  const str = (option: string): string => {
    const t = tokens[i++];
    if (!t || !('str' in t)) throw new CopyOptionsError(`CopyOptions: ${option} needs a quoted value, e.g. ${option} '|'`);
    return t.str;
  };
  const num = (option: string): number => {
    const t = tokens[i++];
    if (!t || !('num' in t) || !Number.isInteger(t.num)) throw new CopyOptionsError(`CopyOptions: ${option} needs a whole number`);
    return t.num;
  };
  const setFormat = (f: ParsedCopyOptions['format'], option: string) => {
    if (opts.format !== 'text' && opts.format !== f) throw new CopyOptionsError(`CopyOptions: ${option} conflicts with ${opts.format.toUpperCase()} given before it`);
    opts.format = f;
  };
  const json = () => {
    setFormat('json', 'JSON');
    optAs();
    const t = tokens[i];
    if (!t || !('str' in t)) throw new CopyOptionsError("CopyOptions: JSON needs an argument, e.g. JSON 'auto'");
    i++;
    const arg = t.str.trim().toLowerCase();
    if (arg === 'auto') return;
    if (arg === 'auto ignorecase') { opts.jsonIgnoreCase = true; return; }
    opts.unsupported.push({ option: `JSON '${t.str}'`, reason: "only JSON 'auto' and JSON 'auto ignorecase' are supported (no JSONPaths files, no 'noshred')" });
  };
  while (i < tokens.length) {
    const t = tokens[i++];
    if (!('word' in t)) throw new CopyOptionsError(`CopyOptions: unexpected ${'str' in t ? `'${t.str}'` : t.num} where an option name belongs`);
    const kw = t.word;
    switch (kw) {
      case 'DELIMITER': optAs(); opts.delimiter = str(kw); break;
      case 'CSV': setFormat('csv', kw); break;
      case 'QUOTE': optAs(); opts.quote = str(kw); break;
      case 'FORMAT': {
        optAs();
        const f = peekWord();
        i++;
        if (f === 'CSV') setFormat('csv', 'FORMAT CSV');
        else if (f === 'JSON') json();
        else if (f && UNSUPPORTED_FLAGS[f]) opts.unsupported.push({ option: `FORMAT ${f}`, reason: UNSUPPORTED_FLAGS[f] });
        else if (f === 'FIXEDWIDTH') { str('FIXEDWIDTH'); opts.unsupported.push({ option: 'FORMAT FIXEDWIDTH', reason: 'only text, CSV and JSON are supported' }); }
        else throw new CopyOptionsError(`CopyOptions: FORMAT ${f ?? ''} is not a COPY data format`);
        break;
      }
      case 'JSON': json(); break;
      case 'NULL': optAs(); opts.nullAs = str(kw); break;
      case 'IGNOREHEADER': optAs(); opts.ignoreHeader = num(kw); break;
      case 'GZIP': opts.gzip = true; break;
      case 'ESCAPE': opts.escape = true; break;
      case 'EMPTYASNULL': opts.emptyAsNull = true; break;
      case 'BLANKSASNULL': opts.blanksAsNull = true; break;
      case 'TIMEFORMAT': optAs(); opts.timeFormat = str(kw); break;
      case 'DATEFORMAT': optAs(); opts.dateFormat = str(kw); break;
      case 'FIXEDWIDTH': str(kw); opts.unsupported.push({ option: kw, reason: 'only text, CSV and JSON are supported' }); break;
      case 'ACCEPTINVCHARS': optAs(); if (tokens[i] && 'str' in tokens[i]) i++; opts.unsupported.push({ option: kw, reason: 'PostgreSQL COPY rejects invalid UTF-8 instead of replacing it' }); break;
      case 'MAXERROR': optAs(); num(kw); opts.unsupported.push({ option: kw, reason: 'PostgreSQL COPY stops at the first bad row (the whole batch fails and is retried, then its manifest goes to errors/)' }); break;
      case 'COMPUPDATE': case 'STATUPDATE':
        if (['ON', 'OFF', 'TRUE', 'FALSE', 'PRESET'].includes(peekWord() ?? '')) i++;
        opts.ignored.push(kw);
        break;
      case 'IAM_ROLE':
        if (peekWord() === 'DEFAULT') i++; else str(kw);
        opts.ignored.push(kw);
        break;
      case 'ENCODING': {
        optAs();
        const enc = peekWord();
        i++;
        if (enc === 'UTF8') opts.ignored.push(kw);
        else opts.unsupported.push({ option: `ENCODING ${enc ?? ''}`, reason: 'staged objects are read as UTF-8' });
        break;
      }
      default:
        if (IGNORED_FLAGS.has(kw)) opts.ignored.push(kw);
        else if (IGNORED_WITH_STRING.has(kw)) { optAs(); str(kw); opts.ignored.push(kw); }
        else if (IGNORED_WITH_NUMBER.has(kw)) { optAs(); num(kw); opts.ignored.push(kw); }
        else if (UNSUPPORTED_FLAGS[kw]) opts.unsupported.push({ option: kw, reason: UNSUPPORTED_FLAGS[kw] });
        else opts.unknown.push(kw);
    }
  }
  return opts;
}

/** The day/month order a DATEFORMAT or TIMEFORMAT pattern reads in, if PostgreSQL's input parser can follow it. */
export function dateOrderOf(pattern: string): DateOrder | undefined {
  const p = pattern.trim().toUpperCase();
  if (/^YYYY([-/.]?)MM\1DD([ T]HH(24)?:MI(:SS(\.[0-9A-Z]*)?)?)?$/.test(p)) return 'YMD';
  if (/^MM([-/.])DD\1YYYY( HH(24)?:MI(:SS)?)?$/.test(p)) return 'MDY';
  if (/^DD([-/.])MM\1YYYY( HH(24)?:MI(:SS)?)?$/.test(p)) return 'DMY';
  return undefined;
}

/**
 * How a `jdbc:postgresql://` destination loads with these options, or the reason it cannot:
 * the message names CopyOptions and the option.
 */
export function postgresProblem(o: ParsedCopyOptions): string | undefined {
  const lead = 'CopyOptions: ';
  const tail = ' with a jdbc:postgresql:// ClusterJDBCURL';
  if (o.unknown.length > 0) return `${lead}${o.unknown[0]} is not a Redshift COPY option Hydrant knows`;
  if (o.unsupported.length > 0) return `${lead}${o.unsupported[0].option} is not supported${tail}: ${o.unsupported[0].reason}.`;
  if (o.quote !== undefined && o.format !== 'csv') return `${lead}QUOTE can only be used with CSV.`;
  if (o.escape && o.format === 'csv') return `${lead}ESCAPE cannot be used with CSV.`;
  if (o.format === 'json') {
    for (const [set, name] of [[o.delimiter !== undefined, 'DELIMITER'], [o.nullAs !== undefined, 'NULL AS'], [o.ignoreHeader > 0, 'IGNOREHEADER'], [o.escape, 'ESCAPE']] as const) {
      if (set) return `${lead}${name} cannot be used with JSON.`;
    }
  }
  if (o.delimiter !== undefined && (Buffer.byteLength(unescapeDelimiter(o.delimiter)) !== 1 || /[\r\n\\]/.test(unescapeDelimiter(o.delimiter)))) {
    return `${lead}DELIMITER '${o.delimiter}' is not supported${tail}: PostgreSQL needs a single one-byte character other than newline, carriage return and backslash.`;
  }
  if (o.quote !== undefined && Buffer.byteLength(o.quote) !== 1) return `${lead}QUOTE '${o.quote}' must be a single one-byte character${tail}.`;
  if (o.nullAs !== undefined && /[\r\n]/.test(o.nullAs)) return `${lead}NULL AS cannot contain a newline or carriage return.`;
  if (o.ignoreHeader < 0) return `${lead}IGNOREHEADER must not be negative.`;
  if (o.blanksAsNull && o.format !== 'json') return `${lead}BLANKSASNULL is not supported${tail} for ${o.format} data (only with JSON).`;
  if (o.emptyAsNull && o.format === 'text') return `${lead}EMPTYASNULL is not supported${tail} for text data (use CSV or JSON).`;
  const orders = new Set<DateOrder>();
  for (const [name, value] of [['TIMEFORMAT', o.timeFormat], ['DATEFORMAT', o.dateFormat]] as const) {
    if (value === undefined || value.toLowerCase() === 'auto') continue;
    if (name === 'TIMEFORMAT' && (value === 'epochsecs' || value === 'epochmillisecs')) {
      if (o.format !== 'json') return `${lead}TIMEFORMAT '${value}' is supported${tail} only with JSON data.`;
      continue;
    }
    const order = dateOrderOf(value);
    if (!order) return `${lead}${name} '${value}' is not supported${tail}: use 'auto', or a pattern PostgreSQL reads such as 'YYYY-MM-DD HH:MI:SS', 'MM/DD/YYYY' or 'DD/MM/YYYY'.`;
    orders.add(order);
  }
  if (orders.size > 1) return `${lead}TIMEFORMAT and DATEFORMAT put day and month in different orders; PostgreSQL reads one order per load.`;
  return undefined;
}

/** Redshift writes a tab delimiter as '\t'. */
export function unescapeDelimiter(d: string): string {
  return d === '\\t' ? '\t' : d;
}

/** The DateStyle a load needs (undefined: PostgreSQL's default ISO, MDY). */
export function dateStyleFor(o: ParsedCopyOptions): string | undefined {
  for (const v of [o.dateFormat, o.timeFormat]) {
    const order = v === undefined ? undefined : dateOrderOf(v);
    if (order) return `ISO, ${order}`;
  }
  return undefined;
}

/** Whether GZIP in CopyOptions and the intermediate bucket's CompressionFormat agree; else the message. */
export function compressionProblem(o: ParsedCopyOptions, compressionFormat: string): string | undefined {
  if (compressionFormat === 'GZIP' && !o.gzip) {
    return 'CopyOptions must contain GZIP when S3Configuration.CompressionFormat is GZIP (COPY would read the compressed objects as text).';
  }
  if (compressionFormat !== 'GZIP' && o.gzip) {
    return `CopyOptions contains GZIP but S3Configuration.CompressionFormat is ${compressionFormat}; the staged objects would not be gzip.`;
  }
  return undefined;
}
