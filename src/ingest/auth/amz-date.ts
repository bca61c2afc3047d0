import { incompleteSignature, invalidSignature } from './errors.js';

/** `20240102T030405Z` (ISO 8601 basic format, UTC), as SigV4 writes dates. */
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses an X-Amz-Date value to epoch ms, or throws IncompleteSignatureException like AWS. */
export function parseAmzDate(value: string): number {
  const m = AMZ_DATE.exec(value);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).getUTCDate() !== +m[3]) {
    throw incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  return ms;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function describeWindow(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min.` : `${ms / 1000} sec.`;
}

/**
 * Rejects a request date outside [now - pastWindow, now + futureWindow] with AWS's
 * InvalidSignatureException wording.
 */
export function checkRequestTime(dateValue: string, dateMs: number, now: number, pastWindowMs: number, futureWindowMs: number): void {
  if (dateMs < now - pastWindowMs) {
    throw invalidSignature(`Signature expired: ${dateValue} is now earlier than ${formatAmzDate(now - pastWindowMs)} ` +
      `(${formatAmzDate(now)} - ${describeWindow(pastWindowMs)})`);
  }
  if (dateMs > now + futureWindowMs) {
    throw invalidSignature(`Signature not yet current: ${dateValue} is still later than ${formatAmzDate(now + futureWindowMs)} ` +
      `(${formatAmzDate(now)} + ${describeWindow(futureWindowMs)})`);
  }
}
