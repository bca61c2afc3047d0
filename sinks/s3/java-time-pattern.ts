/**
 * A formatter for the subset of Java `DateTimeFormatter.ofPattern` patterns that Firehose accepts in
 * `!{timestamp:<pattern>}` expressions. Output matches Java with an English (US) locale, which is
 * what Firehose produces (e.g. `MMM` → `Aug`, week fields use Sunday-start weeks).
 *
 * Supported letters: G u y Y M L Q q w W d D E e c a h K k H m s S A n N VV O X x Z.
 * Single-quoted text is literal; `''` is one quote. `[` and `]` (optional sections) print their
 * content, since every field is always available. Non-letters are literal.
 * Not supported (rejected with a clear message): `z`, `v` (zone names differ between Java and ICU),
 * `p` (padding), `B`, `F`, `g`, and `#`, `{`, `}` (reserved by Java).
 */
import { zonedFields, type ZonedFields } from './zoned-time.js';

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

type Token = { lit: string } | { letter: string; count: number };

/** A compiled pattern: call it with the zoned fields of one instant. */
export type CompiledPattern = (f: ZonedFields) => string;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const QUARTER_NAMES = ['1st quarter', '2nd quarter', '3rd quarter', '4th quarter'];

/** Max repeat count per letter (Java throws "Too many pattern letters" beyond it). */
const MAX_COUNT: Record<string, number> = {
  G: 5, u: 19, y: 19, Y: 19, M: 5, L: 5, Q: 5, q: 5, w: 2, W: 1, d: 2, D: 3, E: 5, e: 5, c: 5,
  a: 1, h: 2, K: 2, k: 2, H: 2, m: 2, s: 2, S: 9, A: 19, n: 19, N: 19, V: 2, O: 4, X: 5, x: 5, Z: 5,
};

const UNSUPPORTED: Record<string, string> = {
  z: 'time-zone names (z) are not supported; use VV, O, X, x or Z',
  v: 'generic time-zone names (v) are not supported; use VV, O, X, x or Z',
  p: 'pad modifiers (p) are not supported',
};

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')) {
      let j = i + 1;
      while (j < pattern.length && pattern[j] === ch) j++;
      const count = j - i;
      if (UNSUPPORTED[ch]) throw new PatternError(`Unsupported pattern letter in '${pattern}': ${UNSUPPORTED[ch]}`);
      const max = MAX_COUNT[ch];
      if (max === undefined) throw new PatternError(`Unknown pattern letter: ${ch}`);
      if (count > max) throw new PatternError(`Too many pattern letters: ${ch}`);
      if (ch === 'V' && count !== 2) throw new PatternError('Pattern letter count must be 2: V');
      if (ch === 'c' && count === 2) throw new PatternError('Invalid pattern "cc"');
      tokens.push({ letter: ch, count });
      i = j;
    } else if (ch === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length) throw new PatternError(`Pattern ends with an incomplete string literal: ${pattern}`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") { text += "'"; j += 2; continue; }
          break;
        }
        text += pattern[j++];
      }
      tokens.push({ lit: j === i + 1 ? "'" : text });
      i = j + 1;
    } else if (ch === '#' || ch === '{' || ch === '}') {
      throw new PatternError(`Pattern includes reserved character: '${ch}'`);
    } else if (ch === '[' || ch === ']') {
      i++; // optional section markers: every field is available, so the content always prints
    } else {
      tokens.push({ lit: ch });
      i++;
    }
  }
  return tokens;
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  const padded = s.length >= width ? s : '0'.repeat(width - s.length) + s;
  return n < 0 ? '-' + padded : padded;
}

/** Java's year printing: `yy` is the two-digit reduced year, otherwise zero-pad to the count. */
function year(y: number, count: number): string {
  if (count === 2) return pad(((y % 100) + 100) % 100, 2);
  return pad(y, count);
}

function text(full: string, count: number, shortLen = 3): string {
  if (count === 4) return full;
  if (count === 5) return full.slice(0, 1);
  return full.slice(0, shortLen);
}

/** US week rules (Sunday start, minimal days 1): week 1 of a year is the week containing 1 January. */
function weekFields(f: ZonedFields): { weekYear: number; week: number } {
  const daysUntilSaturday = 6 - f.dayOfWeek;
  const saturday = new Date(Date.UTC(f.year, f.month - 1, f.day + daysUntilSaturday));
  if (saturday.getUTCFullYear() > f.year) return { weekYear: f.year + 1, week: 1 };
  const jan1Dow = new Date(Date.UTC(f.year, 0, 1)).getUTCDay();
  return { weekYear: f.year, week: Math.floor((f.dayOfYear - 1 + jan1Dow) / 7) + 1 };
}

