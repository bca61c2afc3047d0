/**
 * Reading JSON timestamps for record format conversion (reference §9). Without explicit formats
 * both SerDes accept what the OpenX SerDe documents: `yyyy-MM-dd'T'HH:mm:ss[.S]'Z'` (an offset
 * instead of Z too), `yyyy-[M]M-[d]d HH:mm:ss[.S]` (java.sql.Timestamp's form), epoch seconds
 * (fractions allowed) and epoch milliseconds. The Hive SerDe's `TimestampFormats` are Joda-Time
 * patterns (or `millis`), compiled here into matchers. Results are epoch ms, UTC unless the text
 * carries an offset.
 */

/** Numbers at least this large are epoch milliseconds; smaller ones are epoch seconds (year 5138 as seconds). */
const MILLIS_THRESHOLD = 1e11;
const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function fromParts(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, fraction = '', offsetMinutes = 0): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0);
  const check = new Date(ms);
  if (check.getUTCDate() !== d) return undefined; // 2023-02-30 and the like
  return ms - offsetMinutes * 60_000;
}

function offsetOf(text: string | undefined): number {
  if (!text || text === 'Z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

/** Epoch ms from an epoch number (seconds or milliseconds, see MILLIS_THRESHOLD). */
export function fromEpochNumber(n: number): number {
  return Math.abs(n) >= MILLIS_THRESHOLD ? Math.trunc(n) : Math.round(n * 1000);
}

/** The default formats; undefined when the value is not a timestamp. */
export function parseDefaultTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? fromEpochNumber(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromEpochNumber(Number(text));
  const m = ISO.exec(text);
  if (!m) return undefined;
  return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] ?? '', offsetOf(m[8]));
}

type Field = 'y' | 'M' | 'd' | 'H' | 'h' | 'm' | 's' | 'S' | 'a' | 'Z';

/** A matcher for one Joda-Time pattern (`yyyy-MM-dd HH:mm:ss.SSS`, `dd/MMM/yyyy:HH:mm:ss Z`, ...) or `millis`. */
export function compileJodaPattern(pattern: string): (text: string) => number | undefined {
  if (pattern === 'millis') {
    return (text) => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);
  }
  const fields: Field[] = [];
  let re = '^';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
      re += lit === '' ? "'" : lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y': case 'Y': fields.push('y'); re += n === 2 ? '(\\d{2})' : '(\\d{4})'; break;
      case 'M':
        fields.push('M');
        re += n >= 3 ? '([A-Za-z]+)' : n === 2 ? '(\\d{2})' : '(\\d{1,2})';
        break;
      case 'd': fields.push('d'); re += n === 2 ? '(\\d{2})' : '(\\d{1,2})'; break;
      case 'H': fields.push('H'); re += n === 2 ? '(\\d{2})' : '(\\d{1,2})'; break;
      case 'h': fields.push('h'); re += n === 2 ? '(\\d{2})' : '(\\d{1,2})'; break;
      case 'm': fields.push('m'); re += n === 2 ? '(\\d{2})' : '(\\d{1,2})'; break;
      case 's': fields.push('s'); re += n === 2 ? '(\\d{2})' : '(\\d{1,2})'; break;
      case 'S': fields.push('S'); re += `(\\d{1,${Math.max(n, 9)}})`; break;
      case 'a': fields.push('a'); re += '([AaPp][Mm])'; break;
      case 'Z': case 'X': case 'x': fields.push('Z'); re += '(Z|[+-]\\d{2}:?\\d{2})'; break;
      default: re += c.repeat(n).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const matcher = new RegExp(`${re}$`);
  const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  return (text) => {
    const m = matcher.exec(text.trim());
    if (!m) return undefined;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = '', pm = false, twelve = false, off = 0;
    fields.forEach((f, k) => {
      const v = m[k + 1];
      switch (f) {
        case 'y': y = v.length === 2 ? 2000 + Number(v) : Number(v); break;
        case 'M': mo = /^\d+$/.test(v) ? Number(v) : MONTHS.indexOf(v.slice(0, 3).toLowerCase()) + 1; break;
        case 'd': d = Number(v); break;
        case 'H': h = Number(v); break;
        case 'h': h = Number(v) % 12; twelve = true; break;
        case 'm': mi = Number(v); break;
        case 's': s = Number(v); break;
        case 'S': frac = v; break;
        case 'a': pm = v.toLowerCase() === 'pm'; break;
        case 'Z': off = offsetOf(v); break;
      }
    });
    if (twelve && pm) h += 12;
    return fromParts(y, mo, d, h, mi, s, frac, off);
  };
}
