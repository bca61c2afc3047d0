/**
 * The message protocol between a `WorkerPool` and its worker threads, and the worker side of it.
 * The pool posts `{ id, payload }`; the worker answers `{ id, ok: true, result }` or
 * `{ id, ok: false, error }` — exactly one answer per task.
 */
import { parentPort } from 'node:worker_threads';

/** A task sent to a worker. */
export interface TaskMessage {
  id: number;
  payload: unknown;
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** A worker's answer to one task. */
export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError };

/** What a task handler returns: the result and any ArrayBuffers to move (not copy) back. */
export interface TaskOutput {
  result: unknown;
  transfer?: ArrayBuffer[];
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: typeof err === 'string' ? err : safeString(err) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Run in a worker's entry module: answer every task the pool sends with `handle`. Tasks arrive
 * one at a time (the pool never sends a second before the first is answered).
 */
export function serveTasks(handle: (payload: unknown) => Promise<TaskOutput> | TaskOutput): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks must run in a worker thread');
  port.on('message', (msg: TaskMessage) => {
    void (async () => {
      let reply: ReplyMessage;
      let transfer: ArrayBuffer[] = [];
      try {
        const out = await handle(msg.payload);
        reply = { id: msg.id, ok: true, result: out.result };
        transfer = out.transfer ?? [];
      } catch (err) {
        reply = { id: msg.id, ok: false, error: serializeError(err) };
      }
      port.postMessage(reply, transfer);
    })();
  });
}