function offset(seconds: number, withColon: boolean, showMinutes: 'always' | 'nonzero', showSeconds: boolean): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60), s = abs % 60;
  const sep = withColon ? ':' : '';
  let out = sign + pad(h, 2);
  if (showMinutes === 'always' || m !== 0 || (showSeconds && s !== 0)) out += sep + pad(m, 2);
  if (showSeconds && s !== 0) out += sep + pad(s, 2);
  return out;
}

function offsetField(letter: string, count: number, secs: number): string {
  if (letter === 'O') {
    if (secs === 0) return 'GMT';
    const sign = secs < 0 ? '-' : '+';
    const abs = Math.abs(secs);
    const h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60);
    return count === 4 ? `GMT${sign}${pad(h, 2)}:${pad(m, 2)}` : `GMT${sign}${h}${m ? ':' + pad(m, 2) : ''}`;
  }
  if (letter === 'Z') {
    if (count <= 3) return offset(secs, false, 'always', false);
    if (count === 4) return secs === 0 ? 'GMT' : offsetField('O', 4, secs);
    return secs === 0 ? 'Z' : offset(secs, true, 'always', true);
  }
  // X (prints Z for zero) and x (prints +00…)
  if (letter === 'X' && secs === 0) return 'Z';
  switch (count) {
    case 1: return offset(secs, false, 'nonzero', false);
    case 2: return offset(secs, false, 'always', false);
    case 3: return offset(secs, true, 'always', false);
    case 4: return offset(secs, false, 'always', true);
    default: return offset(secs, true, 'always', true);
  }
}

function field(letter: string, count: number, f: ZonedFields): string {
  switch (letter) {
    case 'G': return count === 4 ? 'Anno Domini' : count === 5 ? 'A' : 'AD';
    case 'u': case 'y': return year(f.year, count);
    case 'Y': return year(weekFields(f).weekYear, count);
    case 'M': case 'L': return count <= 2 ? pad(f.month, count) : text(MONTHS[f.month - 1], count);
    case 'Q': case 'q': {
      const q = Math.floor((f.month - 1) / 3) + 1;
      if (count <= 2) return pad(q, count);
      if (count === 3) return `Q${q}`;
      return count === 4 ? QUARTER_NAMES[q - 1] : String(q);
    }
    case 'w': return pad(weekFields(f).week, count);
    case 'W': return String(Math.floor((f.day - 1 + new Date(Date.UTC(f.year, f.month - 1, 1)).getUTCDay()) / 7) + 1);
    case 'd': return pad(f.day, count);
    case 'D': return pad(f.dayOfYear, count);
    case 'E': return text(DAYS[f.dayOfWeek], count);
    case 'e': case 'c': return count <= 2 ? pad(f.dayOfWeek + 1, count) : text(DAYS[f.dayOfWeek], count);
    case 'a': return f.hour < 12 ? 'AM' : 'PM';
    case 'h': return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, count);
    case 'K': return pad(f.hour % 12, count);
    case 'k': return pad(f.hour === 0 ? 24 : f.hour, count);
    case 'H': return pad(f.hour, count);
    case 'm': return pad(f.minute, count);
    case 's': return pad(f.second, count);
    case 'S': return pad(f.millis, 3).padEnd(9, '0').slice(0, count);
    case 'A': return pad(((f.hour * 60 + f.minute) * 60 + f.second) * 1000 + f.millis, count);
    case 'n': return pad(f.millis * 1_000_000, count);
    case 'N': return pad((((f.hour * 60 + f.minute) * 60 + f.second) * 1000 + f.millis) * 1_000_000, count);
    case 'V': return f.zoneId;
    default: return offsetField(letter, count, f.offsetSeconds);
  }
}

const cache = new Map<string, CompiledPattern>();

/** Compiles (and caches) a pattern. Throws PatternError with a Java-like message for a bad pattern. */
export function compilePattern(pattern: string): CompiledPattern {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const tokens = tokenize(pattern);
  const compiled: CompiledPattern = (f) => {
    let out = '';
    for (const t of tokens) out += 'lit' in t ? t.lit : field(t.letter, t.count, f);
    return out;
  };
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Formats the instant `ms` with a Java DateTimeFormatter pattern in `timeZone` (default UTC). */
export function formatJavaPattern(pattern: string, ms: number, timeZone?: string): string {
  return compilePattern(pattern)(zonedFields(ms, timeZone));
}
