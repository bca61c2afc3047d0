/**
 * A Splunk HTTP Event Collector for tests (destinations.md §2.2–2.6): a real HTTP server with
 * the event and raw endpoints (and their `/1.0` and bare `/services/collector` aliases), the ack
 * and health endpoints, `Authorization: Splunk <token>`, data channels (header or `?channel=`,
 * required when the token has indexer acknowledgement), HEC's `{text, code}` errors with
 * `invalid-event-number`, per-channel ack ids from 0, and acks that are granted on the next
 * query, withheld, or released by hand. Failures can be queued (busy, 5xx, connection reset).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveDouble } from './serve.js';
import { gunzipSync } from 'node:zlib';

export interface HecToken {
  /** Indexer acknowledgement enabled (Firehose requires it). Default true. */
  ack?: boolean;
  disabled?: boolean;
  /** Indexes events may name (default: any). */
  indexes?: string[];
}

export interface HecEvent {
  token: string;
  channel?: string;
  endpoint: 'event' | 'raw';
  /** The envelope (event endpoint) or the raw line. */
  body: unknown;
  ackId?: number;
  /** Query parameters of a raw request (sourcetype, index, ...). */
  query: Record<string, string>;
}

export type HecFailure = { status: number; code: number; text: string } | 'reset' | 'hang';

export interface SplunkHecDouble {
  url: string;
  /** Events received by accepted requests, in order. */
  events: HecEvent[];
  /** Events whose request was acknowledged as indexed (all accepted events when the token has no ack). */
  indexed(): HecEvent[];
  /** Every request's method, path and headers. */
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  /** `grant` (default): acks are true on the next query; `withhold`: never; `manual`: only after `releaseAcks`. */
  ackMode(mode: 'grant' | 'withhold' | 'manual'): void;
  releaseAcks(): void;
  /** Answer the next data requests with these failures, in order. */
  failNext(...failures: HecFailure[]): void;
  /** While on, every data request is busy (503 code 9) and health is unhealthy (503 code 18). */
  unavailable(on: boolean): void;
  stop(): Promise<void>;
}

export const HEC_ERRORS = {
  busy: { status: 503, code: 9, text: 'Server is busy' },
  internal: { status: 500, code: 8, text: 'Internal server error' },
  queueFull: { status: 503, code: 18, text: 'HEC is unhealthy, queues are full' },
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Concatenated JSON values (whitespace between them allowed), or one JSON array of them. */
function splitEvents(text: string): { events: unknown[]; badAt?: number } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return { events: JSON.parse(trimmed) as unknown[] };
    } catch {
      return { events: [], badAt: 0 };
    }
  }
  const events: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    // Find the end of one JSON value by trying successive closing braces.
    let end = text.indexOf('}', i);
    let parsed: unknown;
    let ok = false;
    while (end >= 0) {
      try {
        parsed = JSON.parse(text.slice(i, end + 1));
        ok = true;
        break;
      } catch {
        end = text.indexOf('}', end + 1);
      }
    }
    if (!ok) return { events, badAt: events.length };
    events.push(parsed);
    i = end + 1;
  }
  return { events };
}

