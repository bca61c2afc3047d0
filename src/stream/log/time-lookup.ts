import { frameArrivedAt } from './frame.js';
import { SKIP_STOP, TAKE } from './scanner.js';
import { firstArrivedAt, indexFully, scanSegment, type ReadContext } from './reader.js';
import type { Segment } from './segment.js';

/**
 * The first position whose arrival time is >= `epochMs` (arrival times never decrease within a
 * shard), or the durable end if there is none. Binary search over the segments' first arrival
 * times, then a scan from the nearest sparse index entry.
 */
export async function positionAtTime(ctx: ReadContext, segments: readonly Segment[], epochMs: number): Promise<number> {
  if (segments.length === 0) return 0;
  const lastSeg = segments[segments.length - 1];
  let n = segments.length;
  if (lastSeg.base >= lastSeg.endPosition) n--; // an empty active segment has no arrival time
  let lo = 0;
  let hi = n - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((await firstArrivedAt(ctx, segments[mid])) < epochMs) { k = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (k < 0) return n > 0 ? segments[0].base : lastSeg.endPosition;
  const seg = segments[k];
  const start = seg.index.seekTime(epochMs) ?? { position: seg.base, offset: 0 };
  let answer = seg.endPosition;
  await scanSegment(ctx, seg, start, (buf, off, _len, _fileOffset, position) => {
    if (frameArrivedAt(buf, off) < epochMs) return TAKE;
    answer = position;
    return SKIP_STOP;
  });
  return answer;
}

/**
 * How many leading segments hold only records that arrived before `cutoff` (never counting the
 * last, active segment). A segment is known to be expired without reading it when the next
 * segment's first record is already older than the cutoff; otherwise it is indexed to its end
 * once to learn its newest arrival time.
 */
export async function countExpired(ctx: ReadContext, segments: readonly Segment[], cutoff: number): Promise<number> {
  let i = 0;
  for (; i < segments.length - 1; i++) {
    const seg = segments[i];
    if (seg.base >= seg.endPosition) continue; // holds nothing
    if ((await firstArrivedAt(ctx, segments[i + 1])) < cutoff) continue;
    await indexFully(ctx, seg);
    const newest = seg.lastArrivedAt;
    if (!(newest < cutoff)) break;
  }
  return i;
}
