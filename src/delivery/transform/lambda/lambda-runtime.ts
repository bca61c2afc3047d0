/**
 * Runs Firehose transformation functions locally, the way Lambda would: each invocation goes to
 * a worker thread of a pool shared by every delivery stream (see `WorkerPool`), under the
 * function's timeout and heap limit. A handler that throws, times out, runs out of memory or ends
 * its worker fails only its own invocation; the worker is replaced. The outcome is what Lambda's
 * Invoke API would report: the response payload, or a function error with a readable message.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { WorkerExitedError, WorkerPool, WorkerTaskError, WorkerTimeoutError } from '../../../util/worker-pool.js';
import { workerScript } from '../../../util/worker-script.js';
import { FunctionResolver, functionArn, type FunctionsConfig, type ResolvedFunction } from './function-resolver.js';
import type { LambdaTask } from './lambda-task.js';

/** Lambda's synchronous invocation limit for the request and for the response. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface LambdaRuntimeOptions extends FunctionsConfig {
  region: string;
  accountId: string;
  /** Worker threads shared by all functions (default: the number of cores, at least 2). */
  maxWorkers?: number;
  /** Workers one delivery stream may hold at once (default: `maxWorkers - 1`, at least 1). */
  maxWorkersPerStream?: number;
  /** A line a function wrote to stdout/stderr (its "CloudWatch Logs"). Default: the process's own streams. */
  onLog?: (line: string, functionName: string, stream: 'stdout' | 'stderr') => void;
}

/** What one invocation returned. */
export type InvokeOutcome =
  | { ok: true; payload: string; durationMs: number }
  | { ok: false; errorCode: string; errorMessage: string; durationMs: number };

export interface InvokeOptions {
  /** The delivery stream invoking (fairness between streams). */
  key: string;
  signal?: AbortSignal;
}

const FUNCTION_ERROR = 'The Lambda function was successfully invoked but it returned an error result';

export class LambdaRuntime {
  private readonly pool: WorkerPool;
  private readonly resolver: FunctionResolver;

  constructor(private readonly opts: LambdaRuntimeOptions) {
    const maxWorkers = opts.maxWorkers ?? Math.max(2, availableParallelism());
    this.resolver = new FunctionResolver(opts);
    this.pool = new WorkerPool({
      name: 'lambda',
      script: workerScript(import.meta.url, './lambda-worker.js'),
      maxWorkers,
      maxPerKey: opts.maxWorkersPerStream ?? Math.max(1, maxWorkers - 1),
      onOutput: opts.onLog ? (line, stream, affinity) => opts.onLog!(line, affinity?.split('@')[0] ?? '', stream) : undefined,
    });
  }

  /** Workers alive now. */
  get workers(): number {
    return this.pool.size;
  }

  /** The function a `LambdaArn` names, or undefined when it cannot be found. */
  resolve(lambdaArn: string): Promise<ResolvedFunction | undefined> {
    return this.resolver.resolve(lambdaArn);
  }

  /** Invoke the function named by `lambdaArn` with `event` (RequestResponse). Never throws. */
  async invoke(lambdaArn: string, event: unknown, opts: InvokeOptions): Promise<InvokeOutcome> {
    const started = performance.now();
    const fail = (errorCode: string, errorMessage: string): InvokeOutcome => ({ ok: false, errorCode, errorMessage, durationMs: performance.now() - started });
    const fn = await this.resolver.resolve(lambdaArn);
    if (!fn) return fail('Lambda.ResourceNotFound', `Function not found: ${functionArn(lambdaArn, this.opts.region, this.opts.accountId)} (${this.resolver.describeSearch(lambdaArn)})`);
    const body = JSON.stringify(event);
    const size = Buffer.byteLength(body);
    if (size > MAX_INVOKE_PAYLOAD_BYTES) {
      return fail('Lambda.FunctionError', `The invocation payload is ${size} bytes; Lambda accepts at most ${MAX_INVOKE_PAYLOAD_BYTES} bytes per synchronous invocation`);
    }
    const requestId = randomUUID();
    const task: LambdaTask = {
      modulePath: fn.path,
      exportName: fn.handler,
      event: body,
      context: {
        awsRequestId: requestId,
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: functionArn(lambdaArn, this.opts.region, this.opts.accountId),
        memoryLimitInMB: String(fn.memoryMb),
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: `hydrant/[$LATEST]${fn.version}`,
        timeoutMs: fn.timeoutMs,
      },
    };
    try {
      const payload = await this.pool.run<string>(task, {
        key: opts.key,
        affinity: `${fn.name}@${fn.path}@${fn.version}`,
        timeoutMs: fn.timeoutMs,
        signal: opts.signal,
        resourceLimits: { maxOldGenerationSizeMb: fn.memoryMb, stackSizeMb: 4 },
        env: this.environment(fn),
      });
      const responseSize = Buffer.byteLength(payload);
      if (responseSize > MAX_INVOKE_PAYLOAD_BYTES) {
        return fail('Lambda.FunctionError', `Response payload size (${responseSize} bytes) exceeded maximum allowed payload size (${MAX_INVOKE_PAYLOAD_BYTES} bytes).`);
      }
      return { ok: true, payload, durationMs: performance.now() - started };
    } catch (err) {
      if (err instanceof WorkerTimeoutError) {
        return fail('Lambda.FunctionError', `${FUNCTION_ERROR}: Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`);
      }
      if (err instanceof WorkerExitedError) {
        return fail('Lambda.FunctionError', err.outOfMemory
          ? `${FUNCTION_ERROR}: Runtime exited: the function ran out of memory (limit ${fn.memoryMb} MB)`
          : `${FUNCTION_ERROR}: Runtime exited${err.exitCode !== undefined && err.exitCode !== 1 ? ` with exit status ${err.exitCode}` : ''} (${err.message.replace(/^lambda: /, '')})`);
      }
      if (err instanceof WorkerTaskError) {
        return fail('Lambda.FunctionError', `${FUNCTION_ERROR}: ${err.remote.name}: ${err.remote.message}`);
      }
      return fail('Lambda.FunctionError', `${FUNCTION_ERROR}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /** Stop every worker. */
  close(): Promise<void> {
    return this.pool.close();
  }

  private environment(fn: ResolvedFunction): Record<string, string | undefined> {
    return {
      ...process.env,
      AWS_REGION: this.opts.region,
      AWS_DEFAULT_REGION: this.opts.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      LAMBDA_TASK_ROOT: dirname(fn.path),
      ...fn.environment,
    };
  }
}
