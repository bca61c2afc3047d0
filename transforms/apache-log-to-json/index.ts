/**
 * Apache / NGINX access-log lines → one JSON document per line (newline-terminated).
 *
 * Understands the Common Log Format and the Combined Log Format (NGINX's default `combined`):
 * `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "Mozilla/4.08"`.
 * A record may hold several lines (e.g. from a log shipper); every line becomes a document. A
 * record with a line that does not parse is marked ProcessingFailed, so it lands in
 * `processing-failed/` unchanged instead of being delivered half-converted.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../firehose-event.js';

const LINE = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+?)(?: (\S+))?" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?\s*$/;
const MONTHS: Record<string, string> = { Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12' };

/** `10/Oct/2000:13:55:36 -0700` → `2000-10-10T13:55:36-07:00` (ISO 8601, offset kept). */
export function isoTime(clf: string): string | undefined {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(clf);
  if (!m || !MONTHS[m[2]]) return undefined;
  return `${m[3]}-${MONTHS[m[2]]}-${m[1]}T${m[4]}:${m[5]}:${m[6]}${m[7]}${m[8]}:${m[9]}`;
}

const dash = (v: string | undefined) => (v === undefined || v === '-' ? null : v);

/** One access-log line as a JSON-ready object, or undefined when it is not one. */
export function parseLine(line: string): Record<string, unknown> | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const time = isoTime(m[4]);
  if (!time) return undefined;
  return {
    remoteAddr: m[1],
    ident: dash(m[2]),
    remoteUser: dash(m[3]),
    time,
    method: m[5],
    path: m[6],
    protocol: m[7] ?? null,
    status: Number(m[8]),
    bytes: m[9] === '-' ? 0 : Number(m[9]),
    referer: dash(m[10]),
    userAgent: dash(m[11]),
  };
}

function transform(data: string): string | undefined {
  const out: string[] = [];
  for (const line of data.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const doc = parseLine(line);
    if (!doc) return undefined;
    out.push(`${JSON.stringify(doc)}\n`);
  }
  return out.join('');
}

export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => ({
  records: event.records.map((record): FirehoseTransformationResultRecord => {
    const json = transform(Buffer.from(record.data, 'base64').toString('utf8'));
    if (json === undefined) return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    if (json === '') return { recordId: record.recordId, result: 'Dropped', data: '' };
    return { recordId: record.recordId, result: 'Ok', data: Buffer.from(json, 'utf8').toString('base64') };
  }),
});
