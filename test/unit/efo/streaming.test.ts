import { execFileSync } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect, constants as h2c, type ClientHttp2Session } from 'node:http2';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HydrantServer } from '../../../src/ingest/http/server.js';
import type { Route, RouteResponse } from '../../../src/ingest/http/types.js';
import { tempDir, waitFor } from '../../helpers/util.js';

/** What the test routes' producers did, by route. */
const seen = { foreverFinished: 0, bigProduced: 0, bigFinished: 0 };
const BIG_CHUNK = Buffer.alloc(256 * 1024, 7);
const BIG_COUNT = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const routes: Route[] = [
  {
    method: 'GET', path: '/chunks', handler: (): RouteResponse => ({
      status: 200,
      headers: { 'content-type': 'text/plain', 'x-test': 'yes' },
      body: (async function* () {
        for (let i = 0; i < 5; i++) {
          await sleep(5);
          yield Buffer.from(`chunk-${i}\n`);
        }
      })(),
    }),
  },
  {
    method: 'GET', path: '/forever', handler: (): RouteResponse => ({
      status: 200,
      body: (async function* () {
        try {
          for (let i = 0; ; i++) {
            yield Buffer.from(`tick-${i}\n`);
            await sleep(5);
          }
        } finally {
          seen.foreverFinished++;
        }
      })(),
    }),
  },
  {
    method: 'GET', path: '/big', handler: (): RouteResponse => ({
      status: 200,
      body: (async function* () {
        try {
          for (let i = 0; i < BIG_COUNT; i++) {
            seen.bigProduced++;
            yield BIG_CHUNK;
          }
        } finally {
          seen.bigFinished++;
        }
      })(),
    }),
  },
  {
    method: 'GET', path: '/fail', handler: (): RouteResponse => ({
      status: 200,
      body: (async function* () {
        yield Buffer.from('first\n');
        await sleep(5);
        throw new Error('producer failed');
      })(),
    }),
  },
  { method: 'GET', path: '/plain', handler: () => ({ status: 200, body: 'whole' }) },
];

interface Opened {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Client-side cancel: reset the HTTP/2 stream, or close the HTTP/1.1 connection. */
  abort(): void;
}

interface Transport {
  name: string;
  open(path: string): Promise<Opened>;
  close(): void;
}

function h1Transport(base: string, ca?: Buffer): Transport {
  return {
    name: ca ? 'TLS http/1.1' : 'HTTP/1.1',
    open: (path) => new Promise((resolve, reject) => {
      const opts = { agent: false as const, ...(ca ? { ca, ALPNProtocols: ['http/1.1'] } : {}) };
      const req = (ca ? httpsRequest : httpRequest)(`${base}${path}`, opts, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, abort: () => req.destroy() });
      });
      req.on('error', reject);
      req.end();
    }),
    close: () => undefined,
  };
}

function h2Transport(base: string, ca?: Buffer): Transport {
  let session: ClientHttp2Session | undefined;
  return {
    name: ca ? 'TLS h2' : 'h2c',
    open: (path) => new Promise((resolve, reject) => {
      session ??= h2connect(base, ca ? { ca } : {});
      const stream = session.request({ ':method': 'GET', ':path': path });
      stream.on('response', (headers) => {
        resolve({ status: Number(headers[':status']), headers: headers as IncomingHttpHeaders, body: stream, abort: () => stream.close(h2c.NGHTTP2_CANCEL) });
      });
      stream.on('error', reject);
      stream.end();
    }),
    close: () => session?.close(),
  };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves once `read()` stops changing for a while: the producer is waiting on the client. */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  return waitFor(() => {
    const v = read();
    if (v !== last) {
      last = v;
      stableSince = Date.now();
      return undefined;
    }
    return Date.now() - stableSince > 300 ? v : undefined;
  }, 20_000, 20);
}

function makeServer(tls?: { cert: Buffer; key: Buffer }): HydrantServer {
  return new HydrantServer({
    routes,
    tls,
    onError: () => ({ status: 500, body: 'error' }),
    notFound: () => ({ status: 404, body: 'not found' }),
  });
}

