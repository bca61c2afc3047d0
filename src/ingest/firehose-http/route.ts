/**
 * The receiving side of the Firehose HTTP endpoint delivery specification (protocol 1.0):
 * `POST /v1/firehose/{deliveryStream}` accepts deliveries from an AWS Firehose stream or another
 * Hydrant and appends the records to that delivery stream (durably, before answering). It checks
 * the access key, the protocol headers and the body; answers `{requestId, timestamp}` with 200,
 * and errors with the spec's body (`errorMessage`) and the status the sender acts on: 400 bad
 * request, 401 bad key, 404 unknown stream, 413 too large, 429/503 try again, 500 internal.
 */
import type { DeliveryStreams } from '../../delivery/delivery-streams.js';
import { AwsError } from '../../core/aws-error.js';
import type { Logger } from '../../observability/logger.js';
import { decodeStrictBase64 } from '../protocol/base64.js';
import { BodyEncodingError, decodeBody } from '../http/content-encoding.js';
import type { Route, RouteRequest, RouteResponse } from '../http/types.js';
import { accessKeyAllowed, type FirehoseAccessKeys } from './access-keys.js';

export interface FirehoseHttpOptions {
  deliveryStreams: DeliveryStreams;
  accessKeys?: FirehoseAccessKeys;
  logger: Logger;
  now?: () => number;
}

/** Largest body on the wire: 64 MiB of records, base64, plus the JSON around them. */
export const MAX_FIREHOSE_HTTP_BODY = 96 * 1024 * 1024;
const MAX_RECORDS = 10_000;
const MAX_RECORD_BYTES = 1_024_000;

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function header(req: RouteRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function answer(status: number, requestId: string | undefined, now: number, errorMessage?: string): RouteResponse {
  const body: Record<string, unknown> = { requestId: requestId ?? '', timestamp: now };
  if (errorMessage !== undefined) body.errorMessage = errorMessage.slice(0, 8192);
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** What an append error means to the sender (AWS errors of the delivery streams → spec statuses). */
function refusalOf(err: AwsError): Refusal {
  switch (err.type) {
    case 'ResourceNotFoundException': return new Refusal(404, err.message);
    case 'ServiceUnavailableException': return new Refusal(503, err.message);
    case 'InvalidArgumentException': return new Refusal(400, err.message);
    default: return new Refusal(err.status >= 500 ? 500 : 400, err.message);
  }
}

/** Parse and check a delivery; returns the records. */
async function readDelivery(req: RouteRequest, requestId: string): Promise<Buffer[]> {
  const version = header(req, 'x-amz-firehose-protocol-version');
  if (version !== '1.0') throw new Refusal(400, `X-Amz-Firehose-Protocol-Version must be 1.0; got ${version ?? 'none'}.`);
  let raw: Buffer;
  try {
    raw = await decodeBody(req.headers, req.body, MAX_FIREHOSE_HTTP_BODY);
  } catch (err) {
    if (err instanceof BodyEncodingError) throw new Refusal(err.reason === 'too-large' ? 413 : 400, err.message);
    throw err;
  }
  let body: { requestId?: unknown; timestamp?: unknown; records?: unknown };
  try {
    body = JSON.parse(raw.toString('utf8')) as typeof body;
  } catch {
    throw new Refusal(400, 'The request body is not JSON.');
  }
  if (typeof body !== 'object' || body === null) throw new Refusal(400, 'The request body must be a JSON object.');
  if (body.requestId !== requestId) throw new Refusal(400, `The body's requestId ${JSON.stringify(body.requestId)} differs from X-Amz-Firehose-Request-Id.`);
  if (!Array.isArray(body.records) || body.records.length < 1 || body.records.length > MAX_RECORDS) {
    throw new Refusal(400, `records must be an array of 1 to ${MAX_RECORDS} items.`);
  }
  return body.records.map((r: unknown, i: number) => {
    const data = (r as { data?: unknown } | null)?.data;
    const bytes = typeof data === 'string' ? decodeStrictBase64(data) : undefined;
    if (!Buffer.isBuffer(bytes)) throw new Refusal(400, `records[${i}].data must be a base64 string.`);
    if (bytes.length > MAX_RECORD_BYTES) throw new Refusal(400, `records[${i}] is larger than ${MAX_RECORD_BYTES} bytes.`);
    return bytes;
  });
}

/** The route (registered by `app.ts`). */
export function firehoseHttpRoute(opts: FirehoseHttpOptions): Route {
  const now = opts.now ?? Date.now;
  return {
    method: 'POST',
    path: '/v1/firehose/:deliveryStream',
    maxBody: MAX_FIREHOSE_HTTP_BODY,
    handler: async (req) => {
      const requestId = header(req, 'x-amz-firehose-request-id');
      const stream = req.params.deliveryStream;
      try {
        if (!requestId) throw new Refusal(400, 'X-Amz-Firehose-Request-Id is required.');
        if (!accessKeyAllowed(opts.accessKeys, stream, header(req, 'x-amz-firehose-access-key'))) {
          throw new Refusal(401, 'The X-Amz-Firehose-Access-Key is missing or not valid for this delivery stream.');
        }
        const records = await readDelivery(req, requestId);
        let total = 0;
        for (const r of records) total += r.length;
        let stored;
        try {
          stored = await opts.deliveryStreams.put(stream, records, total);
        } catch (err) {
          if (AwsError.isInstance(err)) throw refusalOf(err);
          throw err;
        }
        // With Direct PUT quotas on, only a prefix may have been admitted: the sender retries the
        // whole request (at-least-once; the admitted prefix is stored twice).
        if (stored.throttled > 0) throw new Refusal(429, `Slow down: ${stored.throttled} of ${records.length} records exceeded the delivery stream's quota; retry the request.`);
        return answer(200, requestId, now());
      } catch (err) {
        if (err instanceof Refusal) return answer(err.status, requestId, now(), err.message);
        opts.logger.error({ err, deliveryStream: stream, requestId, source: header(req, 'x-amz-firehose-source-arn') }, 'Firehose HTTP delivery failed');
        return answer(500, requestId, now(), 'Internal error; retry the request.');
      }
    },
  };
}
