/**
 * A small JSON-Schema subset for sink plugin options: enough to validate a user's `Options`
 * block at CreateDeliveryStream and to document it (every field may carry a description, a
 * default, an example and a `secret` flag that keeps it out of DescribeDeliveryStream). Pure,
 * no I/O; errors name the failing path (`Options.url`).
 */
export type OptionsSchema =
  | ({ type: 'string'; minLength?: number; maxLength?: number; pattern?: string; enum?: readonly string[] } & FieldDoc<string>)
  | ({ type: 'number' | 'integer'; minimum?: number; maximum?: number } & FieldDoc<number>)
  | ({ type: 'boolean' } & FieldDoc<boolean>)
  | ({ type: 'array'; items?: OptionsSchema; minItems?: number; maxItems?: number } & FieldDoc<unknown[]>)
  | ({
    type: 'object';
    properties?: Readonly<Record<string, OptionsSchema>>;
    required?: readonly string[];
    /** Members not in `properties`: refused unless true (a typo in an option name is an error). */
    additionalProperties?: boolean;
  } & FieldDoc<Record<string, unknown>>);

/** Documentation a field carries (README tables and `config --schema` are generated from it). */
export interface FieldDoc<T> {
  description?: string;
  /** Filled in when the field is absent. */
  default?: T;
  example?: T;
  /** Never shown by DescribeDeliveryStream (tokens, passwords). */
  secret?: boolean;
}

/** Thrown by `validateOptions`: `path` names the field, `message` says what is wrong with it. */
export class OptionsError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path} ${problem}`);
    this.name = 'OptionsError';
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Check `value` against `schema` and return it with defaults filled (a copy; the input is not
 * changed). Throws OptionsError at the first problem.
 */
export function validateOptions(schema: OptionsSchema, value: unknown, path = 'Options'): unknown {
  if (value === undefined && schema.default !== undefined) return structuredClone(schema.default);
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') throw new OptionsError(path, `must be a string; got ${typeName(value)}.`);
      if (schema.minLength !== undefined && value.length < schema.minLength) throw new OptionsError(path, `must have at least ${schema.minLength} characters.`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) throw new OptionsError(path, `must have at most ${schema.maxLength} characters.`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) throw new OptionsError(path, `must match ${schema.pattern}.`);
      if (schema.enum && !schema.enum.includes(value)) throw new OptionsError(path, `must be one of ${schema.enum.join(', ')}; got ${value}.`);
      return value;
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new OptionsError(path, `must be a number; got ${typeName(value)}.`);
      if (schema.type === 'integer' && !Number.isInteger(value)) throw new OptionsError(path, `must be an integer; got ${value}.`);
      if (schema.minimum !== undefined && value < schema.minimum) throw new OptionsError(path, `must be at least ${schema.minimum}; got ${value}.`);
      if (schema.maximum !== undefined && value > schema.maximum) throw new OptionsError(path, `must be at most ${schema.maximum}; got ${value}.`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new OptionsError(path, `must be true or false; got ${typeName(value)}.`);
      return value;
    case 'array': {
      if (!Array.isArray(value)) throw new OptionsError(path, `must be an array; got ${typeName(value)}.`);
      if (schema.minItems !== undefined && value.length < schema.minItems) throw new OptionsError(path, `must have at least ${schema.minItems} items.`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) throw new OptionsError(path, `must have at most ${schema.maxItems} items.`);
      const items = schema.items;
      return items ? value.map((v, i) => validateOptions(items, v, `${path}[${i}]`)) : [...value];
    }
    case 'object': {
      const obj = value === undefined ? {} : value;
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new OptionsError(path, `must be an object; got ${typeName(obj)}.`);
      const input = obj as Record<string, unknown>;
      const props = schema.properties ?? {};
      for (const name of schema.required ?? []) {
        if (input[name] === undefined && props[name]?.default === undefined) throw new OptionsError(`${path}.${name}`, 'is required.');
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input)) {
        if (props[k]) continue;
        if (schema.additionalProperties !== true) throw new OptionsError(`${path}.${k}`, `is not an option of this sink (known: ${Object.keys(props).join(', ') || 'none'}).`);
        out[k] = v;
      }
      for (const [k, sub] of Object.entries(props)) {
        if (input[k] === undefined && sub.default === undefined) continue;
        const v = validateOptions(sub, input[k], `${path}.${k}`);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
  }
}

/** A copy of `value` with every field the schema marks `secret` replaced by `****`. */
export function redactOptions(schema: OptionsSchema | undefined, value: unknown): unknown {
  if (!schema || value === undefined || value === null) return value;
  if (schema.secret) return '****';
  if (schema.type === 'array' && Array.isArray(value) && schema.items) return value.map((v) => redactOptions(schema.items, v));
  if (schema.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactOptions(schema.properties?.[k], v);
    return out;
  }
  return value;
}
