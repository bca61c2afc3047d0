import { evenHashRanges } from '../hash.js';
import type { ShardMeta } from '../log-stream.js';

export type ScalingStep = { kind: 'split'; at: bigint } | { kind: 'merge'; start: bigint; end: bigint };

/**
 * UpdateShardCount with UNIFORM_SCALING, as real splits and merges (so lineage stays what
 * consumers expect): first split open shards at every target boundary that falls inside one,
 * then merge, inside each target range, the pieces it holds. The result is exactly the even
 * ranges CreateStream would have made for `target` shards.
 */
export function uniformScalingPlan(open: ShardMeta[], target: number): { steps: ScalingStep[]; peakExtraShards: number } {
  const ranges = evenHashRanges(target);
  const boundaries = new Set(open.map((s) => BigInt(s.startingHashKey)));
  const steps: ScalingStep[] = [];
  let pieces = open.length;
  for (const r of ranges) {
    if (!boundaries.has(r.start)) {
      steps.push({ kind: 'split', at: r.start });
      boundaries.add(r.start);
      pieces++;
    }
  }
  const peakExtraShards = pieces - open.length;
  for (const r of ranges) steps.push({ kind: 'merge', start: r.start, end: r.end });
  return { steps, peakExtraShards };
}

/**
 * Where to split a hot shard: the median of its recently written hash keys, so the load divides;
 * the middle of its range when the sample cannot give a valid split point.
 */
export function pickSplitKey(shard: ShardMeta, sample: bigint[]): bigint | undefined {
  const start = BigInt(shard.startingHashKey);
  const end = BigInt(shard.endingHashKey);
  const valid = (k: bigint) => k > start + 1n && k < end;
  if (sample.length > 1) {
    const sorted = [...sample].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const median = sorted[sorted.length >> 1];
    if (valid(median) && sorted[0] !== sorted[sorted.length - 1]) return median;
  }
  const mid = start + (end - start + 1n) / 2n;
  return valid(mid) ? mid : undefined;
}
