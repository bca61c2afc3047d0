import type { ShardMeta } from './log-stream.js';

/**
 * Hash key → open shard. The open shards of a stream tile the 128-bit key space without gaps, so
 * a binary search over their starting keys finds the one holding a hash.
 */
export class ShardRouter {
  private readonly starts: bigint[];
  private readonly shards: ShardMeta[];

  constructor(open: ShardMeta[]) {
    this.shards = [...open].sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
    this.starts = this.shards.map((s) => BigInt(s.startingHashKey));
  }

  route(hash: bigint): ShardMeta {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= hash) lo = mid;
      else hi = mid - 1;
    }
    const shard = this.shards[lo];
    if (!shard) throw new Error('the stream has no open shard');
    return shard;
  }
}
