import { createHash } from 'node:crypto';
import type { LogRecord, ShardRange } from '../core/record.js';
import type { Logger } from '../observability/logger.js';
import type { LogStream, ShardMeta } from '../stream/log-stream.js';
import { SHARD_END, type Checkpoint } from '../stream/consumer/checkpoint.js';
import { ShardCoordinator, type ShardOutcome, type ShardTask } from '../stream/consumer/coordinator.js';
import { InProcessLeaseStore, type LeaseStore } from '../stream/consumer/lease.js';
import { isReadToEnd } from '../stream/consumer/lineage.js';
import { Batcher } from './buffer/batcher.js';
import { backoffDelay, sleep } from '../util/backoff.js';
import { LeaseLostError, type DeliveryJournal, type PendingBatch } from './checkpoint/journal.js';
import type { LeaseBalancer } from '../stream/consumer/balance.js';
import type { BatchJob, DeliveryScheduler, JobRun } from './scheduler/scheduler.js';
import type { DeliveryReceipt, Destination, EncodedBatch } from './destination.js';

export interface PipelineOptions {
  /** Delivery stream name (logs) and an id that differs between incarnations of the same name. */
  name: string;
  incarnation: string;
  stream: LogStream;
  journal: DeliveryJournal;
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
  /**
   * Where a shard the journal has never recorded starts (default: its beginning). A Kinesis
   * source starts at LATEST as of the delivery stream's creation, and reads shards created later
   * from their beginning.
   */
  initialCheckpoint?: (shard: ShardMeta) => Checkpoint;
  /**
   * The records one stored record stands for (default: itself). A Kinesis source expands
   * KPL-aggregated records into their user records; all of one stored record go into one batch.
   */
  expand?: (record: LogRecord, shardId: string) => LogRecord[];
  /** Aborted when the log goes away under the pipeline (its Kinesis stream was deleted): reading stops. */
  sourceGone?: AbortSignal;
  /** Shard leases (default: a private in-process store) and this pipeline's owner id in it. */
  leases?: LeaseStore;
  leaseOwner?: string;
  /** Renew held leases this often (leases that expire, i.e. shared between nodes). */
  renewEveryMs?: number;
  /** Share the shards with other nodes (see `ShardCoordinator`). */
  balancer?: LeaseBalancer;
  /** Delay before asking again for a lease that was refused (default 5,000 ms). */
  leaseRetryMs?: number;
  /**
   * Deliver batches as jobs (BullMQ on the Redis backend): a cut batch becomes a job carrying
   * its identity; any node serving the delivery stream re-reads its ranges and delivers it to
   * its journaled target. Default: this pipeline delivers what it cut.
   */
  scheduler?: DeliveryScheduler;
}


/**
 * The delivery driver for one delivery stream: reads every shard of its log from the
 * checkpoint (a parent shard to its end before its children, see `ShardCoordinator`), batches by
 * size and time, records each batch in the journal before sending it, delivers with retries and
 * backoff, and commits the checkpoint only after the destination confirmed. A crash replays the
 * journal's pending batches to the same targets.
 */
