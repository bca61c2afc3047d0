import { join } from 'node:path';
import type { ShardRange } from '../../core/record.js';
import { readJsonFile, writeFileAtomic } from '../../util/atomic-file.js';
import { SHARD_END, type Checkpoint, type CheckpointSource } from '../../stream/consumer/checkpoint.js';
import type { Lease } from '../../stream/consumer/lease.js';

/**
 * A batch that was cut from the log and is being delivered. Everything needed to deliver it
 * again byte-for-byte to the same place is recorded before the first attempt, so a batch
 * replayed after a crash overwrites the same object instead of making a duplicate.
 */
export interface PendingBatch {
  id: string;
  ranges: ShardRange[];
  /** Destination-specific, fixed at cut time (e.g. bucket, key, compression). */
  target: Record<string, unknown>;
  cutAt: number;
}

interface JournalState {
  /** Per shard: the position after the last record cut into a batch. */
  cut: Record<string, number>;
  /** Batches cut but not yet delivered, in cut order. */
  pending: PendingBatch[];
  /** Closed shards whose every record is in a journaled batch (`SHARD_END`): their children may be read. */
  ended?: string[];
}

/** A shared journal refused a batch: this node no longer holds the leases of `shards`. */
export class LeaseLostError extends Error {
  constructor(readonly shards: string[]) {
    super(`the leases of ${shards.join(', ')} are no longer held by this node`);
    this.name = 'LeaseLostError';
  }
}

/**
 * A delivery pipeline's journal: what was cut, what is pending, which closed shards ended.
 * `CheckpointJournal` keeps it in a file (one node); `RedisDeliveryJournal` in Redis, shared by
 * the nodes that take turns holding each shard's lease.
 */
export interface DeliveryJournal extends CheckpointSource {
  /**
   * True when other nodes write the same journal (each for the shards it holds): pending batches
   * are replayed per shard when its lease is taken, not all at start.
   */
  readonly shared?: boolean;
  committed(shardId: string): number;
  resumePosition(shardId: string): number;
  checkpoint(shardId: string): Checkpoint | undefined;
  pending(): PendingBatch[];
  /**
   * Record a batch before its first attempt. `fences` are the leases the batch's shards are read
   * under: a shared journal refuses the batch (`LeaseLostError`) when one is no longer held,
   * since another node then reads those records.
   */
  begin(batch: PendingBatch, ended?: string[], fences?: Lease[]): Promise<void>;
  markEnded(shardIds: string[]): Promise<void>;
  complete(id: string): Promise<void>;
  replan(id: string, target: Record<string, unknown>): Promise<void>;
  has(id: string): boolean;
  /** A pending batch by id, read from shared storage when there is one (another node may have cut it). */
  lookup?(id: string): Promise<PendingBatch | undefined>;
  sync(): Promise<void>;
  close(): void;
  skipTo(shardId: string, position: number): Promise<void>;
}

/**
 * The checkpoint of one consumer of a stream, kept in the data dir and replaced atomically.
 * `begin` records a batch before it is sent; `complete` removes it. A shard's committed
 * position (everything below it delivered) is the first position still pending in that shard,
 * or the cut position when nothing is pending: the highest contiguous delivered point.
 */
export class CheckpointJournal implements DeliveryJournal {
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private constructor(private readonly path: string, private state: JournalState) {}

  static async open(dir: string): Promise<CheckpointJournal> {
    const path = join(dir, 'checkpoint.json');
    const state = (await readJsonFile<JournalState>(path)) ?? { cut: {}, pending: [] };
    return new CheckpointJournal(path, state);
  }

  /** Every position below this in the shard has been delivered. */
  committed(shardId: string): number {
    let pos = this.state.cut[shardId] ?? 0;
    for (const b of this.state.pending) for (const r of b.ranges) if (r.shardId === shardId && r.first < pos) pos = r.first;
    return pos;
  }

  /** Where reading resumes in a shard: after the last record cut into a batch. */
  resumePosition(shardId: string): number {
    return this.state.cut[shardId] ?? 0;
  }

  /** The reading checkpoint of a shard: `SHARD_END`, the cut position, or undefined when never recorded. */
  checkpoint(shardId: string): Checkpoint | undefined {
    if (this.state.ended?.includes(shardId)) return SHARD_END;
    return this.state.cut[shardId];
  }

  pending(): PendingBatch[] {
    return [...this.state.pending];
  }

  /**
   * Record a batch (durably) before its first delivery attempt; `ended` are shards whose last
   * records are in it (or in earlier batches), recorded in the same write.
   */
  begin(batch: PendingBatch, ended: string[] = []): Promise<void> {
    this.state.pending.push(batch);
    for (const r of batch.ranges) this.state.cut[r.shardId] = Math.max(this.state.cut[r.shardId] ?? 0, r.last + 1);
    this.addEnded(ended);
    return this.persist();
  }

  /** Record that every record of these closed shards is in a journaled batch. */
  markEnded(shardIds: string[]): Promise<void> {
    this.addEnded(shardIds);
    return this.persist();
  }

  private addEnded(shardIds: string[]): void {
    for (const id of shardIds) {
      this.state.ended ??= [];
      if (!this.state.ended.includes(id)) this.state.ended.push(id);
    }
  }

  /** Mark a batch delivered (or backed up): it leaves the journal. */
  complete(id: string): Promise<void> {
    this.state.pending = this.state.pending.filter((b) => b.id !== id);
    return this.persist();
  }

  /** Give a pending batch a new target (its destination changed type before it was delivered). */
  replan(id: string, target: Record<string, unknown>): Promise<void> {
    const b = this.state.pending.find((p) => p.id === id);
    if (!b) return Promise.resolve();
    b.target = target;
    return this.persist();
  }

  has(id: string): boolean {
    return this.state.pending.some((b) => b.id === id);
  }

  /** Write the current state again (after a failed write). */
  sync(): Promise<void> {
    return this.persist();
  }

  /** No more writes: a stopped consumer must never touch the file again (its directory may be reused). */
  close(): void {
    this.closed = true;
  }

  /** Skip positions that can no longer be read (e.g. removed by retention) so reading resumes past them. */
  skipTo(shardId: string, position: number): Promise<void> {
    if ((this.state.cut[shardId] ?? 0) >= position) return Promise.resolve();
    this.state.cut[shardId] = position;
    return this.persist();
  }

  private persist(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`checkpoint journal ${this.path} is closed`));
    const snapshot = JSON.stringify(this.state);
    // Writes are serialised; a failed write does not poison later ones (the next write carries the full state).
    const next = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.path, snapshot));
    this.writing = next;
    return next;
  }
}
