/**
 * The worker thread that runs Firehose transformation handlers: loads the function's module once
 * (a worker only ever serves one function and version, see `WorkerPool` affinity), then calls
 * `handler(event, context, callback)` for each invocation the way the Lambda Node.js runtime does —
 * an async handler's promise, or the callback (also `context.done/succeed/fail`), whichever
 * answers first — and returns the response serialized as JSON, as Lambda returns it.
 */
import { pathToFileURL } from 'node:url';
import { serveTasks } from '../../../util/worker-task.js';
import type { LambdaContextFields, LambdaTask } from './lambda-task.js';

type Callback = (err?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: unknown, callback: Callback) => unknown;

const handlers = new Map<string, Promise<Handler>>();

/** Lambda's runtime errors carry these names as `errorType`. */
function runtimeError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

async function load(modulePath: string, exportName: string): Promise<Handler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (err) {
    throw runtimeError('Runtime.ImportModuleError', `Error: Cannot load ${modulePath}: ${(err as Error)?.message ?? String(err)}`);
  }
  const fallback = mod.default as Record<string, unknown> | undefined;
  const handler = mod[exportName] ?? (typeof fallback === 'object' || typeof fallback === 'function' ? fallback?.[exportName] : undefined);
  if (typeof handler !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${modulePath} does not export a function named '${exportName}'`);
  return handler as Handler;
}

function handlerFor(modulePath: string, exportName: string): Promise<Handler> {
  const key = `${modulePath}#${exportName}`;
  let h = handlers.get(key);
  if (!h) {
    h = load(modulePath, exportName);
    handlers.set(key, h);
    h.catch(() => handlers.delete(key));
  }
  return h;
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const err = new Error(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  err.name = 'Error';
  return err;
}

function makeContext(fields: LambdaContextFields, callback: Callback): Record<string, unknown> {
  const { timeoutMs, ...data } = fields;
  const deadline = Date.now() + timeoutMs;
  return {
    ...data,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callback,
    succeed: (result: unknown) => callback(null, result),
    fail: (err: unknown) => callback(err ?? new Error('handled')),
  };
}

function invoke(handler: Handler, event: unknown, fields: LambdaContextFields): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const callback: Callback = (err, result) => {
      if (answered) return;
      answered = true;
      if (err !== undefined && err !== null) reject(toError(err));
      else resolve(result);
    };
    let returned: unknown;
    try {
      returned = handler(event, makeContext(fields, callback), callback);
    } catch (err) {
      callback(err ?? new Error('the handler threw'));
      return;
    }
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then((v) => callback(null, v), (e: unknown) => callback(e ?? new Error('the handler rejected')));
    } else if (returned !== undefined) {
      // A synchronous handler that returns its response (not Lambda's contract, but unambiguous).
      callback(null, returned);
    }
    // Otherwise the handler answers through the callback (or times out).
  });
}

serveTasks(async (payload) => {
  const task = payload as LambdaTask;
  const handler = await handlerFor(task.modulePath, task.exportName);
  const result = await invoke(handler, JSON.parse(task.event), task.context);
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (err) {
    throw runtimeError('Runtime.SerializationError', `The handler's response cannot be serialized as JSON: ${(err as Error).message}`);
  }
  return { result: json ?? 'null' };
});
