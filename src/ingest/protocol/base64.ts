/**
 * Strict standard base64 (RFC 4648 §4, padded) decoding as AWS's JSON front end does it.
 *
 * Node's `Buffer.from(s, 'base64')` is lenient: it accepts the url-safe `-`/`_`, skips any other
 * junk and stops at the first `=`. We decode once with it (fast, native) and then prove the input
 * was strict with length arithmetic and two native `indexOf` scans; only a rejected input is
 * walked character by character, to name the offending character like AWS does.
 */

/** Why a string is not strict base64, phrased as AWS does after `'<value>' can not be converted to a Blob: `. */
export type Base64Problem = string;

import { SlabAllocator } from '../../util/slab.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
const EQ = 61;

/** Decoded blobs come from slabs (see SlabAllocator for why). */
const slabs = new SlabAllocator();

/** Decodes strict base64, or returns the reason it is not (a string). */
export function decodeStrictBase64(s: string): Buffer | Base64Problem {
  const len = s.length;
  if (len % 4 !== 0) return `Base64 encoded length is expected a multiple of 4 bytes but found: ${len}`;
  if (len === 0) return Buffer.alloc(0);
  const pad = s.charCodeAt(len - 1) === EQ ? (s.charCodeAt(len - 2) === EQ ? 2 : 1) : 0;
  const expected = (len >> 2) * 3 - pad;
  const buf = slabs.alloc(expected);
  // Junk characters (which Node skips) or an early '=' make the decoded length come out short.
  if (buf.write(s, 0, expected, 'base64') !== expected || s.indexOf('-') !== -1 || s.indexOf('_') !== -1) {
    return invalidCharacter(s, pad);
  }
  if (pad > 0) {
    // The bits of the last data character that fall beyond the last byte must be zero.
    const v = VALUE[s.charCodeAt(len - 1 - pad)];
    if ((v & (pad === 1 ? 0b11 : 0b1111)) !== 0) return 'Invalid last non-pad Base64 character dectected';
  }
  return buf;
}

function invalidCharacter(s: string, pad: number): Base64Problem {
  const dataEnd = s.length - pad;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = c === EQ ? i >= dataEnd : c < 128 && VALUE[c] !== -1;
    if (!ok) return `Invalid Base64 character: '${String.fromCodePoint(s.codePointAt(i) ?? c)}'`;
  }
  // Not reachable for inputs Node decodes as documented; keep a truthful fallback.
  return 'Invalid last non-pad Base64 character dectected';
}
