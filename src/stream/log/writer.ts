import type { AppendEntry, AppendedRange } from '../../core/record.js';
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
  resolve(range: AppendedRange): void;
  reject(err: Error): void;
}

/** One group of appends written together; durable once the fdatasync after it returns. */
interface Group {
  batches: Batch[];
  chunks: Chunk[];
  /** Segments the group's write created (rolls), with their write descriptors. */
  opened: Array<{ seg: Segment; fd: number }>;
  /** The descriptor of the segment the group ended in. */
  fd: number;
}

/** A sync in flight over some written groups; `result` is set when it settles. */
interface Syncing {
  groups: Group[];
  done: Promise<void>;
  result: 'sync' | Error | null;
}

/** Where the next group is written: ahead of the durable state while a group is being synced. */
interface Cursor {
  seg: Segment;
  offset: number;
  lastEntry: number;
  fd: number;
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
  private cursor: Cursor;

  constructor(private readonly o: WriterOptions) {
    this.active = o.active;
    this.fd = o.fd;
    this.nextPosition = o.active.endPosition;
    this.durablePosition = o.active.endPosition;
    this.lastArrivedAt = o.lastArrivedAt;
    this.cursor = this.durableCursor();
  }

  private durableCursor(): Cursor {
    return { seg: this.active, offset: this.active.size, lastEntry: this.active.index.lastEntryOffset, fd: this.fd };
  }