const servers: { plain?: HydrantServer; tls?: HydrantServer } = {};
const transports: Transport[] = [];
let removeDir: (() => Promise<void>) | undefined;

beforeAll(async () => {
  servers.plain = makeServer();
  const plain = await servers.plain.listen(0, '127.0.0.1');
  const dir = await tempDir('hydrant-stream-tls');
  removeDir = dir.remove;
  const certPath = join(dir.path, 'cert.pem');
  const keyPath = join(dir.path, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = await readFile(certPath);
  servers.tls = makeServer({ cert, key: await readFile(keyPath) });
  const secure = await servers.tls.listen(0, '127.0.0.1');
  const http = `http://127.0.0.1:${plain.port}`;
  const https = `https://127.0.0.1:${secure.port}`;
  transports.push(h1Transport(http), h2Transport(http), h2Transport(https, cert), h1Transport(https, cert));
});

afterAll(async () => {
  for (const t of transports) t.close();
  await servers.plain?.close(1000);
  await servers.tls?.close(1000);
  await removeDir?.();
});

describe.each(['HTTP/1.1', 'h2c', 'TLS h2', 'TLS http/1.1'])('streaming bodies over %s', (name) => {
  const transport = () => transports.find((t) => t.name === name)!;

  it('sends every chunk in order, with the route headers and no content-length', async () => {
    const res = await transport().open('/chunks');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['x-test']).toBe('yes');
    expect(res.headers['content-length']).toBeUndefined();
    if (name.endsWith('http/1.1') || name === 'HTTP/1.1') expect(res.headers['transfer-encoding']).toBe('chunked');
    expect((await readAll(res.body)).toString()).toBe('chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n');
  });

  it('keeps whole bodies as they were (content-length)', async () => {
    const res = await transport().open('/plain');
    expect(res.headers['content-length']).toBe('5');
    expect((await readAll(res.body)).toString()).toBe('whole');
  });

  it('stops the producer when the client goes away', async () => {
    const before = seen.foreverFinished;
    const res = await transport().open('/forever');
    let text = '';
    for await (const c of res.body) {
      text += (c as Buffer).toString();
      if (text.split('\n').length > 3) break; // breaking out of for-await destroys the body
    }
    res.abort();
    expect(text.startsWith('tick-0\ntick-1\n')).toBe(true);
    await waitFor(() => seen.foreverFinished === before + 1, 10_000);
  });

  it('waits for the client (backpressure) instead of buffering the whole body', async () => {
    seen.bigProduced = 0;
    const finishedBefore = seen.bigFinished;
    const res = await transport().open('/big');
    res.body.pause();
    const producedWhilePaused = await settled(() => seen.bigProduced);
    // Without backpressure the producer would have run to the end (400 × 256 KiB = 100 MiB).
    expect(producedWhilePaused).toBeLessThan(BIG_COUNT / 2);
    const all = await readAll(res.body);
    expect(all.length).toBe(BIG_COUNT * BIG_CHUNK.length);
    await waitFor(() => seen.bigFinished === finishedBefore + 1);
  });

  it('cuts the response when the producer fails after the headers', async () => {
    const res = await transport().open('/fail');
    expect(res.status).toBe(200);
    await expect(readAll(res.body)).rejects.toThrow();
  });
});

describe('closing the server', () => {
  it('ends open streaming responses and runs their producers\' finally', async () => {
    const server = makeServer();
    const { port } = await server.listen(0, '127.0.0.1');
    const h1 = h1Transport(`http://127.0.0.1:${port}`);
    const h2 = h2Transport(`http://127.0.0.1:${port}`);
    const before = seen.foreverFinished;
    const a = await h1.open('/forever');
    const b = await h2.open('/forever');
    const bodies = Promise.all([readAll(a.body), readAll(b.body)]);
    await server.close(30_000);
    const [ta, tb] = await bodies;
    expect(ta.toString()).toMatch(/^tick-0\n/);
    expect(tb.toString()).toMatch(/^tick-0\n/);
    await waitFor(() => seen.foreverFinished === before + 2);
    h2.close();
  });
});
