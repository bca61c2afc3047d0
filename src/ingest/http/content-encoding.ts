import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { IncomingHttpHeaders } from 'node:http';

const gunzipAsync = promisify(gunzip);

/** Why a request body could not be decoded: `unsupported` encoding, `corrupt` data, or `too-large` once decoded. */
export class BodyEncodingError extends Error {
  constructor(readonly reason: 'unsupported' | 'corrupt' | 'too-large', message: string) {
    super(message);
    this.name = 'BodyEncodingError';
  }
}

/**
 * A request body as sent, decoded per its `Content-Encoding` (`gzip`, or none / `identity`), never
 * larger than `maxBytes` once decoded (a gzip bomb stops at the limit).
 */
export async function decodeBody(headers: IncomingHttpHeaders, body: Buffer, maxBytes: number): Promise<Buffer> {
  const encoding = String(headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') throw new BodyEncodingError('unsupported', `Content-Encoding ${encoding} is not supported; send gzip or no encoding.`);
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new BodyEncodingError('too-large', `The request body is larger than ${maxBytes} bytes once decompressed.`);
    }
    throw new BodyEncodingError('corrupt', `The request body is not valid gzip: ${(err as Error).message}`);
  }
}
