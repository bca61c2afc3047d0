/**
 * One buffer per partition (dynamic partitioning, reference §7.4), between the source batches
 * the pipeline cuts from the log and the partition objects written to S3.
 *
 * Each source batch is transformed and its records' partitions computed (by the caller); `route`
 * puts every record into its partition's buffer (`PartitionedBuffers`, with the destination's
 * BufferingHints). A buffer is cut when its own size or interval is reached, when the node-wide
 * memory cap is exceeded (the largest buffer goes first), or on `flush` (drain, SIGTERM), and
 * written as ONE object. A record of a new partition while `activePartitionLimit` partitions hold
 * buffered or unwritten data is refused (the caller sends it to `activePartitionExceeded/`).
 *
 * Durability: a source batch's checkpoint may commit only once every partition object holding
 * any of its records is written. Each buffer records which source batches it holds (and how many
 * of their records); each source batch (`route`'s `durable`) counts the buffers still holding its
 * records. After a crash the pending source batches are replayed and enter the buffers again:
 * partitions that had already been written may be written again (at-least-once, as AWS).
 * An object's identity derives from its partition and the ids and record counts of the source
 * batches in it, so a replay that fills a buffer the same way overwrites the same key.
 */
import type { LogRecord } from '../../core/record.js';
import type { Logger } from '../../observability/logger.js';
import { backoffDelay, sleep } from '../../util/backoff.js';
import type { BatchLimits } from '../buffer/batcher.js';
import { ActivePartitions } from './active-partitions.js';
import { PartitionedBuffers } from './partitioned-buffers.js';

/** One record to route: its partition's buffer key, what the object needs to know about it (`group`), the record. */
export interface StageEntry<G> {
  partition: string;
  group: G;
  record: LogRecord;
}

/** A cut partition buffer, to be written as one object. */
export interface StagedObject<G> {
  partition: string;
  group: G;
  records: LogRecord[];
  bytes: number;
  /** Deterministic from the contents: the partition plus (source batch id, record count) of each source batch in it. */
  identity: string;
  /** For the writer: what it prepared on an earlier attempt (the encoded body). */
  prepared?: unknown;
}

export interface PartitionStageOptions<G> {
  /** Per-partition buffering (the destination's BufferingHints), read when a buffer opens. */
  limits: () => BatchLimits;
  activePartitionLimit: number;
  /** Bytes buffered and being written, above which the largest buffer is cut early and routing waits. */
  maxBufferedBytes: number;
  /** Write one object (one attempt; a throw is retried with backoff until the stage closes). */
  write: (object: StagedObject<G>, signal: AbortSignal) => Promise<void>;
  logger?: Logger;
  now?: () => number;
  /** Retry backoff of failed writes (default 1 s doubling to 30 s). */
  backoff?: { baseMs: number; capMs: number };
}

/** A source batch in the stage. */
interface Ticket {
  id: string;
  /** Buffers (open or being written) that hold some of its records. */
  outstanding: number;
  /** All its records are routed (no buffer can still be added to its count). */
  routed: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Held {
  record: LogRecord;
  ticket: Ticket;
}

export class PartitionStopped extends Error {
  constructor() {
    super('delivery stopped before the partition objects were written; the source batch stays pending and is replayed');
    this.name = 'PartitionStopped';
  }
}

export class PartitionStage<G> {
  private readonly active: ActivePartitions;
  private readonly buffers: PartitionedBuffers<Held, G>;
  /** Per open buffer: the source batches in it and how many of their records. */
  private readonly sources = new Map<string, Map<Ticket, number>>();
  private readonly writing = new Set<Promise<void>>();
  private readonly tickets = new Set<Ticket>();
  private openBytes = 0;
  private writingBytes = 0;
  /** Arrival of the oldest record in an open or unwritten buffer, per buffer. */
  private readonly oldest = new Map<Promise<void> | string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly stopped = new AbortController();
  private readonly now: () => number;

  constructor(private readonly opts: PartitionStageOptions<G>) {
    this.now = opts.now ?? Date.now;
    this.active = new ActivePartitions(opts.activePartitionLimit);
    this.buffers = new PartitionedBuffers<Held, G>(opts.limits(), this.active, this.now);
  }

  /** Partitions with an open buffer or an object being written (`PartitionCount`). */
  get activeCount(): number {
    return this.active.count;
  }

  /** Bytes in open buffers plus objects being written. */
  get bufferedBytes(): number {
    return this.openBytes + this.writingBytes;
  }

  /** Arrival time of the oldest record not yet written (Infinity when none). */
  oldestArrival(): number {
    let min = Infinity;
    for (const v of this.oldest.values()) if (v < min) min = v;
    return min;
  }

