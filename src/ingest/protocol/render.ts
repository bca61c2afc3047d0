import type { ModelShape, ServiceModel } from './model-types.js';

/**
 * Renders input values the way AWS's (Java) front end prints them inside ValidationException
 * messages: strings raw, numbers and booleans as text, blobs as
 * `java.nio.HeapByteBuffer[pos=0 lim=N cap=N]`, lists `[a, b]`, maps `{k=v, ...}` and structures
 * as `com.amazonaws.<service>.v<apiVersion>.<Shape>@<hash>`. The hash is a Java-style
 * `hashCode` of the structure's members; it is deterministic but not guaranteed to equal AWS's.
 * Only ever called on the error path.
 */
export class ValueRenderer {
  private readonly classPrefix: string;

  constructor(private readonly model: ServiceModel) {
    const svc = model.metadata.endpointPrefix ?? model.metadata.signingName;
    this.classPrefix = `com.amazonaws.${svc}.v${model.metadata.apiVersion.replace(/-/g, '')}.`;
  }

  /** The value as it appears between the quotes of `Value '...'`; `null` for a missing value. */
  quoted(value: unknown, shapeName: string): string {
    return value === undefined || value === null ? 'null' : `'${this.render(value, shapeName)}'`;
  }

  render(value: unknown, shapeName: string): string {
    if (value === undefined || value === null) return 'null';
    const shape = this.model.shapes[shapeName];
    switch (shape.type) {
      case 'blob': {
        const n = (value as Buffer).length;
        return `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;
      }
      case 'list':
        return '[' + (value as unknown[]).map((item) => this.render(item, shape.member as string)).join(', ') + ']';
      case 'map': {
        const obj = value as Record<string, unknown>;
        return '{' + Object.keys(obj).map((k) => `${k}=${this.render(obj[k], shape.value as string)}`).join(', ') + '}';
      }
      case 'structure':
        return `${this.classPrefix}${shapeName}@${(this.hash(value, shapeName) >>> 0).toString(16)}`;
      default:
        return String(value);
    }
  }

  /** Java-style hashCode (31-multiplier over members in model order). */
  private hash(value: unknown, shapeName: string): number {
    if (value === undefined || value === null) return 0;
    const shape: ModelShape = this.model.shapes[shapeName];
    switch (shape.type) {
      case 'string':
        return stringHash(value as string);
      case 'blob': {
        const b = value as Buffer;
        let h = 1;
        for (let i = b.length - 1; i >= 0; i--) h = (Math.imul(31, h) + ((b[i] << 24) >> 24)) | 0;
        return h;
      }
      case 'boolean':
        return value ? 1231 : 1237;
      case 'integer':
      case 'long':
      case 'double':
      case 'float':
      case 'timestamp':
        return Number(value) | 0;
      case 'list': {
        let h = 1;
        for (const item of value as unknown[]) h = (Math.imul(31, h) + this.hash(item, shape.member as string)) | 0;
        return h;
      }
      case 'map': {
        let h = 0;
        const obj = value as Record<string, unknown>;
        for (const k of Object.keys(obj)) h = (h + (stringHash(k) ^ this.hash(obj[k], shape.value as string))) | 0;
        return h;
      }
      case 'structure': {
        let h = 1;
        const obj = value as Record<string, unknown>;
        for (const [m, target] of Object.entries(shape.members ?? {})) h = (Math.imul(31, h) + this.hash(obj[m], target)) | 0;
        return h;
      }
    }
  }
}

function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
