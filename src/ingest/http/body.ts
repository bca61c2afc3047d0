import type { Readable } from 'node:stream';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

export class BodyIncompleteError extends Error {
  constructor(readonly received: number, readonly declared: number) {
    super(`request body ended after ${received} of ${Number.isFinite(declared) ? declared : 'unknown'} bytes`);
  }
}

/** Read a request body into one Buffer, refusing more than `limit` bytes. */
export function readBody(req: Readable & { headers: Record<string, unknown> }, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      // A stream reset (HTTP/2) or a connection cut short can end the body early: never hand a
      // truncated body to a handler.
      if ((req as { aborted?: boolean }).aborted || (Number.isFinite(declared) && size < declared)) {
        reject(new BodyIncompleteError(size, declared));
        return;
      }
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('aborted', () => reject(new BodyIncompleteError(size, declared)));
    req.on('error', reject);
  });
}