  /**
   * Put one source batch's records into their partitions' buffers. `durable` resolves once every
   * object holding one of them is written (rejects when the stage closes first); `refused` are
   * the indexes of entries the active-partition limit turned away.
   */
  route(batchId: string, entries: readonly StageEntry<G>[]): { durable: Promise<void>; refused: number[] } {
    if (this.stopped.signal.aborted) throw new PartitionStopped();
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const durable = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    durable.catch(() => undefined); // awaited by the caller; a close before that must not crash the process
    const ticket: Ticket = { id: batchId, outstanding: 0, routed: false, resolve, reject };
    this.tickets.add(ticket);
    this.buffers.limits = this.opts.limits();
    const refused: number[] = [];
    entries.forEach((e, i) => {
      const size = e.record.data.length;
      for (;;) {
        const outcome = this.buffers.add(e.partition, e.group, { record: e.record, ticket }, size);
        if (outcome === 'wouldOverflow') {
          this.cut(e.partition);
          continue;
        }
        if (outcome === 'overflow') {
          refused.push(i);
          return;
        }
        let held = this.sources.get(e.partition);
        if (!held) this.sources.set(e.partition, (held = new Map()));
        const n = held.get(ticket);
        if (n === undefined) ticket.outstanding++;
        held.set(ticket, (n ?? 0) + 1);
        this.openBytes += size;
        const oldest = this.oldest.get(e.partition);
        if (oldest === undefined || e.record.arrivedAt < oldest) this.oldest.set(e.partition, e.record.arrivedAt);
        if (outcome === 'full') this.cut(e.partition);
        return;
      }
    });
    ticket.routed = true;
    this.settle(ticket);
    this.armTimer();
    return { durable, refused };
  }

  /**
   * Waits while more than the memory cap is buffered, cutting the largest buffers early: the
   * caller (delivery of a source batch) holds its pipeline slot meanwhile, so reading pauses.
   */
  async relieve(): Promise<void> {
    while (!this.stopped.signal.aborted && this.bufferedBytes > this.opts.maxBufferedBytes) {
      const largest = this.buffers.largest();
      if (largest !== undefined) this.cut(largest);
      if (this.writing.size === 0) return;
      await Promise.race(this.writing);
    }
  }

  /** Cut every buffer now and wait until every object is written (drain). */
  async flush(): Promise<void> {
    for (const p of this.buffers.partitions) this.cut(p);
    this.armTimer(); // nothing is buffered now: no timer is left running
    while (this.writing.size > 0 && !this.stopped.signal.aborted) await Promise.allSettled([...this.writing]);
  }

  /** Stop: buffered records are dropped (their source batches stay pending and are replayed on restart). */
  close(): void {
    this.stopped.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.tickets) t.reject(new PartitionStopped());
    this.tickets.clear();
  }

  private settle(t: Ticket): void {
    if (!t.routed || t.outstanding > 0) return;
    this.tickets.delete(t);
    t.resolve();
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped.signal.aborted) return;
    const wait = this.buffers.timeUntilNextDue();
    if (wait === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const p of this.buffers.due()) this.cut(p);
      this.armTimer();
    }, wait);
  }

  /** Cut a partition's buffer and write it in the background. */
  private cut(partition: string): void {
    const taken = this.buffers.take(partition);
    if (!taken) return;
    const sources = this.sources.get(partition) ?? new Map<Ticket, number>();
    this.sources.delete(partition);
    const oldest = this.oldest.get(partition) ?? this.now();
    this.oldest.delete(partition);
    this.openBytes -= taken.bytes;
    this.writingBytes += taken.bytes;
    const ids: string[] = [];
    for (const [t, n] of sources) ids.push(`${t.id}:${n}`);
    const object: StagedObject<G> = {
      partition,
      group: taken.keys,
      records: taken.items.map((h) => h.record),
      bytes: taken.bytes,
      identity: `${partition}\0${ids.join(',')}`,
    };
    const written: Promise<void> = this.writeUntilDone(object).then(
      () => {
        this.active.release(partition);
        for (const t of sources.keys()) {
          t.outstanding--;
          this.settle(t);
        }
      },
      (err: unknown) => {
        this.active.release(partition);
        const e = err instanceof Error ? err : new Error(String(err));
        for (const t of sources.keys()) {
          this.tickets.delete(t);
          t.reject(e);
        }
      },
    ).finally(() => {
      this.writing.delete(written);
      this.oldest.delete(written);
      this.writingBytes -= taken.bytes;
    });
    this.oldest.set(written, oldest);
    this.writing.add(written);
  }

  private async writeUntilDone(object: StagedObject<G>): Promise<void> {
    const signal = this.stopped.signal;
    const base = this.opts.backoff?.baseMs ?? 1000;
    const cap = this.opts.backoff?.capMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new PartitionStopped();
      try {
        await this.opts.write(object, signal);
        return;
      } catch (err) {
        if (signal.aborted) throw new PartitionStopped();
        this.opts.logger?.warn({ err, partition: object.partition, attempt: attempt + 1, records: object.records.length }, 'writing a partition object failed; retrying');
        if (!(await sleep(backoffDelay(attempt, base, cap), signal))) throw new PartitionStopped();
      }
    }
  }
}
