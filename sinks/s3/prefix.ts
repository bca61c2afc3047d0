/**
 * S3 prefix expressions (`Prefix` / `ErrorOutputPrefix`): parsing, create-time validation and
 * delivery-time evaluation. Rules follow the Firehose developer guide ("Custom prefixes for Amazon
 * S3 objects"); see the reference notes §7.2.
 */
import { compilePattern, PatternError, type CompiledPattern } from './java-time-pattern.js';
import { zonedFields, type ZonedFields } from './zoned-time.js';

/** Time path appended to a Prefix without expressions (`!{timestamp:yyyy/MM/dd/HH/}`). */
export const DEFAULT_TIME_PATTERN = 'yyyy/MM/dd/HH/';
/** Longest allowed evaluated prefix. */
export const MAX_EVALUATED_PREFIX = 512;
/** Longest allowed configured prefix (API constraint). */
export const MAX_PREFIX_LENGTH = 1024;

export type Expression =
  | { kind: 'timestamp'; pattern: string; format: CompiledPattern }
  | { kind: 'random-string' }
  | { kind: 'error-output-type' }
  | { kind: 'partitionKeyFromQuery'; key: string }
  | { kind: 'partitionKeyFromLambda'; key: string };

export type PrefixPart = string | Expression;

/** A parsed prefix template. */
export interface ParsedPrefix {
  parts: PrefixPart[];
  hasExpressions: boolean;
  has(kind: Expression['kind']): boolean;
}

/** A template that cannot be parsed; `message` names the problem (not the field). */
export class PrefixSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefixSyntaxError';
  }
}

/** Evaluation failed for one batch/record (missing partition key, too long, ...). */
export class PrefixEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefixEvaluationError';
  }
}

function parseExpression(inner: string, raw: string): Expression {
  const colon = inner.indexOf(':');
  if (colon < 0) throw new PrefixSyntaxError(`'${raw}' is not a valid expression; expressions have the form !{namespace:value}`);
  const ns = inner.slice(0, colon);
  const value = inner.slice(colon + 1);
  switch (ns) {
    case 'timestamp':
      if (!value) throw new PrefixSyntaxError(`'${raw}' has an empty timestamp pattern`);
      try {
        return { kind: 'timestamp', pattern: value, format: compilePattern(value) };
      } catch (err) {
        if (err instanceof PatternError) throw new PrefixSyntaxError(`'${raw}' has an invalid timestamp pattern: ${err.message}`);
        throw err;
      }
    case 'firehose':
      if (value === 'random-string') return { kind: 'random-string' };
      if (value === 'error-output-type') return { kind: 'error-output-type' };
      throw new PrefixSyntaxError(`'${raw}' uses an unknown firehose value '${value}'; valid values are random-string and error-output-type`);
    case 'partitionKeyFromQuery':
    case 'partitionKeyFromLambda':
      if (!value) throw new PrefixSyntaxError(`'${raw}' does not name a partition key`);
      return { kind: ns, key: value };
    default:
      throw new PrefixSyntaxError(`'${raw}' uses an unknown namespace '${ns}'; valid namespaces are timestamp, firehose, partitionKeyFromQuery and partitionKeyFromLambda`);
  }
}

const parsedCache = new Map<string, ParsedPrefix>();

/** Parses a template (cached). Throws PrefixSyntaxError. */
export function parsePrefix(template: string): ParsedPrefix {
  const hit = parsedCache.get(template);
  if (hit) return hit;
  const parts: PrefixPart[] = [];
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf('!{', i);
    if (start < 0) { parts.push(template.slice(i)); break; }
    if (start > i) parts.push(template.slice(i, start));
    const end = template.indexOf('}', start + 2);
    if (end < 0) throw new PrefixSyntaxError(`'!{' at position ${start} is not closed by '}'`);
    const inner = template.slice(start + 2, end);
    if (inner.includes('!{')) throw new PrefixSyntaxError(`'!{' at position ${start} is not closed by '}'`);
    parts.push(parseExpression(inner, template.slice(start, end + 1)));
    i = end + 1;
  }
  const kinds = new Set(parts.filter((p): p is Expression => typeof p !== 'string').map((p) => p.kind));
  const parsed: ParsedPrefix = { parts, hasExpressions: kinds.size > 0, has: (k) => kinds.has(k) };
  if (parsedCache.size > 1000) parsedCache.clear();
  parsedCache.set(template, parsed);
  return parsed;
}

