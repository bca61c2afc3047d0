import type { AppendEntry, AppendResult } from '../../core/record.js';
import { giveBuffer } from './encode-pool.js';
import { encodeBatch, frameLength } from './frame.js';
import { writeAll, type LogIo } from './io.js';
import { Segment } from './segment.js';

/** Counters exposed as `ShardLog.stats`. */
export interface WriterStats {
  /** Flushes done: each is one write (writev) per touched segment and one fdatasync. */
  flushes: number;
  /** `append` calls acknowledged. */
  appends: number;
  records: number;
  bytes: number;
  /** Segments created by roll-over. */
  rolls: number;
  /** Flushes that failed (their appends were rejected). */
  failedFlushes: number;
}

interface Batch {
  buf: Buffer;
  first: number;
  count: number;
  arrivedAt: number;
  resolve(results: AppendResult[]): void;
  reject(err: Error): void;
}

/** The part of one flush that goes into one segment. */
interface Chunk {
  seg: Segment;
  fresh: boolean;
  fileOffset: number;
  bufs: Buffer[];
  bytes: number;
  /** Sparse index entries as (position, offset, arrivedAt) triples. */
  entries: number[];
  endPosition: number;
  lastArrivedAt: number;
}

export interface WriterOptions {
  dir: string;
  io: LogIo;
  segmentBytes: number;
  fsync: boolean;
  now: () => number;
  logger: { warn(obj: object, msg: string): void };
  /** The active (last) segment, fully indexed, and an open read-write descriptor on it. */
  active: Segment;
  fd: number;
  /** Newest arrival time already in the log (NaN if none): arrival times never go backwards. */
  lastArrivedAt: number;
  /** Called after each successful flush with the segments it created (in order). */
  onDurable(created: Segment[]): void;
}

/**
 * Group commit: `append` assigns positions and arrival times synchronously and queues one encoded
 * buffer per call; a single flush loop writes everything queued with one `writev` per segment and
 * one `fdatasync`, then resolves all of it. Appends that arrive during a flush share the next one.
 *
 * Failure policy: if a write or fsync fails, every append of that flush *and every append queued
 * behind it* is rejected with the error, `nextPosition` goes back to `durablePosition`, segments
 * created by the flush are deleted and the active segment is truncated back to its last durable
 * size. If that clean-up also fails the writer is marked failed: later appends reject and the log
 * must be reopened (recovery then repairs the tail). Reads keep working either way.
 */
export class SegmentWriter {
  readonly stats: WriterStats = { flushes: 0, appends: 0, records: 0, bytes: 0, rolls: 0, failedFlushes: 0 };
  nextPosition: number;
  durablePosition: number;
  private active: Segment;
  private fd: number;
  private lastArrivedAt: number;
  private queue: Batch[] = [];
  private loop: Promise<void> | null = null;
  private closed = false;
  private failure: Error | null = null;

  constructor(private readonly o: WriterOptions) {
    this.active = o.active;
    this.fd = o.fd;
    this.nextPosition = o.active.endPosition;
    this.durablePosition = o.active.endPosition;
    this.lastArrivedAt = o.lastArrivedAt;
  }

