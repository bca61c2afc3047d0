import type { LogRecord } from '../../core/record.js';
import type { BufferPool } from './buffer-pool.js';
import type { FdCache } from './fd-cache.js';
import { HEADER_BYTES, frameArrivedAt, framePartitionKeyBytes } from './frame.js';
import type { LogIo } from './io.js';
import { SKIP_STOP, TAKE, TAKE_STOP, scanFrames, type FrameVisitor, type ScanResult } from './scanner.js';
import type { Segment } from './segment.js';
import { SlabAllocator } from '../../util/slab.js';

/** Record copies come from slabs (see SlabAllocator for why). */
const slabs = new SlabAllocator();
import type { IndexPoint } from './sparse-index.js';

export interface ReadContext {
  io: LogIo;
  fds: FdCache;
  pool: BufferPool;
  logger: { warn(obj: object, msg: string): void };
  /** The segment being appended to (corruption there is an error, not a skippable gap). */
  active(): Segment;
}

/** Find the segment holding `position`: the last one whose base is <= position (-1 if none). */
export function findSegment(segments: readonly Segment[], position: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].base <= position) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/**
 * Scans one segment from `from` with a pooled buffer, feeding every frame seen to the segment's
 * lazy index. Returns null if the segment was deleted by retention meanwhile. A corrupt frame in a
 * sealed segment is logged and remembered (reads stop there and continue with the next segment);
 * in the active segment it is an error.
 */
export async function scanSegment(ctx: ReadContext, seg: Segment, from: IndexPoint, visit: FrameVisitor): Promise<ScanResult | null> {
  let lease;
  try {
    lease = await ctx.fds.acquire(seg.path);
  } catch (err) {
    if (seg.deleted && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const range = { start: from.offset, end: seg.readableEnd, position: from.position, endPosition: seg.endPosition };
    const chunk = ctx.pool.take();
    let res: ScanResult;
    try {
      res = await scanFrames(ctx.io, lease.fd, range, chunk, (buf, off, len, fileOffset, position) => {
        seg.index.observe(position, fileOffset, frameArrivedAt(buf, off), len);
        return visit(buf, off, len, fileOffset, position);
      });
    } finally {
      ctx.pool.give(chunk);
    }
    if (res.stop === 'fault') {
      if (seg === ctx.active()) {
        throw new Error(`shard log: corrupt frame (${res.fault}) at byte ${res.offset} of active segment ${seg.path}`);
      }
      if (seg.corruptAt === null || res.offset < seg.corruptAt) {
        seg.corruptAt = res.offset;
        ctx.logger.warn({ file: seg.path, fault: res.fault, offset: res.offset, position: res.position, lostPositions: seg.endPosition - res.position },
          'shard log: corrupt frame in a sealed segment; reads skip from here to the next segment');
      }
    }
    return res;
  } finally {
    ctx.fds.release(lease);
  }
}

/**
 * Records with position >= `from`, in order, within the given segments: at most `maxRecords`, and
 * stopping before `maxBytes` (data + partition key bytes) would be passed, but always at least one.
 */
export async function readRecords(ctx: ReadContext, segments: readonly Segment[], from: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  let bytes = 0;
  const visit: FrameVisitor = (buf, off, len, _fileOffset, position) => {
    if (position < from) return TAKE;
    const pkLen = framePartitionKeyBytes(buf, off);
    const size = len - HEADER_BYTES;
    if (out.length > 0 && bytes + size > maxBytes) return SKIP_STOP;
    const dataStart = off + HEADER_BYTES + pkLen;
    const data = slabs.alloc(off + len - dataStart);
    buf.copy(data, 0, dataStart, off + len);
    out.push({ position, arrivedAt: frameArrivedAt(buf, off), partitionKey: buf.toString('utf8', off + HEADER_BYTES, dataStart), data });
    bytes += size;
    return out.length >= maxRecords ? TAKE_STOP : TAKE;
  };
  for (let i = Math.max(0, findSegment(segments, from)); i < segments.length; i++) {
    const seg = segments[i];
    if (from >= seg.endPosition) continue;
    const start = from <= seg.base ? { position: seg.base, offset: 0 } : seg.index.seek(from);
    if (start.offset >= seg.readableEnd) continue; // nothing readable (corrupt or deleted part)
    const res = await scanSegment(ctx, seg, start, visit);
    if (res?.stop === 'visitor') break;
  }
  return out;
}

/** Scans a segment to its end so its index knows every frame (and its newest arrival time). */
export async function indexFully(ctx: ReadContext, seg: Segment): Promise<void> {
  if (seg.fullyIndexed) return;
  const { frontierPosition: position, frontierOffset: offset } = seg.index;
  await scanSegment(ctx, seg, { position, offset }, () => TAKE);
}

/** Arrival time of a segment's first record (NaN if it has none), read once and cached. */
export async function firstArrivedAt(ctx: ReadContext, seg: Segment): Promise<number> {
  if (!Number.isNaN(seg.firstArrivedAt)) return seg.firstArrivedAt;
  if (seg.index.size === 0 && seg.base < seg.endPosition && seg.readableEnd > 0) {
    await scanSegment(ctx, seg, { position: seg.base, offset: 0 }, () => TAKE_STOP);
  }
  seg.firstArrivedAt = seg.index.firstArrivedAt;
  return seg.firstArrivedAt;
}
