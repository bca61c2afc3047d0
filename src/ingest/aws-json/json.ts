/**
 * JSON text of an operation's output for the AWS JSON protocols: `JSON.stringify`, except that
 * blobs (`Buffer`/`Uint8Array`) become base64 strings (a Buffer's own `toJSON` would give
 * `{"type":"Buffer","data":[...]}`) and a `Date` becomes epoch seconds like an `AwsTimestamp`.
 * Returns '' for `undefined` (an operation without output answers with an empty body).
 *
 * A `JSON.stringify` replacer cannot do this cheaply: it runs after `toJSON`, so every blob would
 * first be expanded into an array of numbers. Instead one walk replaces blobs in a copy-on-write
 * view of the output; an output without blobs or dates is handed to `JSON.stringify` untouched.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(prepare(value)) ?? '';
}

function prepare(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return prepareArray(value);
  // Anything else with toJSON (AwsTimestamp among them) renders itself.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  return prepareObject(value as Record<string, unknown>);
}

function prepareArray(arr: unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    const y = prepare(x);
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
    if (out !== undefined) out[keys[i]] = y;
  }
  return out ?? obj;
}