export class DeliveryPipeline {
  private readonly batcher: Batcher<LogRecord>;
  /** Per shard, the positions in the batcher (contiguous: each shard's reader adds in order). */
  private openRanges = new Map<string, ShardRange>();
  /**
   * Per shard, the records in the batcher. A batch lists them shard by shard (in range order),
   * which is also the order a replay reads them back in: a record's place in its batch, and so
   * its `recordId`, is the same on every attempt and after a crash.
   */
  private openRecords = new Map<string, LogRecord[]>();
  /** Arrival time of the oldest record in the batcher (Infinity when empty). */
  /** Set once by `stop`: no timer, cut or journal write may happen after it. */
  private get stopped(): boolean {
    return this.stopReading.signal.aborted;
  }
  private readonly now: () => number;
  private readonly maxInFlight: number;
  /** Batches being delivered: each holds a slot until the destination is done with it. */
  private readonly inFlight = new Map<string, { batch: PendingBatch; oldestArrival: number; delivered: Promise<unknown> }>();
  /** Every batch not yet completed in the journal, including those waiting for a buffered backup. */
  private readonly settling = new Map<string, Promise<void>>();
  private slotWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly stopReading = new AbortController();
  private readonly stopDelivering = new AbortController();
  private coordinator: ShardCoordinator | undefined;
  private onSourceGone: (() => void) | undefined;
  /** Shards read to their end whose last records are still in the batcher: recorded with the next cut. */
  private endsWithNextCut = new Set<string>();
  private draining = false;
  /** This node's worker for the delivery stream's jobs (with a scheduler). */
  private serving: { stop(): Promise<void> } | undefined;
  /** Shards being read, with their tasks (whose `lease` fences the batches cut from them). */
  private readonly tasks = new Map<string, ShardTask>();
  private cutting: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PipelineOptions) {
    this.now = opts.now ?? Date.now;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.batcher = new Batcher<LogRecord>(opts.destination.limits(), this.now);
  }

  /** Replay batches left pending by a previous run, then start reading every shard. */
  async start(): Promise<void> {
    const gone = this.opts.sourceGone;
    if (gone?.aborted) {
      this.opts.logger.warn({ deliveryStream: this.opts.name }, 'the source stream is gone: nothing is read');
      return;
    }
    if (this.opts.scheduler) this.serving = this.opts.scheduler.serve(this.opts.name, (job, run) => this.runJob(job, run));
    // A shared journal's batches are replayed by whoever takes their shard's lease (readShard).
    if (!this.opts.journal.shared) for (const pending of this.opts.journal.pending()) await this.replay(pending);
    this.coordinator = new ShardCoordinator({
      stream: this.opts.stream,
      checkpoints: this.opts.journal,
      initialCheckpoint: this.opts.initialCheckpoint ?? (() => 0),
      leases: this.opts.leases ?? new InProcessLeaseStore(),
      owner: this.opts.leaseOwner ?? `pipeline-${this.opts.incarnation}`,
      leaseKey: (shardId) => `${this.opts.incarnation}/${shardId}`,
      process: (task) => this.readShard(task),
      signal: gone ? AbortSignal.any([this.stopReading.signal, gone]) : this.stopReading.signal,
      logger: this.opts.logger,
      renewEveryMs: this.opts.renewEveryMs,
      balancer: this.opts.balancer,
      retryMs: this.opts.leaseRetryMs,
    });
    this.onSourceGone = () => {
      this.opts.logger.warn({ deliveryStream: this.opts.name }, 'the source stream was deleted: reading stopped; what was read is delivered');
      void this.cut();
    };
    gone?.addEventListener('abort', this.onSourceGone, { once: true });
    this.coordinator.start();
  }

  /**
   * Deliver a batch a previous run (or another node) journaled, to the target fixed when it was
   * cut: the same records in the same order to the same place (an S3 object it overwrites).
   */
  private async replay(pending: PendingBatch): Promise<void> {
    if (this.settling.has(pending.id)) return;
    const records = await this.readRanges(pending.ranges);
    if (records.length === 0) {
      // Everything it covered left the retention period while it waited.
      this.opts.onExpired?.(pending.ranges.reduce((n, r) => n + r.last - r.first + 1, 0));
      await this.opts.journal.complete(pending.id);
      return;
    }
    const oldestArrival = oldestOf(records);
    if (targetKind(pending.target) !== this.opts.destination.kind) {
      // Cut for a destination of another type (UpdateDestination switched it): plan it anew.
      let bytes = 0;
      for (const r of records) bytes += r.data.length;
      const target = this.opts.destination.plan({ id: pending.id, ranges: pending.ranges, records, oldestArrival, bytes });
      await this.opts.journal.replan(pending.id, target);
      pending = { ...pending, target };
    }
    this.launch(pending, records, oldestArrival);
  }

  /** Shards this pipeline reads now (holding their leases). */
  runningShards(): string[] {
    return this.coordinator?.runningShards() ?? [];
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
    oldest = Math.min(oldest, this.batcherOldest, this.opts.destination.oldestBuffered?.() ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, this.now() - oldest);
  }

  private batcherOldest = Infinity;

  /**
   * One shard's reader. When it stops while the pipeline goes on (the lease was lost or handed
   * to another node), the shard's buffered records are cut into a journaled batch first, before
   * the lease is released: the next holder resumes after them (and replays that batch to the
   * same target if this node does not deliver it), never reading them into a second batch.
   */
  private async readShard(task: ShardTask): Promise<ShardOutcome> {
    this.tasks.set(task.shard.shardId, task);
    try {
      const outcome = await this.readShardFrom(task);
      if (outcome === 'stopped' && !this.stopped) {
        // Its records may also be in a cut still being journaled (e.g. retrying while Redis is
        // down): the lease is kept until that settles, so the next holder starts after them.
        if (this.openRanges.has(task.shard.shardId)) await this.cut();
        else await this.cutting;
      }
      return outcome;
    } finally {
      if (this.tasks.get(task.shard.shardId) === task) this.tasks.delete(task.shard.shardId);
    }
  }

  /** Reads one shard from its checkpoint to the end of the shard (or until stopped). */
  private async readShardFrom(task: ShardTask): Promise<ShardOutcome> {
    const shardId = task.shard.shardId;
    const coordinator = this.coordinator!;
    const log = this.opts.stream.log(shardId);
    let pos = task.from;
    const signal = task.signal;
    this.opts.logger.debug({ deliveryStream: this.opts.name, shardId, from: pos, lease: task.lease.counter }, 'reading a shard');
    if (this.opts.journal.shared) {
      // The shard's previous holder may have left batches undelivered (it died, or gave the shard up).
      for (const pending of this.opts.journal.pending()) {
        if (pending.ranges.some((r) => r.shardId === shardId)) await this.replay(pending);
      }
    }
    for (let failures = 0; !signal.aborted;) {
      try {
        // Taken before looking at the shard, so a reshard closing it from now on wakes the wait below.
        const wake = coordinator.wakeSignal;
        const shard = this.opts.stream.shard(shardId);
        if (!shard || isReadToEnd(shard, pos)) {
          await this.shardEnded(shardId);
          return 'ended';
        }
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
          if (this.draining) return 'stopped';
          if (this.batcher.length > 0 && this.batcher.limits.intervalMs === 0) await this.cut();
          // Resolves once position `pos` exists (or at a reshard, or when draining). Yield a macrotask
          // too, so a log that reports data it cannot return (e.g. a damaged segment) can never spin
          // this loop without letting I/O run.
          await log.waitForData(pos, wake);
          await new Promise((r) => setImmediate(r));
          continue;
        }
        const expand = this.opts.expand;
        for (const record of records) {
          if (expand) {
            await this.addExpanded(shardId, record, expand(record, shardId));
            continue;
          }
          const size = record.data.length;
          if (this.batcher.wouldOverflow(size)) await this.cut();
          if (record.arrivedAt < this.batcherOldest) this.batcherOldest = record.arrivedAt;
          this.extendRange(shardId, record.position).push(record);
          if (this.batcher.add(record, size)) await this.cut();
        }
        pos = records[records.length - 1].position + 1;
        this.armTimer();
      } catch (err) {
        // A failed read (I/O error, damaged file) must not stop delivery for good: retry with backoff.
        if (signal.aborted) return 'stopped';
        this.opts.logger.error({ err, deliveryStream: this.opts.name, shardId, position: pos }, 'reading the log failed; retrying');
        await sleep(backoffDelay(failures++), signal);
      }
    }
    return 'stopped';
  }

  /** Add the records one stored record stands for, all into the same batch. */
  private async addExpanded(shardId: string, source: LogRecord, items: LogRecord[]): Promise<void> {
    if (items.length === 0) return;
    let size = 0;
    for (const item of items) size += item.data.length;
    if (this.batcher.wouldOverflow(size)) await this.cut();
    if (source.arrivedAt < this.batcherOldest) this.batcherOldest = source.arrivedAt;
    const open = this.extendRange(shardId, source.position);
    let full = false;
    for (const item of items) {
      open.push(item);
      full = this.batcher.add(item, item.data.length);
    }
    if (full) await this.cut();
  }

  /** Extend the shard's open range to `position`; returns the shard's list of buffered records. */
  private extendRange(shardId: string, position: number): LogRecord[] {
    const range = this.openRanges.get(shardId);
    if (range) {
      range.last = position;
      return this.openRecords.get(shardId)!;
    }
    this.openRanges.set(shardId, { shardId, first: position, last: position });
    const list: LogRecord[] = [];
    this.openRecords.set(shardId, list);
    return list;
  }

  /**
   * A closed shard was read to its end. Its children may be read at once: their records enter
   * the batcher after all of this shard's, so any batch holding one of theirs also holds (or
   * follows) this shard's last. Durably, the shard ends with the batch that takes its last
   * records, or now if they are already journaled; queued behind any cut in progress.
   */
  private shardEnded(shardId: string): Promise<void> {
    if (this.openRanges.has(shardId)) {
      this.endsWithNextCut.add(shardId);
      return Promise.resolve();
    }
    if (this.opts.journal.checkpoint(shardId) === SHARD_END) return Promise.resolve();
    const marked = this.cutting.then(() => (this.stopped ? undefined : this.opts.journal.markEnded([shardId])));
    this.cutting = marked.catch((err) => {
      this.opts.logger.error({ err, deliveryStream: this.opts.name, shardId }, 'could not record the end of a shard; it is read again on restart');
    });
    return this.cutting;
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
    const { bytes } = this.batcher.flush();
    const oldestArrival = this.batcherOldest;
    let ranges = [...this.openRanges.values()].sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
    const byShard = this.openRecords;
    let records = ranges.length === 1 ? byShard.get(ranges[0].shardId)! : ranges.flatMap((r) => byShard.get(r.shardId)!);
    let batchBytes = bytes;
    const ended = [...this.endsWithNextCut];
    this.batcherOldest = Infinity;
    this.openRanges = new Map();
    this.openRecords = new Map();
    this.endsWithNextCut = new Set();
    if (records.length === 0) {
      if (ended.length > 0) await this.opts.journal.markEnded(ended);
      return;
    }
    let id = batchIdentity(this.opts.incarnation, ranges);
    // The readers' tasks as the records were read: their leases fence the batch (a task's lease
    // is its current grant, renewed meanwhile or not).
    const readers = new Map<string, ShardTask>();
    for (const r of ranges) {
      const t = this.tasks.get(r.shardId);
      if (t) readers.set(r.shardId, t);
    }
    // Planning and journaling must succeed before the batch exists: until then its records are
    // held here (the reader waits on this cut, so nothing piles up behind) and retried.
    let pending: PendingBatch | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        pending ??= { id, ranges, target: this.opts.destination.plan({ id, ranges, records, oldestArrival, bytes: batchBytes }), cutAt: this.now() };
        // A failed begin already holds the batch in memory: only its write is retried.
        if (this.opts.journal.has(id)) await this.opts.journal.sync();
        else await this.opts.journal.begin(pending, ended, ranges.flatMap((r) => { const t = readers.get(r.shardId); return t ? [t.lease] : []; }));
        break;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          // Another node holds those shards now and reads these records from its checkpoint:
          // they leave this batch (which gets the identity of what is left).
          this.opts.logger.warn({ deliveryStream: this.opts.name, shards: err.shards }, 'lost the lease of shards while cutting a batch; their records are left to the new holder');
          const lost = new Set(err.shards);
          ranges = ranges.filter((r) => !lost.has(r.shardId));
          records = ranges.flatMap((r) => byShard.get(r.shardId)!);
          if (records.length === 0) return;
          batchBytes = 0;
          for (const r of records) batchBytes += r.data.length;
          id = batchIdentity(this.opts.incarnation, ranges);
          pending = undefined;
          continue;
        }
        this.opts.logger.error({ err, deliveryStream: this.opts.name, batch: id, attempt: attempt + 1 }, 'could not plan or journal a batch; retrying');
        if (!(await sleep(backoffDelay(attempt), this.stopReading.signal))) return; // stopping: the records stay in the log
      }
    }
    if (this.stopped) return;
    this.opts.logger.debug({ deliveryStream: this.opts.name, batch: id, ranges }, 'batch journaled');
    this.launch(pending, records, oldestArrival);
    while (this.inFlight.size >= this.maxInFlight) await new Promise<void>((r) => this.slotWaiters.push(r));
  }

  /**
   * Deliver a batch in the background. It holds a slot until the destination is done with it;
   * its checkpoint is committed once what went to a buffered backup is durable too.
   */
  private launch(batch: PendingBatch, records: LogRecord[], oldestArrival: number): void {
    const release = () => {
      if (!this.inFlight.delete(batch.id)) return;
      const waiters = this.slotWaiters;
      this.slotWaiters = [];
      for (const w of waiters) w();
    };
    const delivered = this.opts.scheduler ? this.submitJob(batch) : this.deliverWithRetry(batch, records, oldestArrival);
    const done = delivered
      .then(async (receipt) => {
        release();
        if (receipt) await receipt.durable;
        await this.opts.journal.complete(batch.id);
      })
      .catch((err) => {
        // Stopping (delete, a destination type change, shutdown without drain) leaves batches pending by design.
        const log = this.stopDelivering.signal.aborted ? this.opts.logger.info.bind(this.opts.logger) : this.opts.logger.error.bind(this.opts.logger);
        log({ err, deliveryStream: this.opts.name, batch: batch.id }, 'batch left pending; it is retried on restart');
      })
      .finally(() => {
        release();
        this.settling.delete(batch.id);
      });
    this.inFlight.set(batch.id, { batch, oldestArrival, delivered: delivered.catch(() => undefined) });
    this.settling.set(batch.id, done);
  }

  /** Hand a journaled batch to the scheduler; resolves once some node delivered it. */
  private async submitJob(batch: PendingBatch): Promise<void> {
    const job: BatchJob = { deliveryStream: this.opts.name, incarnation: this.opts.incarnation, batchId: batch.id, ranges: batch.ranges };
    for (let attempt = 0; ; attempt++) {
      let submitted;
      try {
        submitted = await this.opts.scheduler!.submit(job);
      } catch (err) {
        if (this.stopDelivering.signal.aborted) throw err;
        this.opts.logger.warn({ err, deliveryStream: this.opts.name, batch: batch.id }, 'could not submit a delivery job; retrying');
        await sleep(backoffDelay(attempt), this.stopDelivering.signal);
        continue;
      }
      await submitted.done;
      return;
    }
  }

  /**
   * Run a delivery job (this node's or another's): read the batch's ranges again, encode and
   * deliver them to the target journaled at cut time, then complete it in the journal. A failure
   * is thrown for the scheduler to retry with backoff.
   */
  private async runJob(job: BatchJob, run: JobRun): Promise<void> {
    // A job of an earlier delivery stream of this name, or one already delivered: nothing to do.
    if (job.incarnation !== this.opts.incarnation) return;
    const journal = this.opts.journal;
    let pending = journal.lookup ? await journal.lookup(job.batchId) : journal.pending().find((p) => p.id === job.batchId);
    if (!pending) return;
    const records = await this.readRanges(pending.ranges);
    const count = pending.ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
    if (records.length === 0 || this.now() - oldestOf(records) > this.opts.retentionMs()) {
      this.opts.logger.error({ deliveryStream: this.opts.name, batch: pending.id }, 'the records of a batch left the retention period before they were delivered');
      this.opts.onExpired?.(count);
      await journal.complete(pending.id);
      return;
    }
    if (targetKind(pending.target) !== this.opts.destination.kind) {
      let bytes = 0;
      for (const r of records) bytes += r.data.length;
      const target = this.opts.destination.plan({ id: pending.id, ranges: pending.ranges, records, oldestArrival: oldestOf(records), bytes });
      await journal.replan(pending.id, target);
      pending = { ...pending, target };
    }
    try {
      const encoded = await this.opts.destination.encode(pending.target, records);
      const receipt = await this.opts.destination.deliver(pending.target, encoded, AbortSignal.any([run.signal, this.stopDelivering.signal]));
      if (receipt) await receipt.durable;
    } catch (err) {
      const failure = this.opts.destination.describeFailure(err);
      this.opts.logger.warn({ deliveryStream: this.opts.name, batch: pending.id, attempt: run.attempt, errorCode: failure.code, errorMessage: failure.message }, 'delivery job failed; the scheduler retries it');
      throw err;
    }
    await journal.complete(pending.id);
  }

  private async deliverWithRetry(batch: PendingBatch, source: LogRecord[], oldestArrival: number): Promise<void | DeliveryReceipt> {
    const signal = this.stopDelivering.signal;
    let records: LogRecord[] | null = source;
    let encoded: EncodedBatch | null = null;
    const count = source.length;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Error('delivery stopped before the batch was delivered');
      try {
        if (!encoded) {
          encoded = await this.opts.destination.encode(batch.target, records!, { signal });
          records = null; // the encoded body is all retries need
        }
        return await this.opts.destination.deliver(batch.target, encoded, signal);
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
    const expand = this.opts.expand;
    for (const range of ranges) {
      const log = this.opts.stream.log(range.shardId);
      let pos = Math.max(range.first, log.trimPosition);
      while (pos <= range.last) {
        const recs = await log.read(pos, { maxRecords: range.last - pos + 1 });
        if (recs.length === 0) break;
        for (const r of recs) {
          if (r.position > range.last) break;
          if (expand) out.push(...expand(r, range.shardId));
          else out.push(r);
        }
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
    const finished = (async () => {
      // Wakes readers that wait for data so they see the end and return; shards that end hand
      // over to their children, which read what there is too.
      await this.coordinator?.drain();
      await this.cut();
      await Promise.all([...this.inFlight.values()].map((f) => f.delivered));
      // What went to buffered backups is written now rather than at the end of their intervals.
      await this.opts.destination.flush?.();
      await Promise.all(this.settling.values());
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
    if (this.onSourceGone) this.opts.sourceGone?.removeEventListener('abort', this.onSourceGone);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.serving?.stop();
    await this.coordinator?.stop();
    await this.cutting;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.delivered));
    // Closing the destination drops what its backup buffers hold (those batches stay pending).
    await this.opts.destination.close();
    await Promise.allSettled(this.settling.values());
    this.opts.journal.close();
  }
}

/** The destination type a journaled target was planned for (S3 targets predate the `kind` member). */
function targetKind(target: Record<string, unknown>): string {
  return typeof target.kind === 'string' ? target.kind : 's3';
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
