/**
 * Wall-clock fields of an instant in an IANA time zone, computed with `Intl` (Node ships full
 * ICU). UTC takes a fast path with no `Intl` call at all.
 */

/** Calendar fields of one instant as seen in one zone. */
export interface ZonedFields {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  /** 0–23 */
  hour: number;
  minute: number;
  second: number;
  /** 0–999 */
  millis: number;
  /** 0 = Sunday … 6 = Saturday */
  dayOfWeek: number;
  /** 1–366 */
  dayOfYear: number;
  /** Offset from UTC in seconds (east positive), e.g. 32400 for Asia/Tokyo. */
  offsetSeconds: number;
  /** The zone id the fields were computed for ("UTC" when none was given). */
  zoneId: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for "UTC" and its common aliases, which skip `Intl` entirely. */
function isUtc(timeZone: string | undefined): boolean {
  return !timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'GMT' || timeZone === 'Etc/GMT';
}

/** Whether `Intl` knows the zone (an IANA name such as `Asia/Tokyo`). */
export function isValidTimeZone(timeZone: string): boolean {
  if (isUtc(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `timeZone` from UTC at instant `ms`, in seconds. Throws RangeError for an unknown zone. */
export function zoneOffsetSeconds(ms: number, timeZone?: string): number {
  if (isUtc(timeZone)) return 0;
  const parts = formatterFor(timeZone as string).formatToParts(new Date(ms));
  let y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0;
  for (const p of parts) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      default: break;
    }
  }
  const wallAsUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const wholeSecondMs = Math.floor(ms / 1000) * 1000;
  return Math.round((wallAsUtc - wholeSecondMs) / 1000);
}

/** Fields of the instant `ms` (epoch milliseconds) in `timeZone` (default UTC). */
export function zonedFields(ms: number, timeZone?: string): ZonedFields {
  const offsetSeconds = zoneOffsetSeconds(ms, timeZone);
  const local = new Date(ms + offsetSeconds * 1000);
  const year = local.getUTCFullYear();
  const startOfYear = Date.UTC(year, 0, 1);
  const startOfDay = Date.UTC(year, local.getUTCMonth(), local.getUTCDate());
  return {
    year,
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    millis: local.getUTCMilliseconds(),
    dayOfWeek: local.getUTCDay(),
    dayOfYear: Math.round((startOfDay - startOfYear) / 86_400_000) + 1,
    offsetSeconds,
    zoneId: isUtc(timeZone) ? (timeZone || 'UTC') : (timeZone as string),
  };
}
