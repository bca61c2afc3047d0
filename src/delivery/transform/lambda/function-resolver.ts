/**
 * Where a `LambdaArn` leads: Hydrant runs a function's Node module from disk. A function is found
 * by its name — the last segment of the ARN, qualifier (version or alias) ignored — in the config
 * file's `functions` map, else in the functions directory as `DIR/NAME.mjs|.js|.cjs` or
 * `DIR/NAME/index.mjs|.js|.cjs`. The module's modification time is its version: editing the file
 * makes the next invocation start fresh workers with the new code.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/** One entry of the config file's `functions` map (a bare string is the path). */
export interface FunctionDefinition {
  /** The module's path (relative paths are resolved against the config file's directory or the working directory). */
  path: string;
  /** The exported function to call (default `handler`). */
  handler?: string;
  /** Invocation timeout in seconds (default 300, also the most allowed, as Firehose). */
  timeoutSeconds?: number;
  /** Heap limit of the function's workers in MB (default 256). */
  memoryMb?: number;
  /** Environment variables the function sees, besides Lambda's own (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_REGION`, ...). */
  environment?: Record<string, string>;
}

/** How functions are found (`--functions-dir` and the config file's `functions`). */
export interface FunctionsConfig {
  functionsDir?: string;
  functions?: Record<string, string | FunctionDefinition>;
  /** Directory relative paths in `functions` are resolved against (default: the working directory). */
  baseDir?: string;
}

/** A function ready to run. */
export interface ResolvedFunction {
  name: string;
  path: string;
  handler: string;
  timeoutMs: number;
  memoryMb: number;
  environment: Record<string, string>;
  /** Changes whenever the module file changes. */
  version: string;
}

/** Firehose's limit on a transform invocation (and Hydrant's default). */
export const MAX_FUNCTION_TIMEOUT_SECONDS = 300;
export const DEFAULT_FUNCTION_MEMORY_MB = 256;

/** Lambda's function-name rule; it also keeps names from escaping the functions directory. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const EXTENSIONS = ['.mjs', '.js', '.cjs'];

/**
 * The function name in a `LambdaArn` value: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`,
 * `ACCOUNT:function:NAME[:QUALIFIER]`, `NAME:QUALIFIER` or `NAME`.
 */
export function functionNameFromArn(lambdaArn: string): string {
  const parts = lambdaArn.split(':');
  const at = parts.indexOf('function');
  if (at >= 0 && at + 1 < parts.length) return parts[at + 1];
  return parts[0];
}

/** The full function ARN Firehose reports (`lambdaArn` in failed records) for a configured value. */
export function functionArn(lambdaArn: string, region: string, accountId: string): string {
  if (lambdaArn.startsWith('arn:')) return lambdaArn;
  const parts = lambdaArn.split(':');
  if (parts.indexOf('function') === 1) return `arn:aws:lambda:${region}:${lambdaArn}`;
  return `arn:aws:lambda:${region}:${accountId}:function:${lambdaArn}`;
}

async function fileMtime(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

export class FunctionResolver {
  constructor(private readonly config: FunctionsConfig) {}

  /** Finds the function named by `lambdaArn`, or undefined. */
  async resolve(lambdaArn: string): Promise<ResolvedFunction | undefined> {
    const name = functionNameFromArn(lambdaArn);
    if (!FUNCTION_NAME.test(name)) return undefined;
    const entry = this.config.functions?.[name];
    if (entry !== undefined) {
      const def: FunctionDefinition = typeof entry === 'string' ? { path: entry } : entry;
      const path = isAbsolute(def.path) ? def.path : resolve(this.config.baseDir ?? process.cwd(), def.path);
      const mtime = await fileMtime(path);
      return mtime === undefined ? undefined : this.resolved(name, path, mtime, def);
    }
    const dir = this.config.functionsDir;
    if (!dir) return undefined;
    const candidates = [...EXTENSIONS.map((ext) => join(dir, `${name}${ext}`)), ...EXTENSIONS.map((ext) => join(dir, name, `index${ext}`))];
    for (const candidate of candidates) {
      const path = resolve(candidate);
      const mtime = await fileMtime(path);
      if (mtime !== undefined) return this.resolved(name, path, mtime, { path });
    }
    return undefined;
  }

  /** Where `resolve` looked, for the error message of a function that was not found. */
  describeSearch(lambdaArn: string): string {
    const name = functionNameFromArn(lambdaArn);
    const places: string[] = [];
    if (this.config.functions) places.push('the config file\'s functions map');
    if (this.config.functionsDir) places.push(`${this.config.functionsDir}/${name}.{mjs,js,cjs} or ${this.config.functionsDir}/${name}/index.{mjs,js,cjs}`);
    if (places.length === 0) return 'no functions directory (--functions-dir) or functions map is configured';
    return `looked in ${places.join(' and ')}`;
  }

  private resolved(name: string, path: string, mtime: number, def: FunctionDefinition): ResolvedFunction {
    const timeoutSeconds = Math.min(def.timeoutSeconds ?? MAX_FUNCTION_TIMEOUT_SECONDS, MAX_FUNCTION_TIMEOUT_SECONDS);
    return {
      name,
      path,
      handler: def.handler ?? 'handler',
      timeoutMs: Math.max(1, Math.round(timeoutSeconds * 1000)),
      memoryMb: def.memoryMb ?? DEFAULT_FUNCTION_MEMORY_MB,
      environment: def.environment ?? {},
      version: String(mtime),
    };
  }
}
