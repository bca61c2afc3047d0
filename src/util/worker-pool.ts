/**
 * A pool of worker threads for work that must not run on the event loop: user transform
 * handlers (which may crash, loop or leak), jq queries, compression, Parquet encoding.
 *
 * - A worker runs one task at a time. A task that exceeds its timeout, or whose worker crashes,
 *   exits or runs out of memory (`resourceLimits`), fails with a typed error; the worker is
 *   terminated and a fresh one is started for the next task, so nothing a task does outlives it.
 * - Fairness: every task has a `key` (e.g. the delivery stream). Waiting tasks are started
 *   round-robin across keys, and one key never holds more than `maxPerKey` workers at once, so a
 *   stream whose handler hangs until its timeout cannot starve the other streams.
 * - Affinity: a worker that ran a task of one `affinity` (e.g. one function's module and
 *   version) only ever runs tasks of that affinity — modules and their global state are never
 *   shared between functions, as with Lambda execution environments. An idle worker of another
 *   affinity is retired to make room when the pool is full.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import type { ReplyMessage, SerializedError, TaskMessage } from './worker-task.js';

export interface WorkerPoolOptions {
  /** Used in error messages and thread names. */
  name: string;
  /** The worker entry script (see `workerScript`). */
  script: URL;
  /** Most workers alive at once. */
  maxWorkers: number;
  /** Most workers one key may hold at once (default: `maxWorkers`). */
  maxPerKey?: number;
  /** Limits for workers started without per-task limits. */
  resourceLimits?: ResourceLimits;
  /** `workerData` of every worker. */
  workerData?: unknown;
  /**
   * Receives every line a worker writes to stdout/stderr (e.g. a handler's console.log), with
   * the affinity of its worker. Without it, workers write to the process's own streams.
   */
  onOutput?: (line: string, stream: 'stdout' | 'stderr', affinity: string | undefined) => void;
}

export interface RunOptions {
  /** Fairness key (default: one shared key). */
  key?: string;
  /** See the module comment (default: none, any worker without an affinity). */
  affinity?: string;
  /** Fail the task and terminate its worker after this long (default: no limit). */
  timeoutMs?: number;
  /** Aborting fails the task (and terminates its worker if it already runs). */
  signal?: AbortSignal;
  /** ArrayBuffers moved to the worker with the payload (they become unusable here). */
  transfer?: ArrayBuffer[];
  /** Limits for a worker started for this task (default: the pool's). */
  resourceLimits?: ResourceLimits;
  /** `process.env` of a worker started for this task (default: a copy of the process's). */
  env?: Record<string, string | undefined>;
}

/** The task ran longer than its timeout; its worker was terminated. */
export class WorkerTimeoutError extends Error {
  constructor(readonly timeoutMs: number, pool: string) {
    super(`${pool}: the task did not finish within ${timeoutMs} ms; its worker was terminated`);
    this.name = 'WorkerTimeoutError';
  }
}

/** The worker died under the task: it threw outside the task, called process.exit, or ran out of memory. */
export class WorkerExitedError extends Error {
  constructor(message: string, readonly exitCode: number | undefined, readonly outOfMemory: boolean) {
    super(message);
    this.name = 'WorkerExitedError';
  }
}

/** The task's own code threw or rejected; `remote` is the error as the worker saw it. */
export class WorkerTaskError extends Error {
  constructor(readonly remote: SerializedError) {
    super(remote.message);
    this.name = 'WorkerTaskError';
  }
}

/** The pool was closed before the task ran, or the task was aborted. */
export class WorkerTaskCancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerTaskCancelledError';
  }
}

interface Task {
  id: number;
  key: string;
  affinity?: string;
  payload: unknown;
  opts: RunOptions;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
  slot?: Slot;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  affinity?: string;
  task?: Task;
  /** Set when the worker reported an error; used when it exits. */
  crash?: Error & { code?: string };
  gone: boolean;
}

