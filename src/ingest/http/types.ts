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
  body?: string | Buffer;
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
