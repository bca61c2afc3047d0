import { createHash } from 'node:crypto';
import type { LogRecord, ShardRange } from '../core/record.js';
import type { Logger } from '../observability/logger.js';
import type { LogStream } from '../stream/log-stream.js';
import { Batcher } from './buffer/batcher.js';
import { backoffDelay, sleep } from './backoff.js';
import type { CheckpointJournal, PendingBatch } from './checkpoint/journal.js';
import type { CutBatch, Destination, EncodedBatch } from './destination.js';

export interface PipelineOptions {
  /** Delivery stream name (logs) and an id that differs between incarnations of the same name. */
  name: string;
  incarnation: string;
  stream: LogStream;
  journal: CheckpointJournal;
  destination: Destination;
  logger: Logger;
  /** Batches delivered concurrently; reading pauses while this many are in flight (backpressure). */
  maxInFlight?: number;
  /** Bytes read from the log per read call. */
  readBytes?: number;
  /** How long records may wait for delivery before they are given up (the stream's retention). */
  retentionMs: () => number;
  now?: () => number;
  /** Called when records leave the retention period undelivered. */
  onExpired?: (count: number) => void;
}


/**
 * The delivery driver for one delivery stream: reads every shard of its log from the
 * checkpoint, batches by size and time, records each batch in the journal before sending it,
 * delivers with retries and backoff, and commits the checkpoint only after the destination
 * confirmed. A crash replays the journal's pending batches to the same targets.
 */
