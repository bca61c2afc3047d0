import type { LogStream, ShardMeta } from '../log-stream.js';
import { SHARD_END, type Checkpoint, type CheckpointSource } from './checkpoint.js';
import type { LeaseBalancer } from './balance.js';
import type { Lease, LeaseStore } from './lease.js';
import { readyShards } from './lineage.js';

/** How a shard's processing finished: read to the end of a closed shard, or stopped before. */
export type ShardOutcome = 'ended' | 'stopped';

/** One shard handed to the consumer's processing function. */
export interface ShardTask {
  readonly shard: ShardMeta;
  /** First position to read (the checkpoint). */
  readonly from: number;
  /** The current grant of the shard's lease (it changes when renewed): the fencing token for checkpoints. */
  readonly lease: Lease;
  /** Aborted when the coordinator stops or the lease is lost. */
  readonly signal: AbortSignal;
}

export interface CoordinatorLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShardCoordinatorOptions {
  stream: LogStream;
  /** The consumer's recorded checkpoints (undefined for a shard never recorded). */
  checkpoints: CheckpointSource;
  /** Where a shard without a checkpoint starts, e.g. a snapshot of `latestCheckpoints`, else 0. Must be stable. */
  initialCheckpoint: (shard: ShardMeta) => Checkpoint;
  leases: LeaseStore;
  /** This worker's id in the lease store. */
  owner: string;
  /** The lease key of a shard (default: the shard id; prefix it with the consumer's name when consumers share a store). */
  leaseKey?: (shardId: string) => string;
  /**
   * Reads one shard from `task.from`. Resolves `'ended'` once every record of a closed shard
   * was handled (its children may start), `'stopped'` when told to stop or nothing is left
   * while draining.
   */
  process: (task: ShardTask) => Promise<ShardOutcome>;
  /** Stops the coordinator when aborted (e.g. the stream was deleted). */
  signal?: AbortSignal;
  logger?: CoordinatorLogger;
  /** Delay before retrying a refused lease or a failed shard; default 5,000 ms. */
  retryMs?: number;
  /** Renew held leases this often (needed with a store whose leases expire); default: never. */
  renewEveryMs?: number;
  /**
   * Share shards with other nodes (see `balancePlan`): take no more than a fair share, and at
   * each renewal give up the excess when another live node is short. Default: take every shard
   * whose lease is free (one node).
   */
  balancer?: LeaseBalancer;
}

interface Worker {
  lease: Lease;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The consumer side of a sharded stream, as the KCL does it: discovers the shards (at start and
 * at every split or merge), starts a shard only once each parent was read to its end, holds a
 * lease for every shard it reads, and remembers which shards reached `SHARD_END`. What a shard's
 * records become is the `process` function's business (the delivery pipeline, or a user's
 * record processor); it also owns writing checkpoints.
 */
