/**
 * How Firehose judges an HTTP endpoint's answer (destinations.md §1.3–1.4), as pure functions:
 * only a 200 with an uncompressed JSON body echoing the request's `requestId` and a numeric
 * `timestamp` is a delivery; anything malformed counts as a retryable failure; 413 is permanent.
 */
import { delivered, rejected, retryable, type FailedOutcome, type RecordOutcome } from '../../src/core/sink.js';
import { HttpCallError, retryAfterMs, truncatedText, type HttpCallResponse } from '../common/http-call.js';

/** Firehose's error codes for this destination. */
export const HTTP_ENDPOINT_ERRORS = {
  invalidResponse: 'HttpEndpoint.InvalidResponseFromDestination',
  destination: 'HttpEndpoint.DestinationException',
  timeout: 'HttpEndpoint.RequestTimeout',
  tooLarge: 'HttpEndpoint.ResponseTooLarge',
  connectionFailed: 'HttpEndpoint.ConnectionFailed',
  connectionReset: 'HttpEndpoint.ConnectionReset',
  ssl: 'HttpEndpoint.SSLHandshakeFailure',
  aborted: 'HttpEndpoint.RequestAborted',
} as const;

const RESPONSE_FIELDS = new Set(['requestId', 'timestamp', 'errorMessage']);

function header(res: HttpCallResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The endpoint's own `errorMessage`, if its body is the spec's JSON. */
function endpointMessage(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorMessage?: unknown };
    return typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : undefined;
  } catch {
    return undefined;
  }
}

/** Why a 200 response is not a valid acknowledgement of `requestId`, or undefined when it is. */
export function invalidResponseReason(res: HttpCallResponse, requestId: string): string | undefined {
  const type = (header(res, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return `the response's Content-Type is ${type ? `'${type}'` : 'missing'}, not application/json`;
  if (res.body.length > 0 && header(res, 'content-length') === undefined) return 'the response has a body but no Content-Length';
  const encoding = header(res, 'content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return `the response uses Content-Encoding ${encoding}; it must be uncompressed`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    return 'the response body is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the response body is not a JSON object';
  const obj = parsed as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => !RESPONSE_FIELDS.has(k));
  if (extra.length > 0) return `the response has unexpected fields: ${extra.join(', ')}`;
  if (obj.requestId === undefined) return 'the response has no requestId';
  if (obj.requestId !== requestId) return `the response's requestId ${JSON.stringify(obj.requestId)} is not the request's ${requestId}`;
  if (typeof obj.timestamp !== 'number') return `the response's timestamp must be a number; got ${obj.timestamp === undefined ? 'none' : JSON.stringify(obj.timestamp)}`;
  return undefined;
}

/** The outcome (for every record of the request) of one complete response. */
export function classifyHttpEndpointResponse(res: HttpCallResponse, requestId: string, now?: number): RecordOutcome {
  if (res.status === 200) {
    const reason = invalidResponseReason(res, requestId);
    if (!reason) return delivered;
    return retryable(HTTP_ENDPOINT_ERRORS.invalidResponse, `The response received from the endpoint is invalid: ${reason}. Response: ${truncatedText(res.body)}`);
  }
  const message = `Received the following response from the endpoint destination. ${res.status}: ${truncatedText(res.body)}`;
  const own = endpointMessage(res.body);
  const text = own !== undefined && !message.includes(own) ? `${message} (${own})` : message;
  // 413: the batch is too big for the endpoint; sending it again cannot help (lower BufferingHints.SizeInMBs).
  if (res.status === 413) return rejected(HTTP_ENDPOINT_ERRORS.destination, text);
  return retryable(HTTP_ENDPOINT_ERRORS.destination, text, res.status === 429 || res.status === 503 ? retryAfterMs(res.headers['retry-after'], now) : undefined);
}

/** The outcome of a request that got no complete response (thrown by `httpCall`, or anything else `send` threw). */
export function classifyHttpEndpointError(err: unknown): FailedOutcome {
  if (!HttpCallError.isInstance(err)) return retryable(HTTP_ENDPOINT_ERRORS.destination, err instanceof Error ? err.message : String(err));
  switch (err.kind) {
    case 'timeout': return retryable(HTTP_ENDPOINT_ERRORS.timeout, `The endpoint did not respond in time: ${err.message}`);
    case 'too-large': return retryable(HTTP_ENDPOINT_ERRORS.tooLarge, `The response from the endpoint is too large: ${err.message}`);
    case 'connect':
    case 'dns': return retryable(HTTP_ENDPOINT_ERRORS.connectionFailed, `Could not connect to the endpoint: ${err.message}`);
    case 'reset': return retryable(HTTP_ENDPOINT_ERRORS.connectionReset, `The connection to the endpoint was reset: ${err.message}`);
    case 'tls': return retryable(HTTP_ENDPOINT_ERRORS.ssl, `The TLS handshake with the endpoint failed: ${err.message}`);
    case 'aborted': return retryable(HTTP_ENDPOINT_ERRORS.aborted, 'The attempt was aborted before the endpoint answered.');
  }
}