export class DeliveryPipeline {
  private readonly batcher: Batcher<LogRecord>;
  /** Per shard, the positions in the batcher (contiguous: each shard's reader adds in order). */
  private openRanges = new Map<string, ShardRange>();
  /** Arrival time of the oldest record in the batcher (Infinity when empty). */
  /** Set once by `stop`: no timer, cut or journal write may happen after it. */
  private get stopped(): boolean {
    return this.stopReading.signal.aborted;
  }
  private readonly now: () => number;
  private readonly maxInFlight: number;
  private readonly inFlight = new Map<string, { batch: PendingBatch; oldestArrival: number; done: Promise<void> }>();
  private slotWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly stopReading = new AbortController();
  private readonly stopDelivering = new AbortController();
  /** Aborted by `drain` so readers parked waiting for data look again, see the end, and return. */
  private readonly wake = new AbortController();
  private readonly waitSignal = AbortSignal.any([this.stopReading.signal, this.wake.signal]);
  private readers: Promise<void>[] = [];
  private draining = false;
  private cutting: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PipelineOptions) {
    this.now = opts.now ?? Date.now;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.batcher = new Batcher<LogRecord>(opts.destination.limits(), this.now);
  }

  /** Replay batches left pending by a previous run, then start reading every shard. */
  async start(): Promise<void> {
    for (const pending of this.opts.journal.pending()) {
      const records = await this.readRanges(pending.ranges);
      if (records.length === 0) {
        // Everything it covered left the retention period while it waited.
        this.opts.onExpired?.(pending.ranges.reduce((n, r) => n + r.last - r.first + 1, 0));
        await this.opts.journal.complete(pending.id);
        continue;
      }
      this.launch(pending, records, oldestOf(records));
    }
    for (const shard of this.opts.stream.meta.shards) this.readers.push(this.readShard(shard.shardId));
  }

  /** Apply new batching limits (after UpdateDestination); the current buffer keeps its contents. */
  refreshLimits(): void {
    this.batcher.limits = this.opts.destination.limits();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armTimer();
  }

  /** Age in ms of the oldest record read but not yet delivered (0 when none). */
  oldestUndeliveredAge(): number {
    let oldest = Infinity;
    for (const f of this.inFlight.values()) oldest = Math.min(oldest, f.oldestArrival);
    oldest = Math.min(oldest, this.batcherOldest);
    return oldest === Infinity ? 0 : Math.max(0, this.now() - oldest);
  }

  private batcherOldest = Infinity;

  private async readShard(shardId: string): Promise<void> {
    const log = this.opts.stream.log(shardId);
    let pos = this.opts.journal.resumePosition(shardId);
    const signal = this.stopReading.signal;
    for (let failures = 0; !signal.aborted;) {
      try {
        if (pos < log.trimPosition) {
          const lost = log.trimPosition - pos;
          this.opts.logger.error({ deliveryStream: this.opts.name, shardId, lost }, 'records left the retention period before they were delivered');
          this.opts.onExpired?.(lost);
          pos = log.trimPosition;
          await this.opts.journal.skipTo(shardId, pos);
        }
        const records = await log.read(pos, { maxBytes: this.opts.readBytes ?? 4 * 1024 * 1024 });
        failures = 0;
        if (records.length === 0) {
          if (this.draining) return;
          if (this.batcher.length > 0 && this.batcher.limits.intervalMs === 0) await this.cut();
          // Resolves once position `pos` exists. Yield a macrotask too, so a log that reports data
          // it cannot return (e.g. a damaged segment) can never spin this loop without letting I/O run.
          await log.waitForData(pos, this.waitSignal);
          await new Promise((r) => setImmediate(r));
          continue;
        }
        for (const record of records) {
          const size = record.data.length;
          if (this.batcher.wouldOverflow(size)) await this.cut();
          if (record.arrivedAt < this.batcherOldest) this.batcherOldest = record.arrivedAt;
          const range = this.openRanges.get(shardId);
          if (range) range.last = record.position;
          else this.openRanges.set(shardId, { shardId, first: record.position, last: record.position });
          if (this.batcher.add(record, size)) await this.cut();
        }
        pos = records[records.length - 1].position + 1;
        this.armTimer();
      } catch (err) {
        // A failed read (I/O error, damaged file) must not stop delivery for good: retry with backoff.
        if (signal.aborted) return;
        this.opts.logger.error({ err, deliveryStream: this.opts.name, shardId, position: pos }, 'reading the log failed; retrying');
        await sleep(backoffDelay(failures++), signal);
      }
    }
  }

  private armTimer(): void {
    if (this.stopped || this.timer || this.batcher.length === 0) return;
    const wait = this.batcher.timeUntilFlush();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.cut();
    }, wait);
  }

  /** Cut the buffered records into a batch, journal it and start delivering it. Serialised. */
  private cut(): Promise<void> {
    this.cutting = this.cutting.then(() => this.cutNow()).catch((err) => {
      this.opts.logger.error({ err, deliveryStream: this.opts.name }, 'could not cut a batch');
    });
    return this.cutting;
  }

  private async cutNow(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const { items: records, bytes } = this.batcher.flush();
    const oldestArrival = this.batcherOldest;
    const ranges = [...this.openRanges.values()].sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
    this.batcherOldest = Infinity;
    this.openRanges = new Map();
    if (records.length === 0) return;
    const id = batchIdentity(this.opts.incarnation, ranges);
    const cut: CutBatch = { id, ranges, records, oldestArrival, bytes };
    // Planning and journaling must succeed before the batch exists: until then its records are
    // held here (the reader waits on this cut, so nothing piles up behind) and retried.
    let pending: PendingBatch | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        pending ??= { id, ranges, target: this.opts.destination.plan(cut), cutAt: this.now() };
        // A failed begin already holds the batch in memory: only its write is retried.
        if (this.opts.journal.has(id)) await this.opts.journal.sync();
        else await this.opts.journal.begin(pending);
        break;
      } catch (err) {
        this.opts.logger.error({ err, deliveryStream: this.opts.name, batch: id, attempt: attempt + 1 }, 'could not plan or journal a batch; retrying');
        if (!(await sleep(backoffDelay(attempt), this.stopReading.signal))) return; // stopping: the records stay in the log
      }
    }
    if (this.stopped) return;
    this.launch(pending, records, oldestArrival);
    while (this.inFlight.size >= this.maxInFlight) await new Promise<void>((r) => this.slotWaiters.push(r));
  }

  private launch(batch: PendingBatch, records: LogRecord[], oldestArrival: number): void {
    const done = this.deliverWithRetry(batch, records, oldestArrival)
      .then(() => this.opts.journal.complete(batch.id))
      .catch((err) => this.opts.logger.error({ err, deliveryStream: this.opts.name, batch: batch.id }, 'batch left pending; it is retried on restart'))
      .finally(() => {
        this.inFlight.delete(batch.id);
        const waiters = this.slotWaiters;
        this.slotWaiters = [];
        for (const w of waiters) w();
      });
    this.inFlight.set(batch.id, { batch, oldestArrival, done });
  }

  private async deliverWithRetry(batch: PendingBatch, source: LogRecord[], oldestArrival: number): Promise<void> {
    const signal = this.stopDelivering.signal;
    let records: LogRecord[] | null = source;
    let encoded: EncodedBatch | null = null;
    const count = source.length;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Error('delivery stopped before the batch was delivered');
      try {
        if (!encoded) {
          encoded = await this.opts.destination.encode(batch.target, records!);
          records = null; // the encoded body is all retries need
        }
        await this.opts.destination.deliver(batch.target, encoded, signal);
        return;
      } catch (err) {
        const failure = this.opts.destination.describeFailure(err);
        const expired = this.now() - oldestArrival > this.opts.retentionMs();
        this.opts.logger.warn({ deliveryStream: this.opts.name, batch: batch.id, attempt: attempt + 1, errorCode: failure.code, errorMessage: failure.message }, expired ? 'delivery failed and the records left the retention period: giving up' : 'delivery failed; retrying');
        if (expired) {
          this.opts.onExpired?.(count);
          return;
        }
        await sleep(backoffDelay(attempt), signal);
      }
    }
  }

  private async readRanges(ranges: ShardRange[]): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    for (const range of ranges) {
      const log = this.opts.stream.log(range.shardId);
      let pos = Math.max(range.first, log.trimPosition);
      while (pos <= range.last) {
        const recs = await log.read(pos, { maxRecords: range.last - pos + 1 });
        if (recs.length === 0) break;
        for (const r of recs) if (r.position <= range.last) out.push(r);
        pos = recs[recs.length - 1].position + 1;
      }
    }
    return out;
  }

  /**
   * Deliver everything already in the log and everything buffered, then stop. Records appended
   * after this is called may or may not be included. Gives up waiting after `timeoutMs` (the
   * records stay in the log and are delivered on the next start).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    // Wake readers that wait for data so they see the end and return.
    const readersDone = Promise.all(this.readers);
    const finished = (async () => {
      this.wake.abort();
      await readersDone;
      await this.cut();
      await Promise.all([...this.inFlight.values()].map((f) => f.done));
    })();
    const giveUp = new AbortController();
    const ok = await Promise.race([finished.then(() => true), sleep(timeoutMs, giveUp.signal).then(() => false)]);
    giveUp.abort();
    await this.stop();
    return ok;
  }

  /** Stop reading and delivering now; pending batches stay in the journal. */
  async stop(): Promise<void> {
    this.stopReading.abort();
    this.stopDelivering.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled(this.readers);
    await this.cutting;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    this.opts.journal.close();
    await this.opts.destination.close();
  }
}

function oldestOf(records: LogRecord[]): number {
  let oldest = Infinity;
  for (const r of records) if (r.arrivedAt < oldest) oldest = r.arrivedAt;
  return oldest;
}

/** The batch identity: incarnation of the delivery stream plus the ranges it covers. */
export function batchIdentity(incarnation: string, ranges: ShardRange[]): string {
  const h = createHash('sha256').update(incarnation);
  for (const r of ranges) h.update(`|${r.shardId}:${r.first}-${r.last}`);
  return h.digest('hex').slice(0, 32);
}
