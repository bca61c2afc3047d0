import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createH2Server, createSecureServer, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import express from 'express';
import { ActiveStreams, runRoute, splitUrl, writeResponse, type AnyRequest, type AnyResponse } from './run-route.js';
import type { Route, RouteResponse } from './types.js';

export interface ServerOptions {
  routes: Route[];
  onError: (err: unknown) => RouteResponse;
  notFound: (method: string, path: string) => RouteResponse;
  tls?: { cert: Buffer; key: Buffer };
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const SNIFF_TIMEOUT_MS = 30_000;

/** Match a route table without express (for HTTP/2, which express cannot serve). */
function compile(routes: Route[]): (method: string, path: string) => { route: Route; params: Record<string, string> } | undefined {
  const table = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.split('/').map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }).join('/');
    return { route, names, re: new RegExp(`^${source}/?$`) };
  });
  return (method, path) => {
    for (const t of table) {
      if (t.route.method !== method) continue;
      const m = t.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        t.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      } catch {
        return undefined; // a malformed %-escape matches no route
      }
      return { route: t.route, params };
    }
    return undefined;
  };
}

/**
 * One port, every protocol: HTTP/1.1 (through express) and cleartext HTTP/2 with prior
 * knowledge (sniffed from the connection preface), or with TLS, h2 and http/1.1 by ALPN.
 * Every transport reaches the same route handlers.
 */
export class HydrantServer {
  private readonly app = express();
  private readonly h1: HttpServer;
  private readonly h2: Http2Server | Http2SecureServer;
  private readonly front: NetServer | Http2SecureServer;
  private readonly match: ReturnType<typeof compile>;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Streaming response bodies in flight (ended when the server closes). */
  private readonly streams = new ActiveStreams();

  constructor(private readonly opts: ServerOptions) {
    this.app.disable('x-powered-by');
    this.app.set('etag', false);
    for (const route of opts.routes) {
      const register = this.app[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'].bind(this.app);
      register(route.path, (req, res) => void runRoute(route, req.params as Record<string, string>, req, res, opts.onError, this.streams));
    }
    this.app.use((req, res) => writeResponse(res, opts.notFound(req.method, req.path)));
    this.match = compile(opts.routes);
    const h2Handler = (req: AnyRequest, res: AnyResponse) => this.dispatchH2(req, res);

    // Requests on routes marked `direct` (the AWS protocol endpoint, the hot path) skip express's
    // router and request decoration; everything else goes through the express app.
    const direct = new Map(opts.routes.filter((r) => r.direct).map((r) => [`${r.method} ${r.path}`, r]));
    this.h1 = createHttpServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 300_000 }, (req, res) => {
      const route = direct.get(`${req.method} ${req.url}`);
      if (route) void runRoute(route, {}, req, res, opts.onError, this.streams);
      else this.app(req, res);
    });
    if (opts.tls) {
      const secure = createSecureServer({ cert: opts.tls.cert, key: opts.tls.key, allowHTTP1: true }, (req, res) => {
        if (req.httpVersionMajor === 2) h2Handler(req, res);
        else this.app(req as never, res as never);
      });
      this.h2 = secure;
      this.front = secure;
    } else {
      this.h2 = createH2Server({}, h2Handler);
      this.front = createNetServer((socket) => this.sniff(socket));
    }
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    this.front.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  private dispatchH2(req: AnyRequest, res: AnyResponse): void {
    const { path } = splitUrl(req.url ?? '/');
    const hit = this.match(req.method ?? 'GET', path);
    if (!hit) return writeResponse(res, this.opts.notFound(req.method ?? 'GET', path));
    void runRoute(hit.route, hit.params, req, res, this.opts.onError, this.streams);
  }

  /** Hand a plain connection to the HTTP/2 server if it opens with the h2 preface, else to HTTP/1.1. */
  private sniff(socket: Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const n = Math.min(buffered.length, H2_PREFACE.length);
      const isH2Prefix = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2Prefix && buffered.length < H2_PREFACE.length) return; // need more bytes to decide
      socket.removeListener('data', onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(buffered);
      if (isH2Prefix) {
        // The HTTP/2 session reads the socket's handle itself (taking what was unshifted first);
        // resuming the JS stream here would race it for incoming bytes.
        this.h2.emit('connection', socket);
      } else {
        this.h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    // A connection that never says which protocol it speaks is closed, like a stalled header.
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(port, host, () => {
        // The HTTP/1.1 server only receives sockets handed over by the front; telling it that it
        // is "listening" starts its connection tracking (headers/request timeouts, idle close).
        this.h1.emit('listening');
        const addr = this.front.address();
        resolve({ port: typeof addr === 'object' && addr ? addr.port : port, host });
      });
    });
  }

  /** Stop accepting connections and let in-flight requests finish (up to `graceMs`). */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.front.close(() => resolve()));
    // Streaming bodies (event streams) would otherwise keep their connections open for minutes.
    this.streams.endAll();
    this.h1.closeIdleConnections();
    const t = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    // HTTP/2 sessions get a GOAWAY and close once their open streams finish.
    for (const session of this.sessions) session.close();
    (this.h2 as Http2Server).close();
    this.h1.close();
    await closed;
    clearTimeout(t);
  }
}
