import { decodeStrictBase64 } from './base64.js';
import { serializationError } from './errors.js';
import type { ServiceModel } from './model-types.js';

/**
 * Pass 1 of input handling: the JSON type checks AWS performs while deserializing, in document
 * order (the first mismatch throws a SerializationException). Works in place on the parsed JSON:
 * blobs are replaced by their decoded `Buffer`, integers are truncated and clamped, and `null`
 * members are removed (AWS treats them as absent). Unknown members are left alone and ignored.
 */
export type Converter = (value: unknown) => unknown;

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

const readInteger = numberReader('Integer', true, -2147483648, 2147483647);
// Java's long range; a double cannot hold 2^63 - 1 exactly, so the bound is 2^63.
const readLong = numberReader('Long', true, -(2 ** 63), 2 ** 63);
const readDouble = numberReader('Double', false, 0, 0);
const readFloat = numberReader('Float', false, 0, 0);

export class DeserializerCompiler {
  private readonly cache = new Map<string, Converter>();

  constructor(private readonly model: ServiceModel) {}

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
      case 'string': return readString;
      case 'boolean': return readBoolean;
      case 'blob': return readBlob;
      case 'timestamp': return readTimestamp;
      case 'integer': return readInteger;
      case 'long': return readLong;
      case 'double': return readDouble;
      case 'float': return readFloat;
      case 'list': return this.listReader(shape.member as string);
      case 'map': return this.mapReader(shape.value as string);
      case 'structure': return this.structureReader(shape.members ?? {});
    }
  }

  private listReader(memberShape: string): Converter {
    const item = this.converter(memberShape);
    return (v) => {
      if (!Array.isArray(v)) {
        throw serializationError(typeof v === 'object' ? STRUCT_FOUND : 'Expected list or null');
      }
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === null) continue;
        const y = item(x);
        if (y !== x) v[i] = y;
      }
      return v;
    };
  }

  private mapReader(valueShape: string): Converter {
    const value = this.converter(valueShape);
    return (v) => {
      if (typeof v !== 'object' || v === null) throw serializationError('Expected map or null');
      if (Array.isArray(v)) throw serializationError(LIST_FOUND);
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        const x = obj[k];
        if (x === null) continue;
        const y = value(x);
        if (y !== x) obj[k] = y;
      }
      return obj;
    };
  }

  private structureReader(members: Record<string, string>): Converter {
    const table: Record<string, Converter> = Object.create(null);
    for (const [name, target] of Object.entries(members)) table[name] = this.converter(target);
    return (v) => {
      if (typeof v !== 'object' || v === null) throw serializationError('Expected null');
      if (Array.isArray(v)) throw serializationError(LIST_FOUND);
      const obj = v as Record<string, unknown>;
      for (const k in obj) {
        const read = table[k];
        if (read === undefined) continue;
        const x = obj[k];
        if (x === null) {
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
