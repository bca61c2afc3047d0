/**
 * Records → the Firehose HTTP endpoint delivery request (protocol version 1.0, destinations.md
 * §1.2): the `X-Amz-Firehose-*` headers and the JSON body `{requestId, timestamp, records[{data}]}`,
 * gzip-compressed whole when the destination asks for GZIP.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { SinkRecord } from '../../src/core/sink.js';
import type { ResolvedHttpEndpointConfig } from './config.js';

const gzip = promisify(gzipCb);

/** The protocol version Hydrant speaks (the only one there is). */
export const FIREHOSE_PROTOCOL_VERSION = '1.0';

/**
 * The request id of a batch: a GUID derived from the batch identity, so every retry of the batch,
 * and its replay after a crash, carries the same id (endpoints dedupe on it).
 */
export function requestIdFor(batchId: string): string {
  const h = createHash('sha256').update(`firehose-request/${batchId}`).digest();
  h[6] = (h[6] & 0x0f) | 0x40; // version 4 layout
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export interface HttpEndpointRequest {
  requestId: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Size of the JSON body before compression. */
  jsonBytes: number;
}

/** The JSON body, built from parts (no per-record objects, no JSON.stringify of the payload). */
export function requestBody(requestId: string, timestamp: number, records: readonly SinkRecord[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`{"requestId":${JSON.stringify(requestId)},"timestamp":${timestamp},"records":[`)];
  for (let i = 0; i < records.length; i++) {
    parts.push(Buffer.from(`${i ? ',' : ''}{"data":"${records[i].data.toString('base64')}"}`));
  }
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

/** Build the request for one attempt at `timestamp` (epoch ms). */
export async function buildHttpEndpointRequest(cfg: ResolvedHttpEndpointConfig, batchId: string, records: readonly SinkRecord[], opts: { timestamp: number; sourceArn: string }): Promise<HttpEndpointRequest> {
  const requestId = requestIdFor(batchId);
  const json = requestBody(requestId, opts.timestamp, records);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amz-firehose-protocol-version': FIREHOSE_PROTOCOL_VERSION,
    'x-amz-firehose-request-id': requestId,
    'x-amz-firehose-source-arn': opts.sourceArn,
  };
  if (cfg.accessKey !== undefined && cfg.accessKey !== '') headers['x-amz-firehose-access-key'] = cfg.accessKey;
  if (Object.keys(cfg.commonAttributes).length > 0) headers['x-amz-firehose-common-attributes'] = JSON.stringify({ commonAttributes: cfg.commonAttributes });
  let body = json;
  if (cfg.gzip) {
    body = await gzip(json);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  return { requestId, headers, body, jsonBytes: json.length };
}
