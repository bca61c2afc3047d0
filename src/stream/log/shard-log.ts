import { rm } from 'node:fs/promises';
import type { AppendEntry, AppendResult, AppendedRange, LogRecord } from '../../core/record.js';
import { BufferPool } from './buffer-pool.js';
import { FdCache } from './fd-cache.js';
import { defaultIo, type LogIo } from './io.js';
import { readRecords, indexFully, type ReadContext } from './reader.js';
import { recover } from './recovery.js';
import { rangeResults, type LogPositions, type ReadOptions, type ShardLogBackend, type TrimResult } from './backend.js';
import type { Segment } from './segment.js';
import { countExpired, positionAtTime } from './time-lookup.js';
import { TailCache } from './tail-cache.js';
import { SegmentWriter, type WriterOptions, type WriterStats } from './writer.js';

export interface ShardLogOptions {
  /** One directory per shard, created if missing. */
  dir: string;
  /** Roll to a new segment before a segment would pass this size; default 128 MiB. */
  segmentBytes?: number;
  /** Default true: fdatasync before acknowledging (tests of speed may turn it off). */
  fsync?: boolean;
  /** Clock for arrival times (epoch ms); default `Date.now`. */
  now?: () => number;
  /** Receives warnings (torn tail repaired, corrupt frames, failed flushes); default console.warn. */
  logger?: { warn(obj: object, msg: string): void };
  /** File-system calls, replaceable to inject faults in tests; default node:fs. */
  io?: Partial<LogIo>;
  /** Read descriptors kept open per shard (LRU; the write descriptor is extra); default 4. */
  maxOpenReadFiles?: number;
  /** Bytes of recent records kept in memory for consumers that keep up (0 = off); default 32 MiB. */
  tailCacheBytes?: number;
}

export type { ReadOptions } from './backend.js';

export const DEFAULT_SEGMENT_BYTES = 128 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const consoleLogger = { warn: (obj: object, msg: string) => console.warn(msg, obj) };

interface Waiter {
  after: number;
  done(): void;
}

/**
 * The durable log of one shard on local disk: a directory of segment files named by their first
 * position. See `writer.ts` for group commit and the failure policy, `recovery.ts` for what `open`
 * repairs, `reader.ts` for reads through the sparse index.
 */
export class ShardLog implements ShardLogBackend {
  private segments: readonly Segment[];
  private readonly waiters = new Set<Waiter>();
  private readonly ctx: ReadContext;
  private retention: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private readonly writer: SegmentWriter;
  private readonly tail: TailCache;

  private constructor(
    private readonly opts: ShardLogOptions,
    private readonly io: LogIo,
    private readonly fds: FdCache,
    pool: BufferPool,
    segments: Segment[],
    writerOpts: Omit<WriterOptions, 'onDurable'>,
  ) {
    this.segments = segments;
    this.tail = new TailCache(opts.tailCacheBytes ?? 32 * 1024 * 1024);
    this.writer = new SegmentWriter({ ...writerOpts, onDurable: (created) => this.onDurable(created) });
    this.ctx = { io, fds, pool, logger: opts.logger ?? consoleLogger, active: () => this.activeSegment };
  }

  static async open(opts: ShardLogOptions): Promise<ShardLog> {
    const io: LogIo = { ...defaultIo, ...opts.io };
    const fsync = opts.fsync ?? true;
    const logger = opts.logger ?? consoleLogger;
    const pool = new BufferPool(READ_CHUNK_BYTES);
    const chunk = pool.take();
    const { segments, fd } = await recover({ dir: opts.dir, io, fsync, chunk, logger });
    pool.give(chunk);
    const fds = new FdCache(io, opts.maxOpenReadFiles ?? 4);
    const active = segments[segments.length - 1];
    let lastArrivedAt = active.index.lastArrivedAt;
    if (Number.isNaN(lastArrivedAt) && segments.length > 1) {
      // Empty active segment (crash right after a roll): the newest arrival is in the one before.
      const prev = segments[segments.length - 2];
      const ctx: ReadContext = { io, fds, pool, logger, active: () => active };
      try {
        await indexFully(ctx, prev);
      } catch (err) {
        await io.close(fd).catch(() => undefined);
        await fds.closeAll();
        throw err;
      }
      lastArrivedAt = prev.index.lastArrivedAt;
    }
    return new ShardLog(opts, io, fds, pool, segments, {
      dir: opts.dir, io, fsync, logger, fd, active, lastArrivedAt,
      segmentBytes: opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      now: opts.now ?? Date.now,
    });
  }

  /** Position the next appended record gets. */
  get nextPosition(): number {
    return this.writer.nextPosition;
  }

  /** All positions below this are durable and readable. */
  get durablePosition(): number {
    return this.writer.durablePosition;
  }

  /** Oldest readable position (moves forward with retention). */
  get trimPosition(): number {
    return this.segments[0].base;
  }

