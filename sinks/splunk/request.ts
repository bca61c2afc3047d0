/**
 * Records → one HEC request. Raw: the records' bytes concatenated, as Firehose sends them
 * (`/services/collector/raw`; Splunk breaks lines by the sourcetype's rules). Event: each record
 * must already be a HEC event envelope (`{"event": ..., "time"?, "index"?, ...}`), typically shaped
 * by a transform; they are sent one per line to `/services/collector/event`. Records that
 * cannot be an event are rejected here and never sent.
 */
import { rejected, type FailedOutcome, type SinkRecord } from '../../src/core/sink.js';
import type { ResolvedSplunkConfig } from './config.js';
import { SPLUNK_ERRORS } from './retry.js';

export interface HecRequest {
  url: URL;
  body: Buffer;
  contentType: string;
  /** Original record index of each event sent, in body order. */
  sent: number[];
  /** Records refused before sending, by original index. */
  refused: Map<number, FailedOutcome>;
}

/** `<HECEndpoint>/services/collector/<raw|event>`, keeping any base path the endpoint has. */
export function hecUrl(endpoint: URL, path: 'raw' | 'event' | 'ack' | 'health', channel?: string): URL {
  const url = new URL(endpoint);
  const base = url.pathname.replace(/\/+$/, '').replace(/\/services\/collector(\/.*)?$/, '');
  url.pathname = `${base}/services/collector/${path}`;
  url.search = '';
  if (channel) url.searchParams.set('channel', channel);
  return url;
}

/** Why a record cannot be a HEC event envelope, or undefined when it can. */
export function eventProblem(data: Buffer): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return 'the record is not JSON (with HECEndpointType Event every record must be a HEC event envelope)';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the record is not a JSON object';
  const event = (v as { event?: unknown }).event;
  if (event === undefined || event === null) return 'the record has no "event" field';
  if (event === '' || (typeof event === 'string' && event.trim() === '')) return 'the record\'s "event" field is blank';
  return undefined;
}

export function buildHecRequest(cfg: ResolvedSplunkConfig, records: readonly SinkRecord[], channel: string): HecRequest {
  const refused = new Map<number, FailedOutcome>();
  const sent: number[] = [];
  const parts: Buffer[] = [];
  if (cfg.type === 'Raw') {
    for (let i = 0; i < records.length; i++) {
      parts.push(records[i].data);
      sent.push(i);
    }
    return { url: hecUrl(cfg.endpoint, 'raw', channel), body: Buffer.concat(parts), contentType: 'text/plain', sent, refused };
  }
  const newline = Buffer.from('\n');
  for (let i = 0; i < records.length; i++) {
    const problem = eventProblem(records[i].data);
    if (problem) {
      refused.set(i, rejected(SPLUNK_ERRORS.invalidDataFormat, problem));
      continue;
    }
    // A pretty-printed envelope is still one JSON value: HEC accepts whitespace between events.
    parts.push(records[i].data, newline);
    sent.push(i);
  }
  return { url: hecUrl(cfg.endpoint, 'event', channel), body: Buffer.concat(parts), contentType: 'application/json', sent, refused };
}