const DEFAULT_KEY = '';

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queues = new Map<string, Task[]>();
  /** Keys with waiting tasks, in round-robin order. */
  private rotation: string[] = [];
  private readonly running = new Map<string, number>();
  private nextId = 1;
  private closed = false;
  private readonly maxPerKey: number;

  constructor(private readonly opts: WorkerPoolOptions) {
    if (!(opts.maxWorkers >= 1)) throw new Error(`${opts.name}: maxWorkers must be at least 1`);
    this.maxPerKey = Math.max(1, Math.min(opts.maxPerKey ?? opts.maxWorkers, opts.maxWorkers));
  }

  /** Workers alive now (for tests and metrics). */
  get size(): number {
    return this.slots.size;
  }

  /** Run one task; resolves with the worker's result. */
  run<T>(payload: unknown, opts: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new WorkerTaskCancelledError(`${this.opts.name} is closed`));
    if (opts.signal?.aborted) return Promise.reject(new WorkerTaskCancelledError(`${this.opts.name}: the task was aborted`));
    return new Promise<T>((resolve, reject) => {
      const key = opts.key ?? DEFAULT_KEY;
      const task: Task = { id: this.nextId++, key, affinity: opts.affinity, payload, opts, resolve: resolve as (v: unknown) => void, reject };
      if (opts.signal) {
        task.onAbort = () => this.cancel(task, new WorkerTaskCancelledError(`${this.opts.name}: the task was aborted`));
        opts.signal.addEventListener('abort', task.onAbort, { once: true });
      }
      let queue = this.queues.get(key);
      if (!queue) {
        this.queues.set(key, (queue = []));
        this.rotation.push(key);
      }
      queue.push(task);
      this.pump();
    });
  }

  /** Fail waiting tasks, terminate every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) {
      for (const task of queue) this.settle(task, new WorkerTaskCancelledError(`${this.opts.name} was closed`));
    }
    this.queues.clear();
    this.rotation = [];
    const exits: Promise<number>[] = [];
    for (const slot of [...this.slots]) {
      const task = slot.task;
      if (task) {
        this.release(slot);
        this.settle(task, new WorkerTaskCancelledError(`${this.opts.name} was closed`));
      }
      exits.push(this.retire(slot));
    }
    await Promise.all(exits);
  }

  private pump(): void {
    if (this.closed) return;
    for (let progress = true; progress && this.rotation.length > 0;) {
      progress = false;
      for (let i = 0; i < this.rotation.length; i++) {
        const key = this.rotation[i];
        if ((this.running.get(key) ?? 0) >= this.maxPerKey) continue;
        const queue = this.queues.get(key)!;
        const slot = this.slotFor(queue[0]);
        if (!slot) continue;
        const task = queue.shift()!;
        // The key goes to the back of the rotation (or leaves it when it has nothing left).
        this.rotation.splice(i, 1);
        if (queue.length > 0) this.rotation.push(key);
        else this.queues.delete(key);
        this.start(slot, task);
        progress = true;
        break;
      }
    }
  }

  /** An idle worker that may run `task`, or a new one if there is room (retiring an idle stranger if need be). */
  private slotFor(task: Task): Slot | undefined {
    let stranger: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.task || slot.gone) continue;
      if (slot.affinity === task.affinity) return slot;
      stranger ??= slot;
    }
    if (this.slots.size >= this.opts.maxWorkers) {
      if (!stranger) return undefined;
      void this.retire(stranger);
    }
    return this.spawn(task);
  }

  private spawn(task: Task): Slot {
    const capture = this.opts.onOutput !== undefined;
    const worker = new Worker(this.opts.script, {
      workerData: this.opts.workerData,
      resourceLimits: task.opts.resourceLimits ?? this.opts.resourceLimits,
      env: task.opts.env ?? process.env,
      stdout: capture,
      stderr: capture,
      name: `${this.opts.name}${task.affinity ? ` ${task.affinity}` : ''}`,
    });
    const slot: Slot = { worker, affinity: task.affinity, gone: false };
    this.slots.add(slot);
    if (capture) {
      for (const stream of ['stdout', 'stderr'] as const) {
        createInterface({ input: worker[stream], crlfDelay: Infinity }).on('line', (line) => this.opts.onOutput!(line, stream, slot.affinity));
      }
    }
    worker.on('message', (msg: ReplyMessage) => this.onReply(slot, msg));
    worker.on('error', (err: Error & { code?: string }) => {
      slot.crash = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private start(slot: Slot, task: Task): void {
    slot.task = task;
    task.slot = slot;
    this.running.set(task.key, (this.running.get(task.key) ?? 0) + 1);
    slot.worker.ref();
    if (task.opts.timeoutMs !== undefined) {
      task.timer = setTimeout(() => this.kill(slot, new WorkerTimeoutError(task.opts.timeoutMs!, this.opts.name)), task.opts.timeoutMs);
    }
    const msg: TaskMessage = { id: task.id, payload: task.payload };
    try {
      slot.worker.postMessage(msg, task.opts.transfer ?? []);
    } catch (err) {
      this.kill(slot, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onReply(slot: Slot, msg: ReplyMessage): void {
    const task = slot.task;
    if (!task || task.id !== msg.id) return;
    this.release(slot);
    if (msg.ok) this.settle(task, undefined, msg.result);
    else this.settle(task, new WorkerTaskError(msg.error));
    this.pump();
  }

  private onExit(slot: Slot, code: number): void {
    const task = slot.task;
    this.slots.delete(slot);
    slot.gone = true;
    if (task) {
      this.release(slot);
      const crash = slot.crash;
      const oom = crash?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const message = oom
        ? `${this.opts.name}: the worker ran out of memory (resource limits) and was stopped`
        : crash
          ? `${this.opts.name}: the worker crashed: ${crash.message}`
          : `${this.opts.name}: the worker exited with code ${code} before answering`;
      this.settle(task, new WorkerExitedError(message, code, oom));
    }
    this.pump();
  }

  /** Terminate the worker running a task and fail the task with `err`. */
  private kill(slot: Slot, err: Error): void {
    const task = slot.task;
    if (task) {
      this.release(slot);
      this.settle(task, err);
    }
    void this.retire(slot);
    this.pump();
  }

  private cancel(task: Task, err: Error): void {
    if (task.slot) {
      this.kill(task.slot, err);
      return;
    }
    const queue = this.queues.get(task.key);
    const at = queue?.indexOf(task) ?? -1;
    if (queue && at >= 0) {
      queue.splice(at, 1);
      if (queue.length === 0) {
        this.queues.delete(task.key);
        this.rotation = this.rotation.filter((k) => k !== task.key);
      }
    }
    this.settle(task, err);
  }

  private release(slot: Slot): void {
    const task = slot.task;
    if (!task) return;
    slot.task = undefined;
    task.slot = undefined;
    if (task.timer) clearTimeout(task.timer);
    const n = (this.running.get(task.key) ?? 1) - 1;
    if (n > 0) this.running.set(task.key, n);
    else this.running.delete(task.key);
    if (!slot.gone) slot.worker.unref();
  }

  private retire(slot: Slot): Promise<number> {
    this.slots.delete(slot);
    slot.gone = true;
    return slot.worker.terminate();
  }

  private settle(task: Task, err: Error | undefined, result?: unknown): void {
    if (task.onAbort) task.opts.signal?.removeEventListener('abort', task.onAbort);
    task.onAbort = undefined;
    if (err) task.reject(err);
    else task.resolve(result);
  }
}
