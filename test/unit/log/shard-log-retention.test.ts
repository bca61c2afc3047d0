import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardLog } from '../../../src/stream/log/index.js';
import { entry, memoryLogger, range, segmentFiles, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let t = 0;
const logs: ShardLog[] = [];
const open = async () => {
  const log = await ShardLog.open({ dir, fsync: false, segmentBytes: 1000, now: () => t, logger: memoryLogger() });
  logs.push(log);
  return log;
};

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  t = 1_000_000;
});
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  await cleanup();
});

/** 10 records of ~126 bytes per "minute": about one segment (1000 bytes) per minute. */
async function fill(log: ShardLog, minutes: number): Promise<void> {
  for (let m = 0; m < minutes; m++) {
    for (let i = 0; i < 7; i++) await log.append([entry(log.nextPosition, 100)]);
    t += 60_000;
  }
}

describe('retention', () => {
  it('deletes only whole segments whose newest record is older than the cutoff, and moves trimPosition', async () => {
    const log = await open();
    await fill(log, 5); // arrivals at 1_000_000 + 60_000*m, m = 0..4; 7 records/segment
    const before = await segmentFiles(dir);
    expect(before.length).toBe(5);
    // now = t = 1_300_000; keep 150 s: cutoff 1_150_000 → minutes 0,1 (1_000_000, 1_060_000, ...1_120_000) expire
    const res = await log.applyRetention(150_000);
    expect(res).toEqual({ deletedSegments: 3, deletedRecords: 21 });
    expect(log.trimPosition).toBe(21);
    expect(await segmentFiles(dir)).toEqual(before.slice(3));
    const recs = await log.read(0);
    expect(recs[0].position).toBe(21); // reading below the trim starts at the trim
    expect(recs.map((r) => r.position)).toEqual(range(14, 21));
    expect(log.sizeBytes()).toBe(14 * (26 + 3 + 100));
  });

  it('keeps a segment that still holds one recent record', async () => {
    const log = await open();
    await log.append([entry(0, 100)]);
    t += 100_000;
    for (let i = 1; i < 7; i++) await log.append([entry(i, 100)]); // same segment, recent
    await log.append([entry(7, 900)]); // forces a roll; active segment
    expect((await segmentFiles(dir)).length).toBe(2);
    expect(await log.applyRetention(50_000)).toEqual({ deletedSegments: 0, deletedRecords: 0 });
    t += 60_000;
    expect(await log.applyRetention(50_000)).toEqual({ deletedSegments: 1, deletedRecords: 7 });
    expect(log.trimPosition).toBe(7);
  });

  it('never deletes the active segment, however old', async () => {
    const log = await open();
    await log.append([entry(0, 10)]);
    t += 10 * 86_400_000;
    expect(await log.applyRetention(1000)).toEqual({ deletedSegments: 0, deletedRecords: 0 });
    expect((await log.read(0)).length).toBe(1);
  });

  it('works after reopen on sealed segments it has not read yet', async () => {
    let log = await open();
    await fill(log, 4);
    await log.close();
    log = await open();
    expect(log.trimPosition).toBe(0);
    // cutoff = 1_200_000 - 100_000 = 1_100_000: minutes 0 and 1 (1_000_000, 1_060_000)
    expect(await log.applyRetention(100_000, 1_200_000)).toEqual({ deletedSegments: 2, deletedRecords: 14 });
    expect(log.trimPosition).toBe(14);
    expect((await log.read(0, { maxRecords: 1 }))[0].position).toBe(14);
  });
});

describe('positionAtTime', () => {
  it('finds the first record arriving at or after a time, across segments and after reopen', async () => {
    let log = await open();
    await fill(log, 4); // minute m: positions 7m..7m+6 at 1_000_000 + 60_000 m
    const check = async (l: ShardLog) => {
      expect(await l.positionAtTime(0)).toBe(0);
      expect(await l.positionAtTime(1_000_000)).toBe(0);
      expect(await l.positionAtTime(1_000_001)).toBe(7);
      expect(await l.positionAtTime(1_060_000)).toBe(7);
      expect(await l.positionAtTime(1_150_000)).toBe(21);
      expect(await l.positionAtTime(1_180_000)).toBe(21);
      expect(await l.positionAtTime(1_180_001)).toBe(28); // after everything: the durable end
    };
    await check(log);
    await log.close();
    log = await open();
    await check(log);
  });

  it('finds a time inside one large segment', async () => {
    const log = await ShardLog.open({ dir, fsync: false, now: () => t, logger: memoryLogger() });
    logs.push(log);
    for (let i = 0; i < 2000; i += 100) {
      await log.append(range(100, i).map((j) => entry(j, 2000)));
      t += 10;
    }
    expect(await log.positionAtTime(1_000_000 + 95)).toBe(1000);
    expect(await log.positionAtTime(1_000_000 + 190)).toBe(1900);
    expect(await log.positionAtTime(1_000_000 + 191)).toBe(2000);
  });

  it('is the trim position for times before it and 0 on an empty log', async () => {
    const log = await open();
    expect(await log.positionAtTime(5)).toBe(0);
    await fill(log, 3);
    await log.applyRetention(150_000); // now 1_180_000: cutoff 1_030_000 expires minute 0 only
    expect(log.trimPosition).toBe(7);
    expect(await log.positionAtTime(0)).toBe(7);
  });

  it('trimBefore deletes only segments wholly below a consumed position, never the active one', async () => {
    const log = await open();
    await fill(log, 4); // 4 segments of 7 records: bases 0, 7, 14, 21
    expect((await segmentFiles(dir)).length).toBe(4);
    expect(await log.trimBefore(13)).toEqual({ deletedSegments: 1, deletedRecords: 7 }); // 7..13 still has 13
    expect(log.trimPosition).toBe(7);
    expect(await log.trimBefore(14)).toEqual({ deletedSegments: 1, deletedRecords: 7 });
    expect(log.trimPosition).toBe(14);
    expect((await log.read(0)).map((r) => r.position)[0]).toBe(14);
    await log.trimBefore(1_000_000);
    expect((await segmentFiles(dir)).length).toBe(1); // the active segment stays
    expect(log.trimPosition).toBe(21);
  });
});
