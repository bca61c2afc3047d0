import { MAX_VALIDATION_ERRORS } from './errors.js';
import type { ModelShape, ServiceModel } from './model-types.js';
import { ValueRenderer } from './render.js';

/**
 * Pass 2 of input handling: model constraints (required, length, range, pattern, enum), checked
 * after pass 1 made every value the right JS type. Violations are collected in AWS's order
 * (members in model order unless the model records AWS's observed `order`; per member: pattern,
 * min, max, enum) up to AWS's cap of 10, each phrased like
 * `Value '<v>' at '<path>' failed to satisfy constraint: <rule>`.
 *
 * The hot path allocates nothing: the path is a shared stack of segments (member names and list
 * indexes) that is only joined into a string when a violation is recorded.
 */
export interface ValidationContext {
  errors: string[];
  /** Path segments: lowerCamel member names or map keys (string), 0-based list indexes (number). */
  path: Array<string | number>;
}

export type Validator = (value: unknown, ctx: ValidationContext) => void;
/** A check of one scalar value against all its shape's rules, for list items and map keys/values. */
type Predicate = (value: unknown) => boolean;

export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function pathString(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (i > 0) out += '.';
    out += typeof seg === 'number' ? `${seg + 1}.member` : seg;
  }
  return out;
}

function report(ctx: ValidationContext, quotedValue: string, rule: string): void {
  if (ctx.errors.length >= MAX_VALIDATION_ERRORS) return;
  ctx.errors.push(`Value ${quotedValue} at '${pathString(ctx.path)}' failed to satisfy constraint: ${rule}`);
}

export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    // Java-isms such as `\_` are not valid with the `u` flag; they are fine without it.
    return new RegExp(`^(?:${pattern})$`);
  }
}

interface ScalarRule {
  rule: string;
  ok: (value: unknown) => boolean;
}

export class ValidatorCompiler {
  private readonly cache = new Map<string, Validator | null>();
  private readonly renderer: ValueRenderer;

  constructor(private readonly model: ServiceModel) {
    this.renderer = new ValueRenderer(model);
  }

  /** The validator for a shape, or null when nothing below it carries a constraint. */
  validator(shapeName: string): Validator | null {
    if (this.cache.has(shapeName)) return this.cache.get(shapeName) as Validator | null;
    let impl: Validator | null = null;
    // Placeholder for recursive shapes: resolved lazily once built.
    this.cache.set(shapeName, (v, ctx) => impl?.(v, ctx));
    impl = this.build(shapeName);
    this.cache.set(shapeName, impl);
    return impl;
  }

  private shape(name: string): ModelShape {
    const s = this.model.shapes[name];
    if (!s) throw new Error(`model has no shape ${name}`);
    return s;
  }

  private build(shapeName: string): Validator | null {
    const shape = this.shape(shapeName);
    switch (shape.type) {
      case 'structure': return this.structure(shape);
      case 'list': return this.list(shapeName, shape);
      case 'map': return this.map(shapeName, shape);
      default: return this.scalar(shapeName, shape);
    }
  }

  /** The rules of a scalar shape in AWS's reporting order. */
  private scalarRules(shape: ModelShape): ScalarRule[] {
    const rules: ScalarRule[] = [];
    const { min, max } = shape;
    if (shape.type === 'string' || shape.type === 'blob') {
      if (shape.pattern !== undefined) {
        const re = compilePattern(shape.pattern);
        rules.push({ rule: `Member must satisfy regular expression pattern: ${shape.pattern}`, ok: (v) => re.test(v as string) });
      }
      if (min !== undefined) rules.push({ rule: `Member must have length greater than or equal to ${min}`, ok: (v) => (v as string | Buffer).length >= min });
      if (max !== undefined) rules.push({ rule: `Member must have length less than or equal to ${max}`, ok: (v) => (v as string | Buffer).length <= max });
      if (shape.enum) {
        const set = new Set(shape.enum);
        rules.push({ rule: `Member must satisfy enum value set: [${(shape.enumOrder ?? shape.enum).join(', ')}]`, ok: (v) => set.has(v as string) });
      }
    } else if (shape.type === 'integer' || shape.type === 'long' || shape.type === 'double' || shape.type === 'float') {
      if (min !== undefined) rules.push({ rule: `Member must have value greater than or equal to ${min}`, ok: (v) => (v as number) >= min });
      if (max !== undefined) rules.push({ rule: `Member must have value less than or equal to ${max}`, ok: (v) => (v as number) <= max });
    }
    return rules;
  }

  private scalar(shapeName: string, shape: ModelShape): Validator | null {
    const rules = this.scalarRules(shape);
    if (rules.length === 0) return null;
    const renderer = this.renderer;
    // Unrolled for the common one- and two-rule shapes (record data, stream names).
    if (rules.length === 1) {
      const [a] = rules;
      return (v, ctx) => {
        if (!a.ok(v)) report(ctx, renderer.quoted(v, shapeName), a.rule);
      };
    }
    return (v, ctx) => {
      for (let i = 0; i < rules.length; i++) {
        if (!rules[i].ok(v)) report(ctx, renderer.quoted(v, shapeName), rules[i].rule);
      }
    };
  }

