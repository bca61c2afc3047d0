import { AwsTimestamp } from '../../core/timestamp.js';
import { decodeStrictBase64 } from './base64.js';
import { serializationError } from './errors.js';
import type { ServiceModel } from './model-types.js';

/**
 * Pass 1 of input handling: the type checks AWS performs while deserializing, in document
 * order (the first mismatch throws a SerializationException). Works in place on the decoded
 * body: blobs are replaced by their `Buffer`, integers are truncated and clamped, timestamps
 * become epoch seconds, and `null` members are removed (AWS treats them as absent). Unknown
 * members are left alone and ignored.
 *
 * Two wire forms give the operation identical values:
 * - JSON: blobs are base64 strings, timestamps epoch-second numbers.
 * - CBOR (`DeserializerOptions.cbor`): blobs are byte strings (kept as a `Buffer` over the
 *   request bytes, no copy), timestamps are tag 1 wrapping epoch *milliseconds* (decoded as an
 *   `AwsTimestamp`; an untagged number is read as milliseconds too), integers may arrive as
 *   `bigint`, and CBOR's `undefined` counts as absent like `null`.
 */
export type Converter = (value: unknown) => unknown;

type ScalarType = 'string' | 'boolean' | 'blob' | 'timestamp' | 'integer' | 'long' | 'double' | 'float';

export interface DeserializerOptions {
  /** Read values as decoded from a CBOR body (`application/x-amz-cbor-1.1`) instead of JSON. */
  cbor?: boolean;
}

const LIST_FOUND = 'Start of list found where not expected';
const STRUCT_FOUND = 'Start of structure or map found where not expected.';
const NUMBER_CLASS = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';

function javaClass(v: unknown): string {
  switch (typeof v) {
    case 'boolean': return 'class java.lang.Boolean';
    case 'number': return NUMBER_CLASS;
    default: return 'class java.lang.String';
  }
}

/** Throws for arrays and objects given where a scalar is expected. */
function rejectContainer(v: unknown): never {
  throw serializationError(Array.isArray(v) ? LIST_FOUND : STRUCT_FOUND);
}

const readString: Converter = (v) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'object') rejectContainer(v);
  throw serializationError(`${javaClass(v)} can not be converted to an String`);
};

const readBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') throw serializationError(`'${v.toUpperCase()}' can not be converted to an Boolean`);
  if (typeof v === 'number') throw serializationError(`${NUMBER_CLASS} can not be converted to an Boolean`);
  return rejectContainer(v);
};

const readBlob: Converter = (v) => {
  if (typeof v === 'string') {
    const decoded = decodeStrictBase64(v);
    if (typeof decoded === 'string') throw serializationError(`'${v}' can not be converted to a Blob: ${decoded}`);
    return decoded;
  }
  if (typeof v === 'object') rejectContainer(v);
  throw serializationError(`${javaClass(v)} can not be converted to a Blob`);
};

const readTimestamp: Converter = (v) => {
  if (typeof v === 'number') return v;
  if (typeof v === 'object') rejectContainer(v);
  throw serializationError(`${javaClass(v)} can not be converted to milliseconds since epoch`);
};

function numberReader(javaName: string, integral: boolean, lo: number, hi: number): Converter {
  return (v) => {
    if (typeof v === 'number') {
      if (!integral) return v;
      const n = Math.floor(v);
      return n > hi ? hi : n < lo ? lo : n;
    }
    if (typeof v === 'object') rejectContainer(v);
    throw serializationError(`${javaClass(v)} can not be converted to an ${javaName}`);
  };
}

const INT_RANGE = [-2147483648, 2147483647] as const;
// Java's long range; a double cannot hold 2^63 - 1 exactly, so the bound is 2^63.
const LONG_RANGE = [-(2 ** 63), 2 ** 63] as const;

const readInteger = numberReader('Integer', true, ...INT_RANGE);
const readLong = numberReader('Long', true, ...LONG_RANGE);
const readDouble = numberReader('Double', false, 0, 0);
const readFloat = numberReader('Float', false, 0, 0);

const JSON_SCALARS: Record<ScalarType, Converter> = {
  string: readString, boolean: readBoolean, blob: readBlob, timestamp: readTimestamp,
  integer: readInteger, long: readLong, double: readDouble, float: readFloat,
};

// ---- CBOR mode -------------------------------------------------------------------------------

/** Byte strings and tag-1 timestamps decode to JS objects but are scalars on the wire. */
function isCborScalar(v: object): boolean {
  return v instanceof Uint8Array || v instanceof AwsTimestamp || v instanceof Date;
}

/** A non-container value that is not of the expected type: AWS's wording where one exists. */
function cborMismatch(v: unknown, target: string): never {
  if (typeof v === 'object' && v !== null && !isCborScalar(v)) rejectContainer(v);
  const kind = v instanceof Uint8Array ? 'CBOR byte string'
    : typeof v === 'object' && v !== null ? 'CBOR timestamp'
    : typeof v === 'bigint' ? NUMBER_CLASS
    : v === undefined ? 'CBOR undefined'
    : javaClass(v);
  throw serializationError(`${kind} can not be converted to ${target}`);
}

