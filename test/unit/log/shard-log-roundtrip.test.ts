import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardLog } from '../../../src/stream/log/index.js';
import { defaultIo, type LogIo } from '../../../src/stream/log/io.js';
import { entry, memoryLogger, range, segmentFiles, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const logs: ShardLog[] = [];
const open = async (opts: Partial<Parameters<typeof ShardLog.open>[0]> = {}) => {
  const log = await ShardLog.open({ dir, fsync: false, logger: memoryLogger(), ...opts });
  logs.push(log);
  return log;
};

beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  await cleanup();
});

describe('ShardLog append/read', () => {
  it('starts empty with one segment file named by position 0', async () => {
    const log = await open();
    expect([log.nextPosition, log.durablePosition, log.trimPosition]).toEqual([0, 0, 0]);
    expect(await log.read(0)).toEqual([]);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000000.seg']);
  });

  it('round-trips binary, empty and 1 MiB records with their keys and arrival times', async () => {
    let t = 1_700_000_000_000;
    const log = await open({ fsync: true, now: () => t });
    const binary = Buffer.from(range(256).map((i) => i));
    const big = Buffer.alloc(1024 * 1024, 0xab);
    big.writeUInt32LE(0xdeadbeef, 500_000);
    const r1 = await log.append([{ partitionKey: 'bin', data: binary }, { partitionKey: 'empty', data: Buffer.alloc(0) }]);
    t += 5;
    const r2 = await log.append([{ partitionKey: 'ключ-ü', data: big }]);
    expect(r1).toEqual([{ position: 0, arrivedAt: 1_700_000_000_000 }, { position: 1, arrivedAt: 1_700_000_000_000 }]);
    expect(r2).toEqual([{ position: 2, arrivedAt: 1_700_000_000_005 }]);
    const recs = await log.read(0);
    expect(recs.map((r) => [r.position, r.partitionKey, r.arrivedAt])).toEqual([
      [0, 'bin', 1_700_000_000_000], [1, 'empty', 1_700_000_000_000], [2, 'ключ-ü', 1_700_000_000_005]]);
    expect(recs[0].data.equals(binary)).toBe(true);
    expect(recs[1].data.length).toBe(0);
    expect(recs[2].data.equals(big)).toBe(true);
    expect(log.durablePosition).toBe(3);
    expect(log.stats.flushes).toBe(2);
  });

  it('never lets arrival times go backwards', async () => {
    let t = 1000;
    const log = await open({ now: () => t });
    await log.append([entry(0)]);
    t = 500;
    const [r] = await log.append([entry(1)]);
    expect(r.arrivedAt).toBe(1000);
  });

  it('rolls segments, reads from any position across them, and survives reopen', async () => {
    const log = await open({ segmentBytes: 2000 });
    const n = 600;
    for (let i = 0; i < n; i += 20) await log.append(range(20, i).map((j) => entry(j, 1 + (j % 90))));
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(10);
    expect(files[0]).toBe('00000000000000000000.seg');
    expect(log.stats.rolls).toBe(files.length - 1);
    // Segment names are the first position inside: reading at that name yields that position.
    for (const f of files) {
      const base = Number(f.slice(0, 20));
      const [rec] = await log.read(base, { maxRecords: 1 });
      expect(rec.position).toBe(base);
    }
    const check = async (l: ShardLog) => {
      const all = await l.read(0);
      expect(all.map((r) => r.position)).toEqual(range(n));
      for (const r of all) expect(r.data.equals(entry(r.position, 1 + (r.position % 90)).data)).toBe(true);
      for (const from of [0, 1, 57, 299, 300, 301, 598, 599]) {
        const got = await l.read(from, { maxRecords: 7 });
        expect(got.map((r) => r.position)).toEqual(range(Math.min(7, n - from), from));
        expect(got[0].partitionKey).toBe(`k${from}`);
      }
      expect(await l.read(n)).toEqual([]);
      expect(await l.read(n + 100)).toEqual([]);
    };
    await check(log);
    await log.close();
    const again = await open({ segmentBytes: 2000 });
    expect(again.nextPosition).toBe(n);
    await check(again);
    const [r] = await again.append([entry(n)]);
    expect(r.position).toBe(n);
  });

  it('keeps one oversized record in a segment of its own', async () => {
    const log = await open({ segmentBytes: 1000 });
    await log.append([entry(0, 100)]);
    await log.append([entry(1, 5000)]);
    await log.append([entry(2, 100)]);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000000.seg', '00000000000000000001.seg', '00000000000000000002.seg']);
    expect((await log.read(0)).map((r) => r.data.length)).toEqual([100, 5000, 100]);
  });

  it('honours maxRecords and maxBytes but always returns one record', async () => {
    const log = await open();
    await log.append(range(10).map((i) => ({ partitionKey: 'p', data: Buffer.alloc(100, i) })));
    expect((await log.read(0, { maxRecords: 3 })).map((r) => r.position)).toEqual([0, 1, 2]);
    // Each record counts 101 bytes (data + key): 350 bytes fit three.
    expect((await log.read(2, { maxBytes: 350 })).map((r) => r.position)).toEqual([2, 3, 4]);
    expect((await log.read(4, { maxBytes: 10 })).map((r) => r.position)).toEqual([4]);
    expect((await log.read(8, { maxBytes: 1, maxRecords: 5 })).map((r) => r.position)).toEqual([8]);
  });

  it('returns [] for an empty append and rejects an oversized partition key without using a position', async () => {
    const log = await open();
    expect(await log.append([])).toEqual([]);
    await expect(log.append([{ partitionKey: 'x'.repeat(70_000), data: Buffer.alloc(1) }])).rejects.toThrow(/partition key/);
    expect(log.nextPosition).toBe(0);
    expect((await log.append([entry(0)]))[0].position).toBe(0);
  });

  it('seeks through the sparse index instead of scanning from the segment start', async () => {
    let bytesRead = 0;
    const io: Partial<LogIo> = {
      read: async (fd, buf, off, len, pos) => {
        const n = await defaultIo.read(fd, buf, off, len, pos);
        bytesRead += n;
        return n;
      },
    };
    const log = await open({ io });
    const per = 500;
    for (let i = 0; i < 16_000; i += per) await log.append(range(per, i).map((j) => entry(j, 1000))); // ~16 MiB, one segment
    bytesRead = 0;
    const [rec] = await log.read(15_000, { maxRecords: 1 });
    expect(rec.position).toBe(15_000);
    expect(rec.data.equals(entry(15_000, 1000).data)).toBe(true);
    expect(bytesRead).toBeLessThanOrEqual(1024 * 1024); // one chunk, not 15 MiB
    await log.close();

    // After reopen the index is rebuilt from recovery's scan of the (last) segment.
    const again = await open({ io });
    bytesRead = 0;
    expect((await again.read(12_345, { maxRecords: 2 })).map((r) => r.position)).toEqual([12_345, 12_346]);
    expect(bytesRead).toBeLessThanOrEqual(1024 * 1024);
  });

  it('builds the index of a sealed segment lazily on first read', async () => {
    let bytesRead = 0;
    const io: Partial<LogIo> = {
      read: async (fd, buf, off, len, pos) => {
        const n = await defaultIo.read(fd, buf, off, len, pos);
        bytesRead += n;
        return n;
      },
    };
    const log = await open({ io, segmentBytes: 8 * 1024 * 1024 });
    for (let i = 0; i < 10_000; i += 500) await log.append(range(500, i).map((j) => entry(j, 1000)));
    await log.close();
    const again = await open({ io, segmentBytes: 8 * 1024 * 1024 });
    expect((await segmentFiles(dir)).length).toBe(2);
    bytesRead = 0;
    const first = await again.read(7000, { maxRecords: 1 }); // sealed segment 0: scans up to 7000
    expect(first[0].position).toBe(7000);
    expect(bytesRead).toBeGreaterThan(6 * 1024 * 1024);
    bytesRead = 0;
    const second = await again.read(3000, { maxRecords: 1 }); // now indexed
    expect(second[0].position).toBe(3000);
    expect(bytesRead).toBeLessThanOrEqual(1024 * 1024);
  });
});
