import type { Redis } from 'ioredis';
import { SHARD_END, checkMove, type Checkpoint, type CheckpointStore } from '../consumer/checkpoint.js';
import type { Lease } from '../consumer/lease.js';
import { unavailable } from './connection.js';
import type { RedisKeys } from './keys.js';
import { scriptErrorCode } from './lua-script.js';
import { SET_CHECKPOINT } from './lease-scripts.js';

export interface RedisCheckpointStoreOptions {
  client: Redis;
  keys: RedisKeys;
  /** The consumer's lease group (see `RedisLeaseStore`). */
  group: string;
  /** The consumer's lease key of a shard is `leasePrefix + shardId` (the coordinator's `leaseKey`). */
  leasePrefix: string;
  /** Clock of fenced writes (must be the lease store's); default `Date.now`. */
  now?: () => number;
}

/**
 * A consumer's checkpoints in Redis, kept in the lease hash of each shard (as the KCL keeps its
 * checkpoint in the lease item), so a fenced write checks the grant and moves the checkpoint in
 * one script. Reads are served from memory: loaded at open, refreshed per shard when a node
 * takes the shard over (`refresh`), updated by this node's writes.
 */
export class RedisCheckpointStore implements CheckpointStore {
  private readonly state = new Map<string, Checkpoint>();

  private constructor(private readonly o: RedisCheckpointStoreOptions) {}

  static async open(opts: RedisCheckpointStoreOptions): Promise<RedisCheckpointStore> {
    const store = new RedisCheckpointStore(opts);
    try {
      const keys = await opts.client.smembers(opts.keys.leaseGroup(opts.group));
      const mine = keys.filter((k) => k.startsWith(opts.leasePrefix)).map((k) => k.slice(opts.leasePrefix.length));
      await Promise.all(mine.map((shardId) => store.refresh(shardId)));
    } catch (err) {
      throw unavailable(err, `loading the checkpoints of ${opts.group} failed`);
    }
    return store;
  }

  checkpoint(shardId: string): Checkpoint | undefined {
    return this.state.get(shardId);
  }

  all(): Record<string, Checkpoint> {
    return Object.fromEntries(this.state);
  }

  async refresh(shardId: string): Promise<Checkpoint | undefined> {
    let raw: string | null;
    try {
      raw = await this.o.client.hget(this.leaseKey(shardId), 'checkpoint');
    } catch (err) {
      throw unavailable(err, `reading the checkpoint of ${shardId} failed`);
    }
    const cp = parse(raw);
    if (cp === undefined) this.state.delete(shardId);
    else this.state.set(shardId, cp);
    return cp;
  }

  async set(shardId: string, checkpoint: Checkpoint, fence?: Lease): Promise<void> {
    const refused = checkMove(shardId, this.state.get(shardId), checkpoint);
    if (refused) throw refused;
    const args: (string | number)[] = [String(checkpoint)];
    if (fence) args.push(fence.owner, fence.counter, (this.o.now ?? Date.now)());
    try {
      await Promise.all([
        this.o.client.sadd(this.o.keys.leaseGroup(this.o.group), this.o.leasePrefix + shardId),
        SET_CHECKPOINT.run(this.o.client, [this.leaseKey(shardId)], args),
      ]);
    } catch (err) {
      const code = scriptErrorCode(err);
      if (code === 'FENCED') throw new Error(`checkpoint of shard ${shardId} refused: lease ${fence?.key} (counter ${fence?.counter}) is no longer held`, { cause: err });
      if (code === 'BEHIND' || code === 'ENDED') {
        // Another node moved it: learn where it is, and refuse as the local check would have.
        await this.refresh(shardId).catch(() => undefined);
        throw checkMove(shardId, this.state.get(shardId), checkpoint) ?? new Error(`checkpoint of shard ${shardId} refused: ${(err as Error).message}`);
      }
      throw unavailable(err, `writing the checkpoint of ${shardId} failed`);
    }
    this.state.set(shardId, checkpoint);
  }

  private leaseKey(shardId: string): string {
    return this.o.keys.lease(this.o.leasePrefix + shardId);
  }
}

function parse(raw: string | null): Checkpoint | undefined {
  if (raw === null) return undefined;
  return raw === SHARD_END ? SHARD_END : Number(raw);
}