export async function startSplunkHec(tokens: Record<string, HecToken>): Promise<SplunkHecDouble> {
  const events: HecEvent[] = [];
  const requests: SplunkHecDouble['requests'] = [];
  const failures: HecFailure[] = [];
  const nextAck = new Map<string, number>();
  const pending = new Map<string, Map<number, HecEvent[]>>();
  const acked = new Set<HecEvent>();
  let mode: 'grant' | 'withhold' | 'manual' = 'grant';
  let released = new Set<string>();
  let down = false;

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://hec');
    const path = url.pathname.replace(/\/1\.0$/, '');
    requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
    const endpoint = path === '/services/collector' || path === '/services/collector/event' ? 'event'
      : path === '/services/collector/raw' ? 'raw'
        : path === '/services/collector/ack' ? 'ack'
          : path === '/services/collector/health' ? 'health' : undefined;
    if (!endpoint) return send(res, 404, { text: 'The requested URL was not found on this server.', code: 404 });
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Splunk ') ? auth.slice(7) : url.searchParams.get('token') ?? undefined;
    if (endpoint === 'health') {
      if (down) return send(res, 503, HEC_ERRORS.queueFull);
      if (token !== undefined && !tokens[token]) return send(res, 400, { text: 'Invalid token', code: 21 });
      if (token !== undefined && tokens[token].disabled) return send(res, 400, { text: 'Token disabled', code: 22 });
      return send(res, 200, { text: 'HEC is healthy', code: 17 });
    }
    if (token === undefined) return send(res, 401, { text: 'Token is required', code: 2 });
    const t = tokens[token];
    if (!t) return send(res, 403, { text: 'Invalid token', code: 4 });
    if (t.disabled) return send(res, 403, { text: 'Token disabled', code: 1 });
    const ackOn = t.ack !== false;
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (ackOn || endpoint === 'ack') {
      if (channel === undefined) return send(res, 400, { text: 'Data channel is missing', code: 10 });
      if (!GUID.test(channel)) return send(res, 400, { text: 'Invalid data channel', code: 11 });
    }
    if (endpoint === 'ack') {
      if (!ackOn) return send(res, 400, { text: 'ACK is disabled', code: 14 });
      let ids: unknown;
      try {
        ids = (JSON.parse(raw.toString('utf8')) as { acks?: unknown }).acks;
      } catch {
        return send(res, 400, { text: 'Invalid data format', code: 6 });
      }
      if (!Array.isArray(ids)) return send(res, 400, { text: 'Invalid data format', code: 6 });
      const byId = pending.get(channel!) ?? new Map<number, HecEvent[]>();
      const answer: Record<string, boolean> = {};
      for (const id of ids as number[]) {
        const evs = byId.get(id);
        const grant = evs !== undefined && (mode === 'grant' || (mode === 'manual' && released.has(`${channel}/${id}`)));
        answer[String(id)] = grant;
        if (grant) {
          for (const e of evs) acked.add(e);
          byId.delete(id); // Splunk forgets an ack once it has reported it true
        }
      }
      return send(res, 200, { acks: answer });
    }
    const failure = down ? HEC_ERRORS.busy : failures.shift();
    if (failure === 'reset') return req.socket.destroy();
    if (failure === 'hang') return; // ended by stop()
    if (failure) return send(res, failure.status, { text: failure.text, code: failure.code });
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    const text = body.toString('utf8');
    let received: HecEvent[];
    const query = Object.fromEntries(url.searchParams);
    if (endpoint === 'raw') {
      if (body.length === 0) return send(res, 400, { text: 'No data', code: 5 });
      received = text.split(/\r?\n/).filter((l) => l.length > 0).map((line) => ({ token, channel, endpoint, body: line, query }));
    } else {
      if (text.trim() === '') return send(res, 400, { text: 'No data', code: 5 });
      const { events: parsed, badAt } = splitEvents(text);
      if (badAt !== undefined) return send(res, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': badAt });
      for (const [i, e] of parsed.entries()) {
        const env = e as { event?: unknown; index?: string };
        if (typeof env !== 'object' || env === null || env.event === undefined) return send(res, 400, { text: 'Event field is required', code: 12, 'invalid-event-number': i });
        if (env.event === '' || env.event === null) return send(res, 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': i });
        if (env.index !== undefined && t.indexes && !t.indexes.includes(env.index)) return send(res, 400, { text: 'Incorrect index', code: 7, 'invalid-event-number': i });
      }
      received = parsed.map((b) => ({ token, channel, endpoint, body: b, query }));
    }
    if (!ackOn) {
      for (const e of received) {
        events.push(e);
        acked.add(e);
      }
      return send(res, 200, { text: 'Success', code: 0 });
    }
    const ackId = nextAck.get(channel!) ?? 0;
    nextAck.set(channel!, ackId + 1);
    for (const e of received) {
      e.ackId = ackId;
      events.push(e);
    }
    if (!pending.has(channel!)) pending.set(channel!, new Map());
    pending.get(channel!)!.set(ackId, received);
    return send(res, 200, { text: 'Success', code: 0, ackId });
  };

  const http = await serveDouble(handle);
  return {
    url: http.origin,
    events,
    indexed: () => events.filter((e) => acked.has(e)),
    requests,
    ackMode: (m) => {
      mode = m;
      released = new Set();
    },
    releaseAcks: () => {
      for (const [ch, byId] of pending) for (const id of byId.keys()) released.add(`${ch}/${id}`);
    },
    failNext: (...f) => failures.push(...f),
    unavailable: (on) => (down = on),
    stop: http.stop,
  };
}
