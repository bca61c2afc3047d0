import { Decoder, Encoder, addExtension, type Options } from 'cbor-x';
import { AwsTimestamp } from '../../core/timestamp.js';

/**
 * The CBOR variant of the AWS JSON 1.1 protocol (`application/x-amz-cbor-1.1`), which the Java
 * SDKs and the KPL use for Kinesis by default. Same member names as JSON; blobs are byte strings
 * and timestamps are tag 1 wrapping integer epoch *milliseconds* (not seconds as RFC 8949 has it:
 * an AWS quirk the Java SDK depends on).
 *
 * Tag 1 is registered with cbor-x once, for the whole process (cbor-x keeps its extensions in
 * module state): an `AwsTimestamp` encodes as tag 1 + integer milliseconds, and tag 1 decodes to
 * an `AwsTimestamp` of the milliseconds it wraps. Hydrant uses cbor-x for this protocol only.
 */
export const CBOR_CONTENT_TYPE = 'application/x-amz-cbor-1.1';

const UINT32_END = 0x100000000;
const INT64_END = 2 ** 64;

/** cbor-x writes numbers beyond 32 bits as float64; a bigint makes it write a CBOR integer. */
function asCborInteger(n: number): number | bigint {
  return n < UINT32_END && n >= -UINT32_END ? n : BigInt(n);
}

addExtension<AwsTimestamp, number | bigint>({
  Class: AwsTimestamp,
  tag: 1,
  encode(ts, write) {
    const ms = Math.round(ts.ms);
    if (!Number.isFinite(ms) || Math.abs(ms) >= INT64_END) throw new RangeError(`timestamp out of range: ${ts.ms} ms`);
    return write(asCborInteger(ms));
  },
  // A tag 1 that wraps no number decodes as a NaN timestamp, which input validation rejects.
  decode: (ms) => new AwsTimestamp(typeof ms === 'number' ? ms : typeof ms === 'bigint' ? Number(ms) : NaN),
});

// Plain maps and arrays only: no record/structure extensions, no structured-clone references.
// `int64AsNumber` is a cbor-x option its type declarations do not list: 64-bit integers decode as
// numbers (a Long beyond 2^53 loses precision, as it does in JSON) instead of bigints.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as Options);
const encoder = new Encoder({
  useRecords: false, mapsAsObjects: true, structuredClone: false, pack: false,
  // Plain Uint8Arrays as bare byte strings (cbor-x tags them 64 by default); small maps with
  // their exact length in the header.
  tagUint8Array: false, variableMapSize: true,
});

/**
 * Decodes a request body: maps become plain objects, byte strings `Buffer` views over `body`
 * (no copy), tag 1 an `AwsTimestamp`. Throws on malformed or truncated CBOR and on trailing
 * bytes. Indefinite-length (chunked) text and byte strings are not supported by cbor-x; the Java
 * SDK only chunks strings longer than 3996 characters, far beyond any Kinesis member's limit.
 */
export function decodeCbor(body: Buffer): unknown {
  return decoder.decode(body);
}

/**
 * Encodes an operation's output (or an error body). Renders like `JSON.stringify` would, in
 * CBOR: `undefined` members are left out (in arrays they become null), `toJSON` is honoured,
 * `Buffer`/`Uint8Array` become byte strings, `AwsTimestamp` and `Date` tag 1 + integer epoch
 * milliseconds (never a float), and integral numbers are always CBOR integers.
 */
export function encodeCbor(value: unknown): Buffer {
  const ready = prepare(value);
  return encoder.encode(ready === OMIT ? null : ready);
}

const OMIT = Symbol('omit');

/** A copy of `value` ready for cbor-x, sharing every part that needs no change (copy on write). */
function prepare(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && (value >= UINT32_END || value < -UINT32_END) && Math.abs(value) < INT64_END
        ? BigInt(value) : value;
    case 'object': {
      if (value === null || value instanceof Uint8Array || value instanceof AwsTimestamp) return value;
      if (value instanceof Date) return new AwsTimestamp(value.getTime());
      if (Array.isArray(value)) return prepareArray(value);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return prepare(toJSON.call(value));
      return prepareObject(value as Record<string, unknown>);
    }
    case 'function':
    case 'symbol':
    case 'undefined':
      return OMIT;
    default:
      return value;
  }
}

function prepareArray(arr: unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    let y = prepare(x);
    if (y === OMIT) y = null;
    if (y !== x && out === undefined) out = arr.slice(0, i);
    if (out !== undefined) out.push(y);
  }
  return out ?? arr;
}

function prepareObject(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const x = obj[keys[i]];
    const y = prepare(x);
    if (y !== x && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = obj[keys[j]];
    }
    if (out !== undefined && y !== OMIT) out[keys[i]] = y;
  }
  return out ?? obj;
}
