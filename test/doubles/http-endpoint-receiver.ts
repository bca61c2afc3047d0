/**
 * A Firehose HTTP endpoint (the receiving side of the "HTTP endpoint delivery request and
 * response specifications", protocol 1.0) for tests: a real HTTP server that checks every header
 * and body rule of the spec, records what it received, and answers as told — the spec's success
 * body by default, or a queued misbehaviour (5xx, 413, wrong requestId, malformed JSON, a string
 * timestamp, a hang, a connection reset).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { serveDouble } from './serve.js';

export type ReceiverBehavior =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; errorMessage?: string; headers?: Record<string, string> }
  | { kind: 'wrong-request-id' }
  | { kind: 'malformed-json' }
  | { kind: 'string-timestamp' }
  | { kind: 'no-content-type' }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  requestId?: string;
  timestamp?: unknown;
  gzip: boolean;
  records: Buffer[];
  /** Spec violations found in the request (empty for a conforming one). */
  problems: string[];
  /** How the receiver answered. */
  answeredWith: ReceiverBehavior['kind'];
}

export interface HttpEndpointReceiver {
  url: string;
  deliveries: ReceivedDelivery[];
  /** Records of the deliveries answered 200 with a valid body, in arrival order. */
  accepted(): Buffer[];
  /** Answer the next requests with these behaviours, in order (then `ok` again). */
  enqueue(...behaviors: ReceiverBehavior[]): void;
  /** Answer every request this way until changed (undefined: back to `ok`). */
  always(behavior: ReceiverBehavior | undefined): void;
  stop(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SOURCE_ARN = /^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[a-zA-Z0-9_.-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkRequest(headers: IncomingHttpHeaders, raw: Buffer, accessKey: string | undefined): { problems: string[]; body?: Record<string, unknown>; gzip: boolean } {
  const problems: string[] = [];
  if (headers['x-amz-firehose-protocol-version'] !== '1.0') problems.push(`X-Amz-Firehose-Protocol-Version is ${String(headers['x-amz-firehose-protocol-version'])}, not 1.0`);
  const requestId = headers['x-amz-firehose-request-id'];
  if (typeof requestId !== 'string' || !GUID.test(requestId)) problems.push(`X-Amz-Firehose-Request-Id ${String(requestId)} is not a GUID`);
  const arn = headers['x-amz-firehose-source-arn'];
  if (typeof arn !== 'string' || !SOURCE_ARN.test(arn)) problems.push(`X-Amz-Firehose-Source-Arn ${String(arn)} is not a delivery stream ARN`);
  const key = headers['x-amz-firehose-access-key'];
  if (accessKey !== undefined && key !== accessKey) problems.push(`X-Amz-Firehose-Access-Key ${String(key)} is not the configured key`);
  if (accessKey === undefined && key !== undefined) problems.push('X-Amz-Firehose-Access-Key was sent although no key is configured');
  const common = headers['x-amz-firehose-common-attributes'];
  if (common !== undefined) {
    try {
      const parsed = JSON.parse(String(common)) as { commonAttributes?: unknown };
      const attrs = parsed.commonAttributes;
      if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs) || Object.values(attrs).some((v) => typeof v !== 'string')) {
        problems.push('X-Amz-Firehose-Common-Attributes is not {"commonAttributes": {name: value}}');
      }
    } catch {
      problems.push('X-Amz-Firehose-Common-Attributes is not JSON');
    }
  }
  if (headers['content-type'] !== 'application/json') problems.push(`Content-Type is ${String(headers['content-type'])}, not application/json`);
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'gzip') problems.push(`Content-Encoding ${encoding} is neither gzip nor absent`);
  if (headers['content-length'] === undefined) problems.push('Content-Length is missing');
  else if (Number(headers['content-length']) !== raw.length) problems.push('Content-Length does not match the body');
  let text: string;
  try {
    text = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  } catch {
    problems.push('the body is not valid gzip');
    return { problems, gzip: true };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    problems.push('the body is not JSON');
    return { problems, gzip: encoding === 'gzip' };
  }
  if (body.requestId !== requestId) problems.push(`body requestId ${String(body.requestId)} differs from the header`);
  if (!Number.isInteger(body.timestamp) || (body.timestamp as number) < 1e12) problems.push(`timestamp ${String(body.timestamp)} is not epoch milliseconds`);
  const records = body.records;
  if (!Array.isArray(records) || records.length < 1 || records.length > 10_000) problems.push('records must hold 1 to 10,000 items');
  else {
    for (const [i, r] of records.entries()) {
      const data = (r as { data?: unknown })?.data;
      if (typeof data !== 'string' || !BASE64.test(data)) problems.push(`records[${i}].data is not base64`);
      else if (Buffer.from(data, 'base64').length > 1_024_000) problems.push(`records[${i}] is larger than 1,024,000 bytes`);
      if (Object.keys(r as object).length !== 1) problems.push(`records[${i}] has members other than data`);
    }
  }
  return { problems, body, gzip: encoding === 'gzip' };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startHttpEndpointReceiver(opts: { accessKey?: string } = {}): Promise<HttpEndpointReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const queue: ReceiverBehavior[] = [];
  let standing: ReceiverBehavior | undefined;
  const http = await serveDouble((req, res, raw) => {
    const { problems, body, gzip } = checkRequest(req.headers, raw, opts.accessKey);
    const behavior: ReceiverBehavior = problems.length > 0 ? { kind: 'status', status: 400, errorMessage: problems.join('; ') } : queue.shift() ?? standing ?? { kind: 'ok' };
    const requestId = typeof body?.requestId === 'string' ? body.requestId : undefined;
    const records = Array.isArray(body?.records) ? (body.records as { data?: string }[]).map((r) => Buffer.from(r.data ?? '', 'base64')) : [];
    deliveries.push({ headers: req.headers, requestId, timestamp: body?.timestamp, gzip, records, problems, answeredWith: behavior.kind });
    const now = Date.now();
    switch (behavior.kind) {
      case 'ok': return reply(res, 200, { requestId, timestamp: now });
      case 'status': return reply(res, behavior.status, { requestId, timestamp: now, ...(behavior.errorMessage ? { errorMessage: behavior.errorMessage } : {}) }, behavior.headers);
      case 'wrong-request-id': return reply(res, 200, { requestId: '00000000-0000-4000-8000-000000000000', timestamp: now });
      case 'malformed-json': return reply(res, 200, '{"requestId": ');
      case 'string-timestamp': return reply(res, 200, { requestId, timestamp: String(now) });
      case 'no-content-type': {
        const text = JSON.stringify({ requestId, timestamp: now });
        res.writeHead(200, { 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      case 'hang': return; // never answers; the socket is destroyed by stop()
      case 'reset': return req.socket.destroy();
    }
  });
  return {
    url: `${http.origin}/firehose`,
    deliveries,
    accepted: () => deliveries.filter((d) => d.answeredWith === 'ok').flatMap((d) => d.records),
    enqueue: (...b) => queue.push(...b),
    always: (b) => (standing = b),
    stop: http.stop,
  };
}
