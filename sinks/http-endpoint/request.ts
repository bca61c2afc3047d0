/**
 * Records → the Firehose HTTP endpoint delivery request (protocol version 1.0, destinations.md
 * §1.2): the `X-Amz-Firehose-*` headers and the JSON body `{requestId, timestamp, records[{data}]}`,
 * gzip-compressed whole when the destination asks for GZIP.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { SinkRecord } from '../../src/core/sink.js';
import { DEFAULT_GZIP_LEVEL } from '../s3/compress.js';
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

/** The JSON body, written into one buffer (no per-record objects or buffers, no JSON.stringify of the payload). */
export function requestBody(requestId: string, timestamp: number, records: readonly SinkRecord[]): Buffer {
  const head = `{"requestId":${JSON.stringify(requestId)},"timestamp":${timestamp},"records":[`;
  let size = head.length + 2;
  for (let i = 0; i < records.length; i++) size += (i ? 1 : 0) + 11 + Math.ceil(records[i].data.length / 3) * 4;
  const out = Buffer.allocUnsafe(size);
  let off = out.write(head, 0, 'latin1');
  for (let i = 0; i < records.length; i++) {
    off += out.write(i ? ',{"data":"' : '{"data":"', off, 'latin1');
    off += out.write(records[i].data.toString('base64'), off, 'latin1');
    off += out.write('"}', off, 'latin1');
  }
  off += out.write(']}', off, 'latin1');
  return out.subarray(0, off);
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
    body = await gzip(json, { level: DEFAULT_GZIP_LEVEL });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  return { requestId, headers, body, jsonBytes: json.length };
}
