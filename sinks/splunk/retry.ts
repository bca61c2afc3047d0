/**
 * HEC answers → per-record outcomes, as pure functions (destinations.md §2.5, §2.8): token and
 * acknowledgement problems are configuration errors Firehose keeps retrying within the window;
 * malformed events and disallowed indexes are permanent; busy, unhealthy and 5xx are retried
 * (throttling honours Retry-After).
 */
import { rejected, retryable, type FailedOutcome } from '../../src/core/sink.js';
import { HttpCallError, retryAfterMs, truncatedText, type HttpCallResponse } from '../common/http-call.js';

export const SPLUNK_ERRORS = {
  disabledToken: 'Splunk.DisabledToken',
  invalidToken: 'Splunk.InvalidToken',
  invalidDataFormat: 'Splunk.InvalidDataFormat',
  invalidIndex: 'Splunk.InvalidIndex',
  serverError: 'Splunk.ServerError',
  disabledAck: 'Splunk.DisabledAck',
  ackTimeout: 'Splunk.AckTimeout',
  connectionTimeout: 'Splunk.ConnectionTimeout',
  invalidEndpoint: 'Splunk.InvalidEndpoint',
  connectionClosed: 'Splunk.ConnectionClosed',
  sslHandshake: 'Splunk.SSLHandshake',
  aborted: 'Splunk.RequestAborted',
} as const;

/** AWS's text for an acknowledgement that did not come in time. */
export const ACK_TIMEOUT_MESSAGE = "Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Hydrant backs up in Amazon S3 data for which the acknowledgement timeout expired.";

/** HEC's answer body: `{text, code, ackId?, invalid-event-number?}`. */
export interface HecAnswer {
  text?: string;
  code?: number;
  ackId?: number;
  'invalid-event-number'?: number;
}

export type HecVerdict =
  | { kind: 'accepted'; ackId?: number }
  | { kind: 'failed'; outcome: FailedOutcome; invalidEventNumber?: number };

const TOKEN_CODES: Record<number, string> = { 1: SPLUNK_ERRORS.disabledToken, 2: SPLUNK_ERRORS.invalidToken, 3: SPLUNK_ERRORS.invalidToken, 4: SPLUNK_ERRORS.invalidToken, 16: SPLUNK_ERRORS.invalidToken };
const DATA_CODES = new Set([5, 6, 12, 13, 15]);
const ACK_CODES = new Set([10, 11, 14]);
const BUSY_CODES = new Set([9, 26, 27]);

export function parseHecAnswer(body: Buffer): HecAnswer | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as HecAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** The verdict on one data request's response. */
export function classifyHecResponse(res: HttpCallResponse, now?: number): HecVerdict {
  const answer = parseHecAnswer(res.body);
  const code = typeof answer?.code === 'number' ? answer.code : undefined;
  if (res.status === 200 && (code === 0 || code === undefined)) return { kind: 'accepted', ackId: typeof answer?.ackId === 'number' ? answer.ackId : undefined };
  const text = `HEC answered ${res.status}${code !== undefined ? ` code ${code}` : ''}: ${answer?.text ?? truncatedText(res.body, 512)}`;
  const invalidEventNumber = typeof answer?.['invalid-event-number'] === 'number' ? answer['invalid-event-number'] : undefined;
  return { kind: 'failed', outcome: hecFailure(res.status, code, text, retryAfterMs(res.headers['retry-after'], now)), invalidEventNumber };
}

/** One HEC error (status and code) as an outcome. */
export function hecFailure(status: number, code: number | undefined, text: string, retryAfter?: number): FailedOutcome {
  if (code !== undefined) {
    if (TOKEN_CODES[code]) return retryable(TOKEN_CODES[code], text);
    if (DATA_CODES.has(code)) return rejected(SPLUNK_ERRORS.invalidDataFormat, text);
    if (code === 7) return rejected(SPLUNK_ERRORS.invalidIndex, text);
    if (ACK_CODES.has(code)) return retryable(SPLUNK_ERRORS.disabledAck, text);
    if (BUSY_CODES.has(code)) return retryable(SPLUNK_ERRORS.serverError, text, retryAfter);
  }
  if (status === 401 || status === 403) return retryable(SPLUNK_ERRORS.invalidToken, text);
  if (status === 404) return retryable(SPLUNK_ERRORS.invalidEndpoint, `${text} (is HECEndpoint the base URL of a HEC listener?)`);
  if (status === 429 || status === 503) return retryable(SPLUNK_ERRORS.serverError, text, retryAfter);
  if (status >= 500 || status < 400) return retryable(SPLUNK_ERRORS.serverError, text);
  return rejected(SPLUNK_ERRORS.invalidDataFormat, text);
}

/** A request that got no complete response. */
export function classifySplunkError(err: unknown): FailedOutcome {
  if (!HttpCallError.isInstance(err)) return retryable(SPLUNK_ERRORS.serverError, err instanceof Error ? err.message : String(err));
  switch (err.kind) {
    case 'timeout': return retryable(SPLUNK_ERRORS.connectionTimeout, `The connection to Splunk timed out: ${err.message}`);
    case 'connect':
    case 'dns': return retryable(SPLUNK_ERRORS.invalidEndpoint, `Could not connect to the HEC endpoint: ${err.message}`);
    case 'reset': return retryable(SPLUNK_ERRORS.connectionClosed, `The connection to Splunk was closed: ${err.message}`);
    case 'tls': return retryable(SPLUNK_ERRORS.sslHandshake, `The TLS handshake with Splunk failed: ${err.message}`);
    case 'too-large': return retryable(SPLUNK_ERRORS.serverError, err.message);
    case 'aborted': return retryable(SPLUNK_ERRORS.aborted, 'The attempt was aborted before Splunk acknowledged it.');
  }
}