  append(entries: readonly AppendEntry[]): Promise<AppendResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`shard log ${this.o.dir} is closed`));
    if (entries.length === 0) return Promise.resolve([]);
    const now = this.o.now();
    const arrivedAt = now > this.lastArrivedAt || Number.isNaN(this.lastArrivedAt) ? now : this.lastArrivedAt;
    let buf: Buffer;
    try {
      buf = encodeBatch(entries, this.nextPosition, arrivedAt);
    } catch (err) {
      return Promise.reject(err);
    }
    this.lastArrivedAt = arrivedAt;
    const first = this.nextPosition;
    this.nextPosition += entries.length;
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({ buf, first, count: entries.length, arrivedAt, resolve, reject });
      this.schedule();
    });
  }

  /** Stops accepting appends and waits until everything queued is flushed; closes the descriptor. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.loop) await this.loop;
    await this.o.io.close(this.fd).catch(() => undefined);
  }

  private schedule(): void {
    if (this.loop) return;
    // setImmediate (not a microtask) so appends from every I/O callback of this turn share the flush.
    this.loop = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.loop = null;
        if (this.queue.length > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batches = this.queue;
      this.queue = [];
      if (this.failure) {
        for (const b of batches) { giveBuffer(b.buf); b.reject(this.failure); }
        continue;
      }
      await this.flush(batches);
    }
  }

  private async flush(batches: Batch[]): Promise<void> {
    const { io, fsync } = this.o;
    const chunks = this.plan(batches);
    const opened: Array<{ seg: Segment; fd: number }> = [];
    let fd = this.fd;
    try {
      for (const ch of chunks) {
        if (ch.fresh) {
          // Seal the previous segment before the new one exists: recovery only repairs the last one.
          if (fsync) await io.fdatasync(fd);
          fd = await io.open(ch.seg.path, 'wx');
          opened.push({ seg: ch.seg, fd });
          if (fsync) await io.fsyncDir(this.o.dir);
        }
        if (ch.bytes > 0) await writeAll(io, fd, ch.bufs, ch.fileOffset, ch.bytes);
      }
      if (fsync) await io.fdatasync(fd);
    } catch (err) {
      await this.fail(batches, opened, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.commit(batches, chunks, opened);
  }

  /** Splits the queued frames into per-segment writes, rolling when a segment would pass segmentBytes. */
  private plan(batches: Batch[]): Chunk[] {
    const limit = this.o.segmentBytes;
    let seg = this.active;
    let chunk: Chunk = newChunk(seg, false, seg.size, seg.endPosition);
    const chunks = [chunk];
    let segOffset = seg.size;
    let lastEntry = seg.index.lastEntryOffset;
    for (const b of batches) {
      const buf = b.buf;
      let start = 0;
      let off = 0;
      let pos = b.first;
      while (off < buf.length) {
        const len = frameLength(buf, off);
        if (segOffset > 0 && segOffset + len > limit) {
          if (off > start) addBuf(chunk, buf.subarray(start, off));
          start = off;
          seg = new Segment(this.o.dir, pos, 0, pos);
          chunk = newChunk(seg, true, 0, pos);
          chunks.push(chunk);
          segOffset = 0;
          lastEntry = -1;
        }
        if (seg.index.wantsEntry(segOffset, lastEntry)) {
          chunk.entries.push(pos, segOffset, b.arrivedAt);
          lastEntry = segOffset;
        }
        segOffset += len;
        off += len;
        pos++;
        chunk.endPosition = pos;
        chunk.lastArrivedAt = b.arrivedAt;
      }
      if (off > start) addBuf(chunk, start === 0 ? buf : buf.subarray(start, off));
    }
    return chunks;
  }

  private commit(batches: Batch[], chunks: Chunk[], opened: Array<{ seg: Segment; fd: number }>): void {
    for (const ch of chunks) {
      if (ch.bytes === 0) continue;
      ch.seg.index.extend(ch.entries, ch.endPosition, ch.fileOffset + ch.bytes, ch.lastArrivedAt);
      ch.seg.size = ch.fileOffset + ch.bytes;
      ch.seg.endPosition = ch.endPosition;
      if (Number.isNaN(ch.seg.firstArrivedAt)) ch.seg.firstArrivedAt = ch.seg.index.firstArrivedAt;
    }
    if (opened.length > 0) {
      // Every segment but the newest is now sealed: close its write descriptor.
      const fds = [this.fd, ...opened.slice(0, -1).map((o) => o.fd)];
      for (const fd of fds) this.o.io.close(fd).catch(() => undefined);
      const last = opened[opened.length - 1];
      this.active = last.seg;
      this.fd = last.fd;
      this.stats.rolls += opened.length;
    }
    const last = batches[batches.length - 1];
    this.durablePosition = last.first + last.count;
    this.stats.flushes++;
    for (const b of batches) {
      const results = new Array<AppendResult>(b.count);
      for (let i = 0; i < b.count; i++) results[i] = { position: b.first + i, arrivedAt: b.arrivedAt };
      this.stats.appends++;
      this.stats.records += b.count;
      this.stats.bytes += b.buf.length;
      giveBuffer(b.buf);
      b.resolve(results);
    }
    this.o.onDurable(opened.map((o) => o.seg));
  }

  private async fail(batches: Batch[], opened: Array<{ seg: Segment; fd: number }>, err: Error): Promise<void> {
    const { io, fsync, dir, logger } = this.o;
    this.stats.failedFlushes++;
    // Everything queued behind the failed flush has positions after it: reject it too.
    const queued = this.queue;
    this.queue = [];
    this.nextPosition = this.durablePosition;
    logger.warn({ dir, err: err.message, rejectedAppends: batches.length + queued.length }, 'shard log flush failed; appends rejected');
    // Roll back before rejecting, so a caller that retries finds the log consistent on disk.
    try {
      for (const o of opened) {
        await io.close(o.fd);
        await io.unlink(o.seg.path);
      }
      if (opened.length > 0 && fsync) await io.fsyncDir(dir);
      await io.ftruncate(this.fd, this.active.size);
      if (fsync) await io.fdatasync(this.fd);
    } catch (cleanupErr) {
      const msg = cleanupErr instanceof Error ? cleanupErr.message : String(cleanupErr);
      this.failure = new Error(`shard log ${dir} failed (${err.message}; clean-up: ${msg}); reopen it`, { cause: err });
      logger.warn({ dir, err: msg }, 'shard log clean-up after a failed flush failed; the log refuses appends until reopened');
    }
    for (const b of batches) { giveBuffer(b.buf); b.reject(err); }
    for (const b of queued) { giveBuffer(b.buf); b.reject(err); }
  }
}

function newChunk(seg: Segment, fresh: boolean, fileOffset: number, endPosition: number): Chunk {
  return { seg, fresh, fileOffset, bufs: [], bytes: 0, entries: [], endPosition, lastArrivedAt: NaN };
}

function addBuf(chunk: Chunk, buf: Buffer): void {
  chunk.bufs.push(buf);
  chunk.bytes += buf.length;
}
