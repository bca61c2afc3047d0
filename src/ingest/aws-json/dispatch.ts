import { awsErrorOf } from '../http/aws-failure.js';
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/aws-error.js';
import type { Logger } from '../../observability/logger.js';
import type { RouteRequest, RouteResponse } from '../http/types.js';
import { CBOR_CONTENT_TYPE, decodeCbor, encodeCbor } from './cbor.js';
import { EventStreamOutput } from './event-stream-output.js';
import { toJson } from './json.js';

/** How one request is encoded on the wire; its response (and any event payloads) use the same. */
export type WireProtocol = 'json' | 'cbor';

/** What an operation learns about the request besides its input. */
export interface OperationContext {
  requestId: string;
  protocol: WireProtocol;
}

/**
 * An operation's handler: the validated input in (identical whichever protocol carried it: blobs
 * as `Buffer`, timestamps as epoch seconds), the output out. The output is an object (blobs as
 * `Buffer`, timestamps as `AwsTimestamp`) encoded for the request's protocol; `undefined` (or
 * null) for an empty body; an `EventStreamOutput` to stream events; or pre-serialized JSON
 * (a string or a Buffer of UTF-8) for hot paths. A JSON string is re-encoded for CBOR requests as it reads, so it may hold no blob (it
 * would stay a base64 string) or timestamp (it would stay a seconds number): operations that
 * serve CBOR clients return objects.
 */
export type AwsOperation = (input: Record<string, unknown>, ctx: OperationContext) => Promise<unknown> | unknown;

/** Validates an operation's input against its service model (blobs come back as Buffers). */
export interface InputParser {
  hasOperation(operation: string): boolean;
  /** `options.cbor`: the body was decoded from CBOR (byte strings, tag-1 millisecond timestamps). */
  parse(operation: string, body: unknown, options?: { cbor?: boolean }): unknown;
}

export interface AwsService {
  /** `X-Amz-Target` prefix, e.g. `Firehose_20150804`. */
  targetPrefix: string;
  parser: InputParser;
  operations: Record<string, AwsOperation>;
  /**
   * Accept `application/x-amz-cbor-1.1` (Kinesis: the Java SDKs' and KPL's default) and, like
   * Kinesis's front end, look at an empty body before the content type. Without it the CBOR
   * content type is an unknown one (404 `<UnknownOperationException/>`), as Firehose answers.
   */
  cbor?: boolean;
  /**
   * Answer `application/json` requests with the legacy Coral envelope Kinesis sends
   * (`{"Output":{"__type":"com.amazon.coral.service#…"},"Version":"1.0"}`) instead of serving them.
   */
  legacyJsonEnvelope?: boolean;
}

export interface Authenticator {
  verify(req: { method: string; path: string; query: URLSearchParams; headers: RouteRequest['headers']; body: Buffer }): Promise<unknown>;
}

const JSON_11 = 'application/x-amz-json-1.1';
const JSON_10 = 'application/x-amz-json-1.0';
const PLAIN_JSON = 'application/json';
const JSON_TYPES = new Set([JSON_11, JSON_10, PLAIN_JSON]);

function xml(status: number, body: string, requestId: string): RouteResponse {
  return { status, headers: { 'content-type': 'application/xml', 'x-amzn-requestid': requestId }, body };
}

/** An AWS error body (`{__type, message}`), in CBOR when `contentType` is the CBOR one. */
export function errorResponse(err: AwsError, requestId: string, contentType = JSON_11): RouteResponse {
  const body = err.toBody();
  return {
    status: err.status,
    headers: {
      'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.type,
      // The storage backend is unreachable for now: a hint when to try again (SDKs retry 503s by themselves).
      ...(err.status === 503 ? { 'retry-after': '1' } : {}),
    },
    body: contentType === CBOR_CONTENT_TYPE ? encodeCbor(body) : JSON.stringify(body),
  };
}

/**
 * An output value encoded for a protocol, e.g. an event payload of an event stream: JSON text
 * (blobs base64, timestamps epoch seconds) or CBOR (byte strings, tag 1 epoch milliseconds).
 */
export function encodePayload(value: unknown, protocol: WireProtocol): Buffer {
  return protocol === 'cbor' ? encodeCbor(value) : Buffer.from(toJson(value));
}

function outputBody(out: unknown, protocol: WireProtocol): string | Buffer {
  if (out === undefined || out === null) return '';
  if (protocol === 'json') return typeof out === 'string' || Buffer.isBuffer(out) ? out : toJson(out);
  return encodeCbor(typeof out === 'string' || Buffer.isBuffer(out) ? JSON.parse(out.toString()) : out);
}