  /** Exact on the embedded log: nothing else appends to it. */
  positions(): Promise<LogPositions> {
    return Promise.resolve({ next: this.nextPosition, durable: this.durablePosition, trim: this.trimPosition });
  }

  get stats(): Readonly<WriterStats> {
    return this.writer.stats;
  }

  get dir(): string {
    return this.opts.dir;
  }

  /** Appends records in call order; resolves once they are durable (shared fdatasync). */
  append(entries: AppendEntry[]): Promise<AppendResult[]> {
    return this.appendBatch(entries).then(rangeResults);
  }

  /** Like `append`, answering with the range the records got (no per-record objects: the hot path). */
  appendBatch(entries: AppendEntry[]): Promise<AppendedRange> {
    return this.writer.append(entries).then((range) => {
      this.tail.add(entries, range);
      return range;
    }, (err: unknown) => {
      this.tail.clear();
      throw err;
    });
  }

  /** Records with position >= fromPosition (or trimPosition, if later), in order; [] at the durable end. */
  read(fromPosition: number, opts: ReadOptions = {}): Promise<LogRecord[]> {
    if (this.closing) return Promise.reject(this.closedError());
    const from = Math.max(fromPosition, this.trimPosition);
    if (from >= this.durablePosition) return Promise.resolve([]);
    const maxRecords = Math.max(1, opts.maxRecords ?? 10_000);
    const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    const cached = this.tail.read(from, this.durablePosition, maxRecords, maxBytes);
    if (cached) return Promise.resolve(cached);
    return readRecords(this.ctx, this.segments, from, maxRecords, maxBytes);
  }

  /** Resolves when durablePosition > afterPosition, when `signal` aborts, or when the log closes. */
  waitForData(afterPosition: number, signal?: AbortSignal): Promise<void> {
    if (this.durablePosition > afterPosition || this.closing || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = {
        after: afterPosition,
        done: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** First position with arrivedAt >= epochMs; the durable end if none. */
  positionAtTime(epochMs: number): Promise<number> {
    if (this.closing) return Promise.reject(this.closedError());
    return positionAtTime(this.ctx, this.segments, epochMs).then((p) => Math.max(p, this.trimPosition));
  }

  /**
   * Deletes whole segments whose newest record arrived before `now - retentionMs`, oldest first,
   * never the active segment; moves trimPosition. Calls are serialized.
   */
  applyRetention(retentionMs: number, now = (this.opts.now ?? Date.now)()): Promise<TrimResult> {
    if (this.closing) return Promise.reject(this.closedError());
    const run = this.retention.then(() => this.retain(now - retentionMs));
    this.retention = run.catch(() => undefined);
    return run;
  }

  /** Bytes of durable segment data on disk. */
  sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Waits for in-flight appends, then closes files; later appends reject. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writer.close();
      await this.retention;
      await this.fds.closeAll();
      for (const w of this.waiters) w.done();
      this.waiters.clear();
    })();
    return this.closing;
  }

  /** Closes the log and removes its directory. */
  async destroy(): Promise<void> {
    await this.close();
    await rm(this.opts.dir, { recursive: true, force: true });
  }

  private closedError(): Error {
    return new Error(`shard log ${this.opts.dir} is closed`);
  }

  private get activeSegment(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private onDurable(created: Segment[]): void {
    if (created.length > 0) this.segments = [...this.segments, ...created];
    const durable = this.durablePosition;
    for (const w of this.waiters) {
      if (durable > w.after) {
        this.waiters.delete(w);
        w.done();
      }
    }
  }

  /**
   * Deletes whole segments that hold only positions below `position` (never the active one):
   * for a log whose only reader has consumed them, e.g. the log behind a Direct PUT stream once
   * delivery has committed past them. Serialized with retention.
   */
  trimBefore(position: number): Promise<TrimResult> {
    if (this.closing) return Promise.reject(this.closedError());
    const run = this.retention.then(() => {
      let n = 0;
      while (n < this.segments.length - 1 && this.segments[n + 1].base <= position) n++;
      return this.dropOldest(n);
    });
    this.retention = run.catch(() => undefined);
    return run;
  }

  private async retain(cutoff: number): Promise<TrimResult> {
    return this.dropOldest(await countExpired(this.ctx, this.segments, cutoff));
  }

  private async dropOldest(expired: number): Promise<TrimResult> {
    if (expired === 0) return { deletedSegments: 0, deletedRecords: 0 };
    const gone = this.segments.slice(0, expired);
    this.segments = this.segments.slice(expired);
    let deletedRecords = 0;
    for (const seg of gone) {
      seg.deleted = true;
      deletedRecords += seg.endPosition - seg.base;
      this.fds.forget(seg.path);
      await this.io.unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    if (this.opts.fsync ?? true) await this.io.fsyncDir(this.opts.dir);
    return { deletedSegments: gone.length, deletedRecords };
  }
}