  /** For list items and map keys/values: one check of all rules, and the bracketed rule list AWS prints. */
  private aggregate(shapeName: string): { ok: Predicate; summary: string } | null {
    const shape = this.shape(shapeName);
    const rules = this.scalarRules(shape);
    if (rules.length === 0) return null;
    // AWS lists the length/value bounds maximum first.
    const byPrint = [...rules].sort((x, y) => rank(x.rule) - rank(y.rule));
    return {
      ok: (v) => {
        for (let i = 0; i < rules.length; i++) if (!rules[i].ok(v)) return false;
        return true;
      },
      summary: '[' + byPrint.map((r) => r.rule).join(', ') + ']',
    };
  }

  private isContainer(shapeName: string): boolean {
    const t = this.shape(shapeName).type;
    return t === 'structure' || t === 'list' || t === 'map';
  }

  private structure(shape: ModelShape): Validator | null {
    const names = Object.keys(shape.members ?? {});
    const order = shape.order ? [...shape.order, ...names.filter((n) => !shape.order?.includes(n))] : names;
    const required = new Set(shape.required ?? []);
    const members = order.map((name) => ({
      name,
      path: lowerFirst(name),
      required: required.has(name),
      check: this.validator((shape.members as Record<string, string>)[name]),
    })).filter((m) => m.required || m.check !== null);
    if (members.length === 0) return null;
    return (v, ctx) => {
      const obj = v as Record<string, unknown>;
      for (let i = 0; i < members.length; i++) {
        if (ctx.errors.length >= MAX_VALIDATION_ERRORS) return;
        const m = members[i];
        const x = obj[m.name];
        ctx.path.push(m.path);
        if (x === undefined || x === null) {
          if (m.required) report(ctx, 'null', 'Member must not be null');
        } else if (m.check !== null) {
          m.check(x, ctx);
        }
        ctx.path.pop();
      }
    };
  }

  private list(shapeName: string, shape: ModelShape): Validator | null {
    const own = this.scalarRulesForSize(shape);
    const itemShape = shape.member as string;
    const container = this.isContainer(itemShape);
    const itemCheck = container ? this.validator(itemShape) : null;
    const itemAgg = container ? null : this.aggregate(itemShape);
    if (own.length === 0 && itemCheck === null && itemAgg === null) return null;
    const renderer = this.renderer;
    return (v, ctx) => {
      const a = v as unknown[];
      for (let i = 0; i < own.length; i++) {
        if (!own[i].ok(a.length)) report(ctx, renderer.quoted(a, shapeName), own[i].rule);
      }
      if (itemAgg !== null) {
        for (let i = 0; i < a.length; i++) {
          const x = a[i];
          if (x !== null && !itemAgg.ok(x)) {
            report(ctx, renderer.quoted(a, shapeName), `Member must satisfy constraint: ${itemAgg.summary}`);
            break;
          }
        }
      } else if (container) {
        for (let i = 0; i < a.length; i++) {
          if (ctx.errors.length >= MAX_VALIDATION_ERRORS) return;
          const x = a[i];
          ctx.path.push(i);
          if (x === null || x === undefined) report(ctx, 'null', 'Member must not be null');
          else if (itemCheck !== null) itemCheck(x, ctx);
          ctx.path.pop();
        }
      }
    };
  }

  private map(shapeName: string, shape: ModelShape): Validator | null {
    const own = this.scalarRulesForSize(shape);
    const keyAgg = this.aggregate(shape.key as string);
    const valueShape = shape.value as string;
    const container = this.isContainer(valueShape);
    const valueCheck = container ? this.validator(valueShape) : null;
    const valueAgg = container ? null : this.aggregate(valueShape);
    if (own.length === 0 && keyAgg === null && valueCheck === null && valueAgg === null) return null;
    const renderer = this.renderer;
    return (v, ctx) => {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      for (let i = 0; i < own.length; i++) {
        if (!own[i].ok(keys.length)) report(ctx, renderer.quoted(obj, shapeName), own[i].rule);
      }
      if (keyAgg !== null && !keys.every((k) => keyAgg.ok(k))) {
        report(ctx, renderer.quoted(obj, shapeName), `Map keys must satisfy constraint: ${keyAgg.summary}`);
      }
      if (valueAgg !== null && !keys.every((k) => obj[k] === null || valueAgg.ok(obj[k]))) {
        report(ctx, renderer.quoted(obj, shapeName), `Map value must satisfy constraint: ${valueAgg.summary}`);
      }
      if (container) {
        for (const k of keys) {
          if (ctx.errors.length >= MAX_VALIDATION_ERRORS) return;
          ctx.path.push(k);
          if (obj[k] === null) report(ctx, 'null', 'Member must not be null');
          else if (valueCheck !== null) valueCheck(obj[k], ctx);
          ctx.path.pop();
        }
      }
    };
  }

  /** Length bounds of a list or map, checked against its element count. */
  private scalarRulesForSize(shape: ModelShape): Array<{ rule: string; ok: (n: number) => boolean }> {
    const rules: Array<{ rule: string; ok: (n: number) => boolean }> = [];
    const { min, max } = shape;
    if (min !== undefined) rules.push({ rule: `Member must have length greater than or equal to ${min}`, ok: (n) => n >= min });
    if (max !== undefined) rules.push({ rule: `Member must have length less than or equal to ${max}`, ok: (n) => n <= max });
    return rules;
  }
}

function rank(rule: string): number {
  if (rule.includes('less than or equal')) return 0;
  if (rule.includes('greater than or equal')) return 1;
  if (rule.includes('pattern')) return 2;
  return 3;
}