export interface PrefixContext {
  /** Approximate arrival time (epoch ms) of the oldest record in the object. */
  arrivalMs: number;
  /** IANA zone (`CustomTimeZone`); UTC when absent. */
  timeZone?: string;
  /** Value for `!{firehose:error-output-type}` (e.g. `processing-failed`). */
  errorOutputType?: string;
  /** Source of `!{firehose:random-string}` values; called once per occurrence. */
  random: () => string;
  partitionKeys?: { query?: Record<string, string>; lambda?: Record<string, string> };
}

function render(parsed: ParsedPrefix, ctx: PrefixContext, fields: () => ZonedFields): string {
  let out = '';
  for (const p of parsed.parts) {
    if (typeof p === 'string') { out += p; continue; }
    switch (p.kind) {
      case 'timestamp': out += p.format(fields()); break;
      case 'random-string': out += ctx.random(); break;
      case 'error-output-type':
        if (!ctx.errorOutputType) throw new PrefixEvaluationError('!{firehose:error-output-type} needs an error output type');
        out += ctx.errorOutputType;
        break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda': {
        const source = p.kind === 'partitionKeyFromQuery' ? ctx.partitionKeys?.query : ctx.partitionKeys?.lambda;
        const v = source?.[p.key];
        if (v === undefined || v === null) throw new PrefixEvaluationError(`partition key '${p.key}' (${p.kind}) is missing`);
        out += v;
        break;
      }
    }
  }
  return out;
}

/**
 * Evaluates a Prefix or ErrorOutputPrefix template. All timestamp expressions use the same
 * instant. A template without expressions gets the default time path `yyyy/MM/dd/HH/`
 * appended by plain concatenation (`logs/` → `logs/2024/06/10/13/`; `logs` → `logs2024/...`).
 * Throws PrefixSyntaxError for a bad template and PrefixEvaluationError for a missing partition
 * key or error output type, or a result longer than 512 characters.
 */
export function evaluatePrefix(template: string | null | undefined, ctx: PrefixContext): string {
  const parsed = parsePrefix(template ?? '');
  let cached: ZonedFields | undefined;
  const fields = () => (cached ??= zonedFields(ctx.arrivalMs, ctx.timeZone));
  let out = render(parsed, ctx, fields);
  if (!parsed.hasExpressions) out += compilePattern(DEFAULT_TIME_PATTERN)(fields());
  if (out.length > MAX_EVALUATED_PREFIX) {
    throw new PrefixEvaluationError(`The evaluated prefix is ${out.length} characters long; the maximum is ${MAX_EVALUATED_PREFIX}`);
  }
  return out;
}

/**
 * The template failed records use. A non-empty ErrorOutputPrefix is used as given (a literal one
 * also gets the default time path, like Prefix). When it is null/empty (only valid if Prefix has no
 * expressions) Firehose writes under `<Prefix><error-output-type>/yyyy/MM/dd/HH/`.
 */
export function errorPrefixTemplate(prefix: string | null | undefined, errorOutputPrefix: string | null | undefined): string {
  if (errorOutputPrefix) return errorOutputPrefix;
  return `${prefix ?? ''}!{firehose:error-output-type}/!{timestamp:${DEFAULT_TIME_PATTERN}}`;
}

/** Evaluates the error prefix for `ctx.errorOutputType` (see errorPrefixTemplate). */
export function evaluateErrorPrefix(
  prefix: string | null | undefined, errorOutputPrefix: string | null | undefined, ctx: PrefixContext,
): string {
  return evaluatePrefix(errorPrefixTemplate(prefix, errorOutputPrefix), ctx);
}