  append(entries: readonly AppendEntry[]): Promise<AppendedRange> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`shard log ${this.o.dir} is closed`));
    if (entries.length === 0) return Promise.resolve({ first: this.nextPosition, count: 0, arrivedAt: this.o.now() });
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
    return new Promise<AppendedRange>((resolve, reject) => {
      this.queue.push({ buf, first, count: entries.length, arrivedAt, resolve, reject });
      if (this.appendWaiter) {
        const wake = this.appendWaiter;
        this.appendWaiter = null;
        wake();
      }
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

  /**
   * Two-stage pipeline: while one fdatasync runs, appends that arrive are already written, so
   * disk syncs and page-cache writes overlap instead of taking turns. One write and one sync are in
   * flight at most; the next sync covers every group written meanwhile; groups become durable, and
   * their appends resolve, strictly in order.
   */
  private async drain(): Promise<void> {
    // `result` is set the moment the sync settles ('sync' or the error), so a finished sync is
    // committed right away even while appends keep arriving; `done` never rejects.
    let syncing: Syncing | null = null;
    let waiting: Group[] = [];
    let writeErr: { group: Group; err: Error } | null = null;
    while (this.queue.length > 0 || syncing || waiting.length > 0) {
      if (this.queue.length > 0 && !writeErr) {
        const batches = this.queue;
        this.queue = [];
        if (this.failure) {
          for (const b of batches) { giveBuffer(b.buf); b.reject(this.failure); }
          continue;
        }
        // Segments the write creates; if it fails they are removed with the rest of the group.
        const opened: Group['opened'] = [];
        try {
          waiting.push(await this.write(batches, opened));
        } catch (err) {
          writeErr = { group: { batches, chunks: [], opened, fd: this.cursor.fd }, err: asError(err) };
        }
      }
      if (syncing) {
        if (syncing.result === null) {
          // Still syncing: write whatever arrives meanwhile (unless a write already failed).
          const woke = writeErr ? await syncing.done.then(() => 'sync') : await Promise.race([syncing.done.then(() => 'sync'), this.nextAppend()]);
          if (woke === 'append' && syncing.result === null) continue;
        }
        const woke = syncing.result!;
        const groups = syncing.groups;
        syncing = null;
        if (woke !== 'sync') {
          // The sync failed: nothing after the last durable group survives.
          const failed = [...groups, ...waiting, ...(writeErr ? [writeErr.group] : [])];
          waiting = [];
          writeErr = null;
          await this.fail(failed, asError(woke));
          continue;
        }
        for (const g of groups) this.commit(g);
      }
      if (writeErr) {
        // Nothing is in flight now: roll back everything written after the durable state.
        const failed = [...waiting, writeErr.group];
        waiting = [];
        const err = writeErr.err;
        writeErr = null;
        await this.fail(failed, err);
        continue;
      }
      if (waiting.length > 0) {
        const groups = waiting;
        waiting = [];
        const fd = groups[groups.length - 1].fd;
        const sync: Syncing = { groups, done: Promise.resolve(), result: null };
        sync.done = (this.o.fsync ? this.o.io.fdatasync(fd) : Promise.resolve()).then(
          () => { sync.result = 'sync'; },
          (err: unknown) => { sync.result = asError(err); },
        );
        syncing = sync;
      }
    }
  }

  private appendWaiter: (() => void) | null = null;

  /** Resolves with 'append' the next time an append is queued. */
  private nextAppend(): Promise<'append'> {
    if (this.queue.length > 0) return Promise.resolve('append');
    return new Promise((resolve) => (this.appendWaiter = () => resolve('append')));
  }

  /** Writes a group at the cursor (rolling segments as needed) and advances the cursor. */
  private async write(batches: Batch[], opened: Group['opened']): Promise<Group> {
    const { io, fsync } = this.o;
    const { chunks, lastEntry } = this.plan(batches);
    let fd = this.cursor.fd;
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
    const last = chunks[chunks.length - 1];
    this.cursor = { seg: last.seg, offset: last.fileOffset + last.bytes, lastEntry, fd };
    return { batches, chunks, opened, fd };
  }

  /** Splits the queued frames into per-segment writes, rolling when a segment would pass segmentBytes. */
  private plan(batches: Batch[]): { chunks: Chunk[]; lastEntry: number } {
    const limit = this.o.segmentBytes;
    let seg = this.cursor.seg;
    let chunk: Chunk = newChunk(seg, false, this.cursor.offset, batches[0].first);
    const chunks = [chunk];
    let segOffset = this.cursor.offset;
    let lastEntry = this.cursor.lastEntry;
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
    return { chunks, lastEntry };
  }

  private commit({ batches, chunks, opened }: Group): void {
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
      this.stats.appends++;
      this.stats.records += b.count;
      this.stats.bytes += b.buf.length;
      giveBuffer(b.buf);
      b.resolve({ first: b.first, count: b.count, arrivedAt: b.arrivedAt });
    }
    this.o.onDurable(opened.map((o) => o.seg));
  }

  /**
   * Rejects every group that is not durable (and everything queued), then rolls the files back
   * to the durable state: segments the groups created are removed, the active segment is cut back
   * to its durable size. No write or sync is in flight when this runs.
   */
  private async fail(groups: Group[], err: Error): Promise<void> {
    const { io, fsync, dir, logger } = this.o;
    this.stats.failedFlushes++;
    const queued = this.queue;
    this.queue = [];
    this.nextPosition = this.durablePosition;
    const rejected = groups.reduce((n, g) => n + g.batches.length, 0) + queued.length;
    logger.warn({ dir, err: err.message, rejectedAppends: rejected }, 'shard log flush failed; appends rejected');
    try {
      const opened = groups.flatMap((g) => g.opened);
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
    this.cursor = this.durableCursor();
    for (const g of groups) for (const b of g.batches) { giveBuffer(b.buf); b.reject(err); }
    for (const b of queued) { giveBuffer(b.buf); b.reject(err); }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function newChunk(seg: Segment, fresh: boolean, fileOffset: number, endPosition: number): Chunk {
  return { seg, fresh, fileOffset, bufs: [], bytes: 0, entries: [], endPosition, lastArrivedAt: NaN };
}

function addBuf(chunk: Chunk, buf: Buffer): void {
  chunk.bufs.push(buf);
  chunk.bytes += buf.length;
}
