import type { IncomingHttpHeaders } from 'node:http';

/** A request as every route sees it, whatever the transport (HTTP/1.1, h2c, TLS). */
export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Path parameters (`/v1/x/:name`). */
  params: Record<string, string>;
  body: Buffer;
  remoteAddress?: string;
}

export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  /**
   * The whole body, or a stream of chunks (an AWS event stream, for instance): the transports
   * send it as it comes (chunked on HTTP/1.1, DATA frames on HTTP/2) and, when the client goes
   * away or the server closes, stop the iteration by calling the iterator's `return()`.
   */
  body?: string | Buffer | AsyncIterable<Buffer>;
}

export type RouteHandler = (req: RouteRequest) => Promise<RouteResponse> | RouteResponse;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Express-style path: literal segments and `:param` segments. */
  path: string;
  handler: RouteHandler;
  /** Largest body accepted (bytes); larger requests get 413. */
  maxBody?: number;
  /** Served without express on HTTP/1.1 when the URL is exactly `path` (no params, no query): hot paths. */
  direct?: boolean;
}
