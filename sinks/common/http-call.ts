/**
 * One HTTP request for the HTTP-based sinks (HTTP endpoint, Splunk HEC): node:http(s) with a
 * keep-alive agent per sink, an overall response deadline, an abort signal, a cap on the
 * response size, and no redirects followed. Failures that happen before a complete response
 * are thrown as `HttpCallError` with a `kind` the sinks' classifiers map to their error codes.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

/** Why a call produced no (usable) response. */
export type HttpFailureKind = 'timeout' | 'connect' | 'dns' | 'reset' | 'tls' | 'too-large' | 'aborted';

export class HttpCallError extends Error {
  constructor(readonly kind: HttpFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpCallError';
  }

  static isInstance(err: unknown): err is HttpCallError {
    return typeof err === 'object' && err !== null && (err as HttpCallError).name === 'HttpCallError' && typeof (err as HttpCallError).kind === 'string';
  }
}

export interface HttpCallInput {
  url: URL;
  method?: 'GET' | 'POST';
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  /** The whole exchange (connect, send, response) must finish within this. */
  timeoutMs: number;
  /** Larger responses fail with kind `too-large`. */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface HttpCallResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'ECONNABORTED']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT', 'HPE_INVALID_CHUNK_SIZE']);

function kindOf(err: NodeJS.ErrnoException, connected: boolean): HttpFailureKind {
  const code = err.code ?? '';
  if (DNS_CODES.has(code)) return 'dns';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SSL|TLS/i.test(code)) return 'tls';
  if (CONNECT_CODES.has(code) && !connected) return 'connect';
  if (RESET_CODES.has(code) || err.message === 'socket hang up') return 'reset';
  return connected ? 'reset' : 'connect';
}

/** Keep-alive agents for one sink (both schemes); `destroy` on close. */
export class HttpAgents {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Make one request; resolves with any complete response (every status), rejects with HttpCallError. */
export function httpCall(input: HttpCallInput, agents?: HttpAgents): Promise<HttpCallResponse> {
  return new Promise((resolve, reject) => {
    if (input.signal?.aborted) return reject(new HttpCallError('aborted', 'the attempt was aborted before it started'));
    const secure = input.url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    let connected = false;
    let settled = false;
    const finish = (err: HttpCallError | undefined, res?: HttpCallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res!);
    };
    const req = send(input.url, {
      method: input.method ?? 'POST',
      headers: input.headers,
      agent: agents ? (secure ? agents.https : agents.http) : undefined,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > input.maxResponseBytes) {
          finish(new HttpCallError('too-large', `the response is larger than ${input.maxResponseBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) }));
      res.on('aborted', () => finish(new HttpCallError('reset', 'the connection closed before the response was complete')));
      res.on('error', (err: NodeJS.ErrnoException) => finish(new HttpCallError('reset', `the connection failed while reading the response: ${err.message}`, { cause: err })));
    });
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once(secure ? 'secureConnect' : 'connect', () => (connected = true));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const kind = kindOf(err, connected);
      finish(new HttpCallError(kind, `${err.code ?? 'error'}: ${err.message}`, { cause: err }));
    });
    const timer = setTimeout(() => finish(new HttpCallError('timeout', `no complete response within ${input.timeoutMs} ms`)), input.timeoutMs);
    const onAbort = () => finish(new HttpCallError('aborted', 'the attempt was aborted'));
    input.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(input.body);
  });
}

/** A `Retry-After` header (delta seconds or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A response body as text for error messages, cut to `max` characters. */
export function truncatedText(body: Buffer, max = 1024): string {
  const text = body.subarray(0, max * 4).toString('utf8');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
