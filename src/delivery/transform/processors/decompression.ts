/**
 * The Decompression processor (GZIP): CloudWatch Logs subscription data arrives gzipped. node:zlib's
 * synchronous gunzip is used: per record it is as fast as zlib-sync or faster (bench/decompress.mjs,
 * figures in the README) and needs no native addon. Output is capped so a small "zip bomb" record
 * cannot exhaust memory; a record that is not valid gzip fails alone (decompression-failed).
 */
import { gunzipSync } from 'node:zlib';

/** Largest decompressed record (64 MiB; a CloudWatch Logs batch is at most ~1 MB compressed). */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export type DecompressionResult = { ok: true; data: Buffer } | { ok: false; errorCode: string; errorMessage: string };

/** Gunzips one record (all gzip members, concatenated). */
export function gunzipRecord(data: Buffer, maxBytes = MAX_DECOMPRESSED_BYTES): DecompressionResult {
  try {
    return { ok: true, data: gunzipSync(data, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_BUFFER_TOO_LARGE' ? `it decompresses to more than ${maxBytes} bytes` : e.message;
    return { ok: false, errorCode: 'Decompression.Failed', errorMessage: `The record could not be decompressed as GZIP: ${why}` };
  }
}
