import { readJsonFile, writeFileAtomic } from '../../util/atomic-file.js';
import type { LogStream } from '../log-stream.js';
import type { Lease } from './lease.js';

/** The checkpoint of a shard that was read to its end (it was closed by a reshard): KCL's `SHARD_END`. */
export const SHARD_END = 'SHARD_END';

/**
 * Where a consumer stands in one shard: the next position to read (every record below it is
 * processed), or `SHARD_END` once the closed shard was read to its end, which lets its children
 * start.
 */
export type Checkpoint = number | typeof SHARD_END;

/** Read access to a consumer's checkpoints; `undefined` for a shard it has never recorded. */
export interface CheckpointSource {
  checkpoint(shardId: string): Checkpoint | undefined;
  /**
   * Re-read one shard's checkpoint from shared storage (another node may have moved it while it
   * held the shard); called after taking a shard's lease, before reading from the checkpoint.
   * Stores only this process writes need not implement it.
   */
  refresh?(shardId: string): Promise<Checkpoint | undefined>;
}

/**
 * A consumer's checkpoint storage: the embedded `FileCheckpointStore` and `RedisCheckpointStore`
 * both pass the contract suite. A shard at `SHARD_END` stays there; positions never move back.
 */
export interface CheckpointStore extends CheckpointSource {
  /** Every checkpoint recorded, by shard id. */
  all(): Record<string, Checkpoint>;
  /**
   * Record a checkpoint; resolves once it is durable. With `fence`, a shared store refuses the
   * write unless that lease grant is still current (a node that lost the shard cannot move it).
   */
  set(shardId: string, checkpoint: Checkpoint, fence?: Lease): Promise<void>;
}

/** Refuses a checkpoint write that would move backwards or leave SHARD_END (the store's one rule). */
export function checkMove(shardId: string, current: Checkpoint | undefined, next: Checkpoint): Error | undefined {
  if (current === SHARD_END && next !== SHARD_END) return new Error(`shard ${shardId} is already checkpointed at SHARD_END`);
  if (typeof current === 'number' && typeof next === 'number' && next < current) return new Error(`checkpoint ${next} of shard ${shardId} is behind ${current}`);
  return undefined;
}

/**
 * The checkpoints of one consumer of a stream in one JSON file, replaced atomically on every
 * change (so a crash leaves the old or the new set, never a mix). Writes are serialised. A shard
 * at `SHARD_END` stays there: checkpointing a position after it is a bug in the caller.
 */
export class FileCheckpointStore implements CheckpointStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string, private readonly state: Record<string, Checkpoint>) {}

  static async open(path: string): Promise<FileCheckpointStore> {
    return new FileCheckpointStore(path, (await readJsonFile<Record<string, Checkpoint>>(path)) ?? {});
  }

  checkpoint(shardId: string): Checkpoint | undefined {
    return this.state[shardId];
  }

  /** Every checkpoint recorded, by shard id. */
  all(): Record<string, Checkpoint> {
    return { ...this.state };
  }

  /**
   * Record a checkpoint; resolves once it is durable. Positions never move backwards. `fence` is
   * not checked: one process owns the file (its callers check their lease before writing).
   */
  set(shardId: string, checkpoint: Checkpoint, _fence?: Lease): Promise<void> {
    const refused = checkMove(shardId, this.state[shardId], checkpoint);
    if (refused) return Promise.reject(refused);
    this.state[shardId] = checkpoint;
    const snapshot = JSON.stringify(this.state);
    // A failed write does not poison later ones: the next write carries the whole state.
    const next = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.path, snapshot));
    this.writing = next;
    return next;
  }
}

/**
 * Checkpoints at the tip of every shard right now (Kinesis `LATEST`): open shards at the
 * position the next record gets, shards a reshard has finished closing at `SHARD_END`. Taken in
 * one synchronous pass, so it is consistent with the shard set it was taken from; a shard
 * created afterwards is not listed and is read from its beginning.
 */
export function latestCheckpoints(stream: LogStream): Record<string, Checkpoint> {
  const out: Record<string, Checkpoint> = {};
  for (const shard of stream.meta.shards) {
    out[shard.shardId] = shard.endPosition !== undefined ? SHARD_END : stream.log(shard.shardId).nextPosition;
  }
  return out;
}