const cborString: Converter = (v) => (typeof v === 'string' ? v : cborMismatch(v, 'an String'));

const cborBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') throw serializationError(`'${v.toUpperCase()}' can not be converted to an Boolean`);
  return cborMismatch(v, 'an Boolean');
};

const cborBlob: Converter = (v) => {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') {
    throw serializationError('class java.lang.String can not be converted to a Blob: a CBOR request carries blobs as byte strings (major type 2), not base64 text');
  }
  return cborMismatch(v, 'a Blob');
};

/** Epoch milliseconds (the CBOR protocol's unit) to the epoch seconds JSON mode yields. */
function cborSeconds(ms: number): number {
  if (!Number.isFinite(ms)) throw serializationError('CBOR timestamp is not a finite number of milliseconds since epoch');
  return ms / 1000;
}

const cborTimestamp: Converter = (v) => {
  if (v instanceof AwsTimestamp) return cborSeconds(v.ms);
  if (typeof v === 'number') return cborSeconds(v);
  if (typeof v === 'bigint') return cborSeconds(Number(v));
  if (v instanceof Date) return cborSeconds(v.getTime());
  return cborMismatch(v, 'milliseconds since epoch');
};

function cborNumberReader(javaName: string, integral: boolean, lo: number, hi: number): Converter {
  return (v) => {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else return cborMismatch(v, `an ${javaName}`);
    if (!integral) return n;
    n = Math.floor(n);
    return n > hi ? hi : n < lo ? lo : n;
  };
}

const CBOR_SCALARS: Record<ScalarType, Converter> = {
  string: cborString, boolean: cborBoolean, blob: cborBlob, timestamp: cborTimestamp,
  integer: cborNumberReader('Integer', true, ...INT_RANGE),
  long: cborNumberReader('Long', true, ...LONG_RANGE),
  double: cborNumberReader('Double', false, 0, 0),
  float: cborNumberReader('Float', false, 0, 0),
};

export class DeserializerCompiler {
  private readonly cache = new Map<string, Converter>();
  private readonly cbor: boolean;
  private readonly scalars: Record<ScalarType, Converter>;

  constructor(private readonly model: ServiceModel, options: DeserializerOptions = {}) {
    this.cbor = options.cbor === true;
    this.scalars = this.cbor ? CBOR_SCALARS : JSON_SCALARS;
  }

  converter(shapeName: string): Converter {
    const hit = this.cache.get(shapeName);
    if (hit) return hit;
    // Placeholder so recursive shapes resolve lazily.
    const box: { impl?: Converter } = {};
    this.cache.set(shapeName, (v) => (box.impl as Converter)(v));
    const impl = this.build(shapeName);
    box.impl = impl;
    this.cache.set(shapeName, impl);
    return impl;
  }

  private build(shapeName: string): Converter {
    const shape = this.model.shapes[shapeName];
    if (!shape) throw new Error(`model has no shape ${shapeName}`);
    switch (shape.type) {
      case 'list': return this.listReader(shape.member as string);
      case 'map': return this.mapReader(shape.value as string);
      case 'structure': return this.structureReader(shape.members ?? {});
      default: return this.scalars[shape.type];
    }
  }

  private listReader(memberShape: string): Converter {
    const item = this.converter(memberShape);
    const cbor = this.cbor;
    return (v) => {
      if (!Array.isArray(v)) {
        const container = typeof v === 'object' && !(cbor && isCborScalar(v as object));
        throw serializationError(container ? STRUCT_FOUND : 'Expected list or null');
      }
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === null || (cbor && x === undefined)) continue;
        const y = item(x);
        if (y !== x) v[i] = y;
      }
      return v;
    };
  }

  private mapReader(valueShape: string): Converter {
    const value = this.converter(valueShape);
    const cbor = this.cbor;
    return (v) => {
      if (typeof v !== 'object' || v === null || (cbor && isCborScalar(v))) throw serializationError('Expected map or null');
      if (Array.isArray(v)) throw serializationError(LIST_FOUND);
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        const x = obj[k];
        if (x === null || (cbor && x === undefined)) continue;
        const y = value(x);
        if (y !== x) obj[k] = y;
      }
      return obj;
    };
  }

  private structureReader(members: Record<string, string>): Converter {
    const table: Record<string, Converter> = Object.create(null);
    for (const [name, target] of Object.entries(members)) table[name] = this.converter(target);
    const cbor = this.cbor;
    return (v) => {
      if (typeof v !== 'object' || v === null || (cbor && isCborScalar(v))) throw serializationError('Expected null');
      if (Array.isArray(v)) throw serializationError(LIST_FOUND);
      const obj = v as Record<string, unknown>;
      for (const k in obj) {
        const read = table[k];
        if (read === undefined) continue;
        const x = obj[k];
        if (x === null || (cbor && x === undefined)) {
          delete obj[k];
          continue;
        }
        const y = read(x);
        if (y !== x) obj[k] = y;
      }
      return obj;
    };
  }
}