export class ShardCoordinator {
  /** Aborted when the coordinator stops (by `stop` or the `signal` option). */
  readonly signal: AbortSignal;
  private readonly stopper = new AbortController();
  private readonly draining = new AbortController();
  private readonly running = new Map<string, Worker>();
  private readonly ended = new Set<string>();
  private tick = new AbortController();
  private wake: AbortSignal | undefined;
  private scanChain: Promise<void> = Promise.resolve();
  private scanQueued = false;
  private watcher: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly opts: ShardCoordinatorOptions) {
    this.signal = opts.signal ? AbortSignal.any([opts.signal, this.stopper.signal]) : this.stopper.signal;
  }

  /** Start reading every ready shard and watching for reshards. */
  start(): void {
    if (this.started) return;
    this.started = true;
    // The reshard waiter is registered before the first scan, so no reshard falls in between.
    this.watcher = this.watchReshards();
    this.requestScan();
    if (this.opts.renewEveryMs) {
      this.renewTimer = setInterval(() => void this.renewAll(), this.opts.renewEveryMs);
      this.renewTimer.unref();
    }
  }

  /**
   * For readers parked waiting for data: aborted at the next reshard (a shard may have closed
   * under them), when draining starts, and on stop. Take it *before* looking at the shard's
   * state, so a change in between is never missed.
   */
  get wakeSignal(): AbortSignal {
    return (this.wake ??= AbortSignal.any([this.signal, this.draining.signal, this.tick.signal]));
  }

  /** True once draining began: readers should return when they find no more records. */
  get isDraining(): boolean {
    return this.draining.signal.aborted;
  }

  /** Read to its end, in this run or (per the checkpoints) before. */
  isEnded(shardId: string): boolean {
    if (this.ended.has(shardId)) return true;
    const shard = this.opts.stream.shard(shardId);
    return shard !== undefined && this.checkpointOf(shard) === SHARD_END;
  }

  /** Shards being read right now. */
  runningShards(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Let every reader finish what is in the log (continuing into children of shards that end),
   * then resolve; readers return `'stopped'` when they find nothing more.
   */
  async drain(): Promise<void> {
    this.draining.abort();
    await this.idle();
  }

  /**
   * Until no scan is queued or running and no reader runs. Checked in one synchronous step: a
   * reader leaves `running` and queues the scan for its children at the same moment.
   */
  private async idle(): Promise<void> {
    for (;;) {
      const chain = this.scanChain;
      await chain;
      if (chain !== this.scanChain) continue;
      const workers = [...this.running.values()].map((w) => w.done);
      if (workers.length === 0) return;
      await Promise.all(workers);
    }
  }

  /** Stop every reader, release their leases, and wait for them. */
  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.retryTimer = this.renewTimer = undefined;
    await this.watcher;
    await this.idle();
  }

  private checkpointOf(shard: ShardMeta): Checkpoint {
    return this.opts.checkpoints.checkpoint(shard.shardId) ?? this.opts.initialCheckpoint(shard);
  }

  private leaseKey(shardId: string): string {
    return this.opts.leaseKey ? this.opts.leaseKey(shardId) : shardId;
  }

  private async watchReshards(): Promise<void> {
    while (!this.signal.aborted) {
      await this.opts.stream.waitForReshard(this.signal);
      if (this.signal.aborted) return;
      this.bump();
      this.requestScan();
    }
  }

  /** Wake every parked reader once. */
  private bump(): void {
    const old = this.tick;
    this.tick = new AbortController();
    this.wake = undefined;
    old.abort();
  }

  private requestScan(): void {
    if (this.scanQueued) return;
    this.scanQueued = true;
    this.scanChain = this.scanChain.then(async () => {
      this.scanQueued = false;
      await this.scan();
    }).catch((err: unknown) => {
      this.opts.logger?.error({ err }, 'shard discovery failed; retrying');
      this.retryLater();
    });
  }

  private retryLater(): void {
    if (this.retryTimer || this.signal.aborted || this.isDraining) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.requestScan();
    }, this.opts.retryMs ?? 5_000);
    this.retryTimer.unref();
  }

  /** Start a reader for every ready shard not being read yet. */
  private async scan(): Promise<void> {
    let refused = false;
    const ready = this.readyToRead();
    // With a balancer, take only up to a fair share; the others' leases stay for other nodes.
    let room = this.opts.balancer ? (await this.opts.balancer.plan(this.opts.owner, ready.length)).take : Infinity;
    for (const shard of ready) {
      if (this.signal.aborted) return;
      if (this.running.has(shard.shardId)) continue;
      if (room <= 0) {
        refused = true;
        break;
      }
      if (this.checkpointOf(shard) === SHARD_END) continue;
      const lease = await this.opts.leases.acquire(this.leaseKey(shard.shardId), this.opts.owner);
      if (!lease) {
        refused = true;
        continue;
      }
      // Another node may have read this shard: start from the checkpoint it left.
      await this.opts.checkpoints.refresh?.(shard.shardId);
      const from = this.checkpointOf(shard);
      if (this.signal.aborted || from === SHARD_END) {
        await this.opts.leases.release(lease);
        if (this.signal.aborted) return;
        continue;
      }
      room--;
      this.launch(shard, from, lease);
    }
    if (refused) this.retryLater();
  }

  /** Shards whose parents are read to their end and that are not themselves (see `readyShards`). */
  private readyToRead(): ShardMeta[] {
    return readyShards(this.opts.stream.meta.shards, (id) => this.isEnded(id));
  }

  private launch(shard: ShardMeta, from: number, lease: Lease): void {
    const controller = new AbortController();
    const signal = AbortSignal.any([this.signal, controller.signal]);
    const worker: Worker = { lease, controller, done: Promise.resolve() };
    const task: ShardTask = { shard, from, signal, get lease() { return worker.lease; } };
    this.running.set(shard.shardId, worker);
    worker.done = (async () => {
      let outcome: ShardOutcome = 'stopped';
      try {
        outcome = await this.opts.process(task);
      } catch (err) {
        this.opts.logger?.error({ err, shardId: shard.shardId }, 'processing a shard failed; it is retried from its checkpoint');
      }
      if (outcome === 'ended') this.ended.add(shard.shardId);
      await this.opts.leases.release(worker.lease).catch(() => false);
      // Leaves `running` in the same step as it queues what follows (see `idle`).
      this.running.delete(shard.shardId);
      if (this.signal.aborted) return;
      if (outcome === 'ended') this.requestScan();
      else this.retryLater();
    })();
  }

  private async renewAll(): Promise<void> {
    for (const [shardId, w] of this.running) {
      const renewed = await this.opts.leases.renew(w.lease).catch(() => undefined);
      if (renewed) {
        w.lease = renewed;
        continue;
      }
      this.opts.logger?.warn({ shardId, owner: this.opts.owner }, 'lost the lease of a shard; its reader stops');
      this.stopWorker(w);
    }
    if (this.opts.balancer && !this.signal.aborted && !this.isDraining) await this.rebalance(this.opts.balancer).catch((err: unknown) => {
      this.opts.logger?.warn({ err, owner: this.opts.owner }, 'could not balance shards with other nodes; retrying at the next renewal');
    });
  }

  /**
   * Give up the leases above a fair share (their readers stop, then release them, so another
   * node starts from their checkpoints), or look for shards to take when below it.
   */
  private async rebalance(balancer: LeaseBalancer): Promise<void> {
    const plan = await balancer.plan(this.opts.owner, this.readyToRead().length);
    if (plan.shed > 0) {
      const excess = [...this.running.entries()].slice(-plan.shed);
      for (const [shardId, w] of excess) {
        this.opts.logger?.warn({ shardId, owner: this.opts.owner, target: plan.target }, 'handing a shard over to another node (rebalancing)');
        this.stopWorker(w);
      }
    } else if (plan.take > 0 && this.readyToRead().some((s) => !this.running.has(s.shardId))) {
      this.requestScan();
    }
  }

  private stopWorker(w: Worker): void {
    w.controller.abort();
    this.bump();
  }
}
