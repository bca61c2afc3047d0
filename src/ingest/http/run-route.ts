import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { BodyTooLargeError, readBody } from './body.js';
import type { Route, RouteResponse } from './types.js';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** Read the body, run the route's handler, write its response. Same code for every transport. */
export async function runRoute(route: Route, params: Record<string, string>, req: AnyRequest, res: AnyResponse, onError: (err: unknown) => RouteResponse): Promise<void> {
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
  writeResponse(res, out);
}

/** Path and query of a request target, without building a URL object (hot path). */
export function splitUrl(raw: string): { path: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

export function writeResponse(res: AnyResponse, out: RouteResponse): void {
  if (res.headersSent) return;
  const body = out.body ?? '';
  const headers: Record<string, string | number> = { ...(out.headers ?? {}), 'content-length': Buffer.byteLength(body) };
  (res as ServerResponse).writeHead(out.status, headers);
  (res as ServerResponse).end(body);
}
