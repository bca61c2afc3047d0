import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogIo } from './io.js';
import { frameArrivedAt } from './frame.js';
import { TAKE, scanFrames } from './scanner.js';
import { Segment, parseSegmentFileName } from './segment.js';

export interface Recovered {
  segments: Segment[];
  /** Read-write descriptor on the last segment, positioned by explicit offsets. */
  fd: number;
}

export interface RecoveryOptions {
  dir: string;
  io: LogIo;
  fsync: boolean;
  chunk: Buffer;
  logger: { warn(obj: object, msg: string): void };
}

/**
 * Opens a shard directory: lists the segments, validates every frame of the last one (length
 * bounds, CRC, position sequence) and truncates it at the first torn or corrupt frame. Older,
 * sealed segments are only stat'ed; they are indexed lazily when read.
 */
export async function recover(o: RecoveryOptions): Promise<Recovered> {
  const { dir, io } = o;
  const created = await mkdir(dir, { recursive: true });
  if (created && o.fsync) await io.fsyncDir(dirname(created));

  const bases = (await readdir(dir))
    .map(parseSegmentFileName)
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);

  if (bases.length === 0) {
    const seg = new Segment(dir, 0, 0, 0);
    const fd = await io.open(seg.path, 'wx+');
    if (o.fsync) await io.fsyncDir(dir);
    return { segments: [seg], fd };
  }

  const segments: Segment[] = [];
  for (let i = 0; i < bases.length - 1; i++) {
    const seg = new Segment(dir, bases[i], 0, bases[i + 1]);
    seg.size = (await stat(seg.path)).size;
    segments.push(seg);
  }
  const lastBase = bases[bases.length - 1];
  const last = new Segment(dir, lastBase, 0, lastBase);
  segments.push(last);

  const fd = await io.open(last.path, 'r+');
  try {
    const fileSize = await io.fileSize(fd);
    const res = await scanFrames(io, fd, { start: 0, end: fileSize, position: lastBase }, o.chunk, (buf, off, len, fileOffset, position) => {
      last.index.observe(position, fileOffset, frameArrivedAt(buf, off), len);
      return TAKE;
    });
    if (res.stop === 'fault') {
      const cut = fileSize - res.offset;
      o.logger.warn({ file: last.path, fault: res.fault, validBytes: res.offset, cutBytes: cut, nextPosition: res.position },
        'shard log: torn or corrupt tail repaired by truncation');
      await io.ftruncate(fd, res.offset);
      if (o.fsync) await io.fdatasync(fd);
    }
    last.size = res.offset;
    last.endPosition = res.position;
    last.firstArrivedAt = last.index.firstArrivedAt;
    return { segments, fd };
  } catch (err) {
    await io.close(fd).catch(() => undefined);
    throw err;
  }
}
