/**
 * jq evaluation for the MetadataExtraction processor, off the event loop: queries run in worker
 * threads (a pool of their own, so a slow transform Lambda never delays them) in chunks of at
 * most `chunkRecords` records / `chunkBytes` of JSON, each under a timeout — a query that loops
 * forever fails its chunk instead of stalling delivery. Records are checked with JSON.parse
 * before they reach jq, so a non-JSON record fails alone (Firehose's `Non JSON record provided`).
 */
import { WorkerPool, WorkerTimeoutError } from '../../../util/worker-pool.js';
import { workerScript } from '../../../util/worker-script.js';
import { TransformAbortedError } from '../errors.js';
import type { JqCompileFailure, JqResult, JqTask } from './jq-task.js';

export type { JqResult } from './jq-task.js';

export interface JqEngineOptions {
  /** Worker threads (default 2); one delivery stream uses at most one at a time when there are two or more. */
  maxWorkers?: number;
  /** Time limit per chunk (default 30 s). */
  timeoutMs?: number;
  /** Records per jq run (default 10,000). */
  chunkRecords?: number;
  /** JSON bytes per jq run (default 8 MiB). */
  chunkBytes?: number;
}

/** The query does not compile; `message` is jq's. */
export class JqCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqCompileError';
  }
}

export class JqEngine {
  private readonly pool: WorkerPool;
  private readonly timeoutMs: number;
  private readonly chunkRecords: number;
  private readonly chunkBytes: number;

  constructor(opts: JqEngineOptions = {}) {
    const maxWorkers = opts.maxWorkers ?? 2;
    this.pool = new WorkerPool({
      name: 'jq',
      script: workerScript(import.meta.url, './jq-worker.js'),
      maxWorkers,
      maxPerKey: Math.max(1, maxWorkers - 1),
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.chunkRecords = opts.chunkRecords ?? 10_000;
    this.chunkBytes = opts.chunkBytes ?? 8 * 1024 * 1024;
  }

  /**
   * The query's outputs for each JSON text, in order. Throws JqCompileError when the query does
   * not compile, TransformAbortedError when `signal` aborts. A chunk that times out or kills its
   * worker yields an error result for each of its inputs.
   */
  async evaluate(query: string, inputs: readonly string[], opts: { key?: string; signal?: AbortSignal } = {}): Promise<JqResult[]> {
    const chunks: string[][] = [];
    let current: string[] = [];
    let bytes = 0;
    for (const input of inputs) {
      if (current.length > 0 && (current.length >= this.chunkRecords || bytes + input.length > this.chunkBytes)) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(input);
      bytes += input.length;
    }
    if (current.length > 0) chunks.push(current);
    const results = await Promise.all(chunks.map((chunk) => this.runChunk(query, chunk, opts)));
    return results.flat();
  }

  /** jq's compile error for `query`, or null when it compiles. */
  async check(query: string): Promise<string | null> {
    try {
      await this.runChunk(query, ['null'], {});
      return null;
    } catch (err) {
      if (err instanceof JqCompileError) return err.message;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async runChunk(query: string, inputs: string[], opts: { key?: string; signal?: AbortSignal }): Promise<JqResult[]> {
    const task: JqTask = { query, inputs };
    let out: JqResult[] | JqCompileFailure;
    try {
      out = await this.pool.run<JqResult[] | JqCompileFailure>(task, { key: opts.key, timeoutMs: this.timeoutMs, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new TransformAbortedError();
      const error = err instanceof WorkerTimeoutError
        ? `the jq query did not finish within ${this.timeoutMs / 1000} s for a chunk of ${inputs.length} records`
        : `jq failed: ${(err as Error).message}`;
      return inputs.map(() => ({ ok: false, error }));
    }
    if (!Array.isArray(out)) throw new JqCompileError(out.compileError);
    return out;
  }
}
