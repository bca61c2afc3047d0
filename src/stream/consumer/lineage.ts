import type { ShardMeta } from '../log-stream.js';

/** The shards a shard was created from: one after a split, two after a merge, none at stream creation. */
export function parentsOf(shard: ShardMeta): string[] {
  const out: string[] = [];
  if (shard.parentShardId !== undefined) out.push(shard.parentShardId);
  if (shard.adjacentParentShardId !== undefined) out.push(shard.adjacentParentShardId);
  return out;
}

/**
 * The shards a consumer may read now, in shard order: not yet read to their end, and every
 * parent read to its end (after a merge, both). That is what keeps per-key order across a
 * reshard: a key's records in a parent all come before its records in a child. A parent the
 * list does not know counts as finished.
 */
export function readyShards(shards: readonly ShardMeta[], isEnded: (shardId: string) => boolean): ShardMeta[] {
  const known = new Set(shards.map((s) => s.shardId));
  return shards.filter((s) => !isEnded(s.shardId) && parentsOf(s).every((p) => !known.has(p) || isEnded(p)));
}

/** True when `position` is past the last record of a shard a reshard has finished closing. */
export function isReadToEnd(shard: ShardMeta, position: number): boolean {
  return shard.endPosition !== undefined && position >= shard.endPosition;
}