function serializationException(message: string): AwsError {
  return new AwsError('SerializationException', message, 400, { messageKey: 'Message' });
}

/** Kinesis's `application/json` answer: a legacy envelope, never the operation. */
function legacyEnvelope(type: string, status: number, requestId: string): RouteResponse {
  return {
    status,
    headers: { 'content-type': PLAIN_JSON, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ Output: { __type: `com.amazon.coral.service#${type}` }, Version: '1.0' }),
  };
}

/**
 * `POST /` for the AWS JSON 1.1 protocol and its CBOR variant: route by `X-Amz-Target`, then the
 * same checks in the same order as AWS's front end (content type, body decoding, operation,
 * authentication, model validation), then the operation. The response uses the request's
 * content type (JSON 1.0 answers JSON 1.0, CBOR answers CBOR, `application/json` answers
 * JSON 1.1). Every error is an AWS error body with a request id.
 */
export function awsJsonHandler(services: AwsService[], auth: Authenticator | undefined, logger: Logger) {
  const byPrefix = new Map(services.map((s) => [s.targetPrefix, s]));
  return async (req: RouteRequest): Promise<RouteResponse> => {
    const requestId = randomUUID();
    const target = req.headers['x-amz-target'];
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const dot = typeof target === 'string' ? target.indexOf('.') : -1;
    const service = dot > 0 ? byPrefix.get((target as string).slice(0, dot)) : undefined;
    const operation = dot > 0 ? (target as string).slice(dot + 1) : '';
    const protocol: WireProtocol = contentType === CBOR_CONTENT_TYPE && service?.cbor === true ? 'cbor' : 'json';
    let replyType = protocol === 'cbor' ? CBOR_CONTENT_TYPE : contentType === JSON_10 ? JSON_10 : JSON_11;
    const emptyBody = () => service && service.parser.hasOperation(operation)
      ? serializationException('')
      : new AwsError('UnknownOperationException', '');
    try {
      if (service?.cbor === true && req.body.length === 0) {
        // Kinesis's front end checks for a body before the content type, and answers in CBOR
        // unless the request said JSON 1.1.
        if (contentType !== JSON_11) replyType = CBOR_CONTENT_TYPE;
        throw emptyBody();
      }
      if (protocol === 'json' && !JSON_TYPES.has(contentType)) {
        if (typeof target !== 'string') {
          return xml(403, '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n', requestId);
        }
        return xml(404, '<UnknownOperationException/>\n', requestId);
      }
      if (req.body.length === 0) throw emptyBody();
      let body: unknown;
      if (protocol === 'cbor') {
        try {
          body = decodeCbor(req.body);
        } catch {
          throw serializationException('Malformed CBOR in the request body.');
        }
      } else {
        let parsed = true;
        try {
          body = JSON.parse(req.body.toString('utf8'));
        } catch {
          parsed = false;
        }
        if (contentType === PLAIN_JSON && service?.legacyJsonEnvelope === true) {
          return typeof body === 'object' && body !== null
            ? legacyEnvelope('UnknownOperationException', 404, requestId)
            : legacyEnvelope('SerializationException', 400, requestId);
        }
        if (!parsed) throw serializationException('Malformed JSON in the request body.');
      }
      if (!service || !service.parser.hasOperation(operation) || !service.operations[operation]) {
        throw new AwsError('UnknownOperationException', '');
      }
      if (auth) await auth.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body });
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw serializationException('Start of structure or map expected in the request body.');
      }
      const input = service.parser.parse(operation, body, protocol === 'cbor' ? { cbor: true } : undefined) as Record<string, unknown>;
      const out = await service.operations[operation](input, { requestId, protocol });
      if (out instanceof EventStreamOutput) {
        return { status: 200, headers: { 'content-type': out.contentType, 'x-amzn-requestid': requestId }, body: out.events };
      }
      return { status: 200, headers: { 'content-type': replyType, 'x-amzn-requestid': requestId }, body: outputBody(out, protocol) };
    } catch (err) {
      const known = awsErrorOf(err);
      if (known) {
        if (!AwsError.isInstance(err)) logger.warn({ err, target, requestId }, 'the log is unavailable');
        return errorResponse(known, requestId, replyType);
      }
      logger.error({ err, target, requestId }, 'internal failure');
      return errorResponse(new AwsError('InternalFailure', '', 500), requestId, replyType);
    }
  };
}
