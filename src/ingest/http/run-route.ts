import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { BodyTooLargeError, readBody } from './body.js';
import type { Route, RouteResponse } from './types.js';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/**
 * Streaming responses in flight. A server closing calls `endAll` so that long-lived streams
 * (event streams last minutes) end cleanly instead of holding the shutdown until its grace
 * period runs out.
 */
export class ActiveStreams {
  private readonly enders = new Set<() => void>();
  private ending = false;

  /** Track a stream; the returned function untracks it. After `endAll`, a new stream is ended at once. */
  add(end: () => void): () => void {
    if (this.ending) {
      end();
      return () => undefined;
    }
    this.enders.add(end);
    return () => this.enders.delete(end);
  }

  /** End every tracked stream (each stops its producer and ends its response), and any added later. */
  endAll(): void {
    this.ending = true;
    for (const end of [...this.enders]) end();
  }

  get size(): number {
    return this.enders.size;
  }
}

/** Read the body, run the route's handler, write its response. Same code for every transport. */
export async function runRoute(route: Route, params: Record<string, string>, req: AnyRequest, res: AnyResponse, onError: (err: unknown) => RouteResponse, streams?: ActiveStreams): Promise<void> {
  let out: RouteResponse;
  try {
    const { path, query } = splitUrl(req.url ?? '/');
    const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, route.maxBody ?? DEFAULT_MAX_BODY);
    out = await route.handler({
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      params,
      body,
      remoteAddress: req.socket?.remoteAddress,
    });
  } catch (err) {
    out = err instanceof BodyTooLargeError
      ? { status: 413, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: err.message }) }
      : onError(err);
  }
  writeResponse(res, out, streams);
}

/** Path and query of a request target, without building a URL object (hot path). */
export function splitUrl(raw: string): { path: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function isAsyncIterable(body: unknown): body is AsyncIterable<Buffer> {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && Symbol.asyncIterator in body;
}

/**
 * Write a route's response. A string or Buffer body goes out whole with its content-length; an
 * async iterable body is streamed (see `streamResponse`) and this returns at once.
 */
export function writeResponse(res: AnyResponse, out: RouteResponse, streams?: ActiveStreams): void {
  const body = out.body ?? '';
  if (isAsyncIterable(body)) {
    if (res.headersSent || clientGone(res)) {
      stopIterable(body[Symbol.asyncIterator]());
      return;
    }
    void streamResponse(res, out.status, out.headers ?? {}, body, streams);
    return;
  }
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { ...(out.headers ?? {}), 'content-length': Buffer.byteLength(body) };
  (res as ServerResponse).writeHead(out.status, headers);
  (res as ServerResponse).end(body);
}

/** True once the client reset the stream (HTTP/2) or the connection is gone (HTTP/1.1). */
function clientGone(res: AnyResponse): boolean {
  const stream = (res as Http2ServerResponse).stream as Http2ServerResponse['stream'] | undefined;
  if (stream) return stream.destroyed || stream.closed;
  const h1 = res as ServerResponse;
  return h1.destroyed || Boolean(h1.socket?.destroyed);
}

/** Ask an iterator to finish (its producer's `finally` runs); errors from it are of no interest here. */
function stopIterable(it: AsyncIterator<Buffer>): void {
  if (!it.return) return;
  try {
    void Promise.resolve(it.return()).catch(() => undefined);
  } catch {
    // a return() that throws synchronously has nothing left to clean up
  }
}

/**
 * Send a body chunk by chunk: headers without content-length (HTTP/1.1 then uses chunked
 * encoding; HTTP/2 sends DATA frames), each chunk written as it is produced, waiting for
 * 'drain' when the client reads slower than we produce. The response ends when the iterable
 * ends. When the client goes away, or the server ends all streams, the iteration stops through
 * the iterator's `return()` so the producer's `finally` runs. A producer that throws after the
 * headers went out cannot be reported with a status any more: the response is cut (reset
 * stream / closed connection) so the client does not mistake it for a complete one.
 */
async function streamResponse(res: AnyResponse, status: number, headers: Record<string, string>, body: AsyncIterable<Buffer>, streams?: ActiveStreams): Promise<void> {
  const it = body[Symbol.asyncIterator]();
  let stopped = false;
  let wake: () => void = () => undefined;
  const stoppedPromise = new Promise<void>((resolve) => (wake = resolve));
  const stop = (endResponse: boolean) => {
    if (stopped) return;
    stopped = true;
    wake();
    stopIterable(it);
    if (endResponse && !res.writableEnded && !clientGone(res)) (res as ServerResponse).end();
  };
  const onClose = () => stop(false);
  res.on('close', onClose);
  let untrack: (() => void) | undefined;
  try {
    const head: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-length') head[k] = v;
    (res as ServerResponse).writeHead(status, head);
    (res as ServerResponse).flushHeaders();
    untrack = streams?.add(() => stop(true));
    for (;;) {
      const next = it.next();
      // If we stop while a chunk is being produced, that chunk is abandoned: keep its
      // eventual rejection from going unhandled.
      next.catch(() => undefined);
      const step = await Promise.race([next, stoppedPromise]);
      if (stopped || !step || step.done) break;
      if (!(res as ServerResponse).write(step.value)) await drained(res, stoppedPromise);
      if (stopped) break;
    }
    if (!stopped && !res.writableEnded) (res as ServerResponse).end();
  } catch {
    cut(res);
    stop(false);
  } finally {
    res.off('close', onClose);
    untrack?.();
  }
}

/** Abort a response mid-body: RST_STREAM(INTERNAL_ERROR) on HTTP/2, a closed connection on HTTP/1.1. */
function cut(res: AnyResponse): void {
  if (clientGone(res)) return;
  const stream = (res as Http2ServerResponse).stream as Http2ServerResponse['stream'] | undefined;
  if (stream) stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
  else (res as ServerResponse).destroy();
}

function drained(res: AnyResponse, stopped: Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    void stopped.then(done);
  });
}
