import type { Clock } from '../util/clock.js';
import { writeUntilDone, BackupStoppedError, type WriteRetryOptions } from './write-retry.js';

/** The contents of one backup object, as cut from the buffer. */
export interface BufferedChunk {
  /** Ids of the batches whose lines are in it (the object's identity derives from them). */
  ids: string[];
  lines: Buffer[];
  /** Line bytes before compression. */
  bytes: number;
  /** Lines (records) in it. */
  count: number;
  /** Arrival time of the oldest record in it (drives its prefix and name). */
  oldestArrival: number;
}

export interface BufferLimits {
  maxBytes: number;
  /** 0: write as soon as the current additions are done. */
  intervalMs: number;
}

export interface BufferedObjectWriterOptions extends Omit<WriteRetryOptions, 'signal'> {
  /** What the buffer is, for logs (e.g. `failed records (http-endpoint-failed)`). */
  what: string;
  /** The backup's BufferingHints, read whenever a buffer opens. */
  limits: () => BufferLimits;
  /** Write one object: one attempt, throwing on failure (it is retried). */
  write(chunk: BufferedChunk): Promise<void>;
}

/** Accepted into the buffer: `durable` resolves once the object holding the lines is written. */
export interface Accepted {
  durable: Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * A backup buffer with its own buffering: lines from many batches share one object, cut at
 * `SizeInMBs` or `IntervalInSeconds` after the first line (the backup's BufferingHints), and
 * written one object at a time, each retried until it succeeds. A batch's checkpoint waits for
 * `durable`. While a write is failing the buffer accepts nothing more, so delivery of the
 * stream pauses (as AWS pauses it) instead of buffering without bound.
 */
export class BufferedObjectWriter {
  private chunk: BufferedChunk = emptyChunk();
  private waiters: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private stalled = false;
  private timerGeneration = 0;
  /** When the current buffer got its first line. */
  private openedAt = 0;
  private readonly stop = new AbortController();
  private readonly clock: Clock;
  /** Wakes `add` calls waiting for room or for the stall to end. */
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly opts: BufferedObjectWriterOptions) {
    this.clock = opts.clock;
  }

  /** Lines buffered, not yet being written. */
  get bufferedBytes(): number {
    return this.chunk.bytes;
  }

  /**
   * Add one batch's lines. Waits (backpressure) while the buffer is full or a write is failing;
   * throws BackupStoppedError when the writer is closed first.
   */
  async add(id: string, lines: Buffer[], bytes: number, oldestArrival: number): Promise<Accepted> {
    while (this.stalled || (this.writing && this.chunk.bytes >= this.opts.limits().maxBytes)) {
      if (this.stop.signal.aborted) throw new BackupStoppedError();
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
    if (this.stop.signal.aborted) throw new BackupStoppedError();
    const c = this.chunk;
    const opening = c.count === 0;
    if (opening) this.openedAt = this.clock.now();
    if (!c.ids.includes(id)) c.ids.push(id);
    for (const l of lines) c.lines.push(l);
    c.bytes += bytes;
    c.count += lines.length;
    if (oldestArrival < c.oldestArrival) c.oldestArrival = oldestArrival;
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    durable.catch(() => undefined); // the caller observes it; no unhandled rejection meanwhile
    const limits = this.opts.limits();
    if (c.bytes >= limits.maxBytes) void this.cut();
    else if (opening) this.arm(limits.intervalMs);
    return { durable };
  }

  /** Write what is buffered now and wait until every accepted line is durable. */
  async flush(): Promise<void> {
    while (this.chunk.count > 0 || this.writing) {
      if (this.stop.signal.aborted) throw new BackupStoppedError();
      if (this.chunk.count > 0 && !this.writing) void this.cut();
      await this.writing;
    }
  }

  /** Stop: buffered lines are not written (their batches stay pending and are delivered again). */
  close(): void {
    this.stop.abort();
    this.timerGeneration++;
    for (const w of this.waiters) w.reject(new BackupStoppedError());
    this.waiters = [];
    this.chunk = emptyChunk();
    this.wake();
  }

  private arm(intervalMs: number): void {
    const generation = ++this.timerGeneration;
    void this.clock.sleep(intervalMs, this.stop.signal).then((elapsed) => {
      if (elapsed && generation === this.timerGeneration) void this.cut();
    });
  }

  private wake(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const r of w) r();
  }

  /** Start writing the buffered lines (one write at a time; a later cut waits its turn). */
  private cut(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.chunk.count === 0) return Promise.resolve();
    this.timerGeneration++;
    const chunk = this.chunk;
    const waiters = this.waiters;
    this.chunk = emptyChunk();
    this.waiters = [];
    const health = this.opts.health;
    this.writing = writeUntilDone(this.opts.what, () => this.opts.write(chunk), {
      ...this.opts,
      signal: this.stop.signal,
      health: {
        failed: (err, attempt, what) => {
          this.stalled = true;
          health.failed(err, attempt, what);
        },
        recovered: (what) => health.recovered(what),
      },
    }).then(() => {
      for (const w of waiters) w.resolve();
    }, (err) => {
      for (const w of waiters) w.reject(err);
    }).finally(() => {
      this.writing = null;
      this.stalled = false;
      this.wake();
      // What arrived meanwhile: written now if it is due (full), else its own timer runs.
      if (this.chunk.count > 0) {
        if (this.chunk.bytes >= this.opts.limits().maxBytes) void this.cut();
        else this.arm(Math.max(0, this.openedAt + this.opts.limits().intervalMs - this.clock.now()));
      }
    });
    return this.writing;
  }
}

function emptyChunk(): BufferedChunk {
  return { ids: [], lines: [], bytes: 0, count: 0, oldestArrival: Infinity };
}
