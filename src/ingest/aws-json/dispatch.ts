import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/aws-error.js';
import type { Logger } from '../../observability/logger.js';
import type { RouteRequest, RouteResponse } from '../http/types.js';
import type { Operation } from './firehose-ops.js';

/** Validates an operation's input against its service model (blobs come back as Buffers). */
export interface InputParser {
  hasOperation(operation: string): boolean;
  parse(operation: string, body: unknown): unknown;
}

export interface AwsService {
  /** `X-Amz-Target` prefix, e.g. `Firehose_20150804`. */
  targetPrefix: string;
  parser: InputParser;
  operations: Record<string, Operation>;
}

export interface Authenticator {
  verify(req: { method: string; path: string; query: URLSearchParams; headers: RouteRequest['headers']; body: Buffer }): Promise<unknown>;
}

const JSON_TYPES = new Set(['application/x-amz-json-1.1', 'application/x-amz-json-1.0', 'application/json']);

function xml(status: number, body: string, requestId: string): RouteResponse {
  return { status, headers: { 'content-type': 'application/xml', 'x-amzn-requestid': requestId }, body };
}

export function errorResponse(err: AwsError, requestId: string, contentType = 'application/x-amz-json-1.1'): RouteResponse {
  return {
    status: err.status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.type },
    body: JSON.stringify(err.toBody()),
  };
}

/**
 * `POST /` for the AWS JSON 1.1 protocol: route by `X-Amz-Target`, then the same checks in the
 * same order as AWS's front end (content type, JSON, operation, authentication, model
 * validation), then the operation. Every error is an AWS error body with a request id.
 */
export function awsJsonHandler(services: AwsService[], auth: Authenticator | undefined, logger: Logger) {
  const byPrefix = new Map(services.map((s) => [s.targetPrefix, s]));
  return async (req: RouteRequest): Promise<RouteResponse> => {
    const requestId = randomUUID();
    const target = req.headers['x-amz-target'];
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const replyType = contentType === 'application/x-amz-json-1.0' ? contentType : 'application/x-amz-json-1.1';
    try {
      if (!JSON_TYPES.has(contentType)) {
        if (typeof target !== 'string') {
          return xml(403, '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n', requestId);
        }
        return xml(404, '<UnknownOperationException/>\n', requestId);
      }
      const dot = typeof target === 'string' ? target.indexOf('.') : -1;
      const service = dot > 0 ? byPrefix.get((target as string).slice(0, dot)) : undefined;
      const operation = dot > 0 ? (target as string).slice(dot + 1) : '';
      if (req.body.length === 0) {
        throw service && service.parser.hasOperation(operation)
          ? new AwsError('SerializationException', '', 400, { messageKey: 'Message' })
          : new AwsError('UnknownOperationException', '');
      }
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        throw new AwsError('SerializationException', 'Malformed JSON in the request body.', 400, { messageKey: 'Message' });
      }
      if (!service || !service.parser.hasOperation(operation) || !service.operations[operation]) {
        throw new AwsError('UnknownOperationException', '');
      }
      if (auth) await auth.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body });
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new AwsError('SerializationException', 'Start of structure or map expected in the request body.', 400, { messageKey: 'Message' });
      }
      const input = service.parser.parse(operation, body) as Record<string, unknown>;
      const out = await service.operations[operation](input);
      return {
        status: 200,
        headers: { 'content-type': replyType, 'x-amzn-requestid': requestId },
        body: typeof out === 'string' ? out : JSON.stringify(out ?? {}),
      };
    } catch (err) {
      if (AwsError.isInstance(err)) return errorResponse(err, requestId, replyType);
      logger.error({ err, target, requestId }, 'internal failure');
      return errorResponse(new AwsError('InternalFailure', '', 500), requestId, replyType);
    }
  };
}
