import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardLog } from '../../../src/stream/log/index.js';
import { defaultIo, type LogIo } from '../../../src/stream/log/io.js';
import { entry, memoryLogger, range, segmentFiles, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let log: ShardLog | undefined;

beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  await log?.close();
  log = undefined;
  await cleanup();
});

const eio = () => Object.assign(new Error('EIO: i/o error (injected)'), { code: 'EIO' });

/** An io whose `op` fails once when `armed` is set. */
function faulty(op: 'writev' | 'fdatasync' | 'open' | 'ftruncate') {
  const state = { armed: false, times: 1 };
  const io: Partial<LogIo> = {
    [op]: async (...args: unknown[]) => {
      if (state.armed && state.times > 0) {
        state.times--;
        throw eio();
      }
      // Forward to the real call; the argument list matches by construction.
      return (defaultIo[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    },
  };
  return { io, state };
}

/** An fdatasync whose call number `which` waits for `release()`, then fails (or succeeds). */
function gatedSync(which: number, fail: boolean) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const io: Partial<LogIo> = {
    fdatasync: async (fd) => {
      if (++calls === which) {
        await gate;
        if (fail) throw eio();
      }
      return defaultIo.fdatasync(fd);
    },
  };
  return { io, release: () => release() };
}

async function fileSizes(): Promise<number[]> {
  return Promise.all((await segmentFiles(dir)).map(async (f) => (await stat(join(dir, f))).size));
}

describe('failed flushes', () => {
  for (const op of ['writev', 'fdatasync'] as const) {
    it(`a failing ${op} rejects the flush and everything queued, rolls back, and the log goes on`, async () => {
      const { io, state } = faulty(op);
      const logger = memoryLogger();
      log = await ShardLog.open({ dir, io, logger });
      await log.append(range(5).map((i) => entry(i)));
      const sizeBefore = await fileSizes();
      state.armed = true;
      const failing = range(10).map((i) => log!.append([entry(100 + i)]));
      const settled = await Promise.allSettled(failing);
      expect(settled.every((s) => s.status === 'rejected' && /EIO/.test(String(s.reason)))).toBe(true);
      expect(log.nextPosition).toBe(5);
      expect(log.durablePosition).toBe(5);
      expect(await fileSizes()).toEqual(sizeBefore); // the failed bytes were truncated away
      expect(log.stats.failedFlushes).toBe(1);
      expect(logger.warnings.some((w) => /flush failed/.test(w.msg))).toBe(true);
      const [r] = await log.append([entry(5)]);
      expect(r.position).toBe(5);
      expect((await log.read(0)).map((x) => x.partitionKey)).toEqual(range(6).map((i) => `k${i}`));
      await log.close();
      log = await ShardLog.open({ dir, logger: memoryLogger() });
      expect(log.nextPosition).toBe(6);
    });
  }

  it('appends queued behind a failing flush are rejected too and do not leave gaps', async () => {
    const { io, release } = gatedSync(1, true);
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const first = log.append([entry(0)]);
    await new Promise((r) => setTimeout(r, 20));
    const queued = log.append([entry(1)]); // position 1, waiting for the next flush
    release();
    await expect(first).rejects.toThrow(/EIO/);
    await expect(queued).rejects.toThrow(/EIO/);
    expect((await log.append([entry(7)]))[0].position).toBe(0);
  });

  it('removes a segment created by a roll in a flush that failed', async () => {
    let calls = 0;
    let failOn = -1;
    const io: Partial<LogIo> = {
      fdatasync: async (fd) => {
        calls++;
        if (calls === failOn) throw eio();
        return defaultIo.fdatasync(fd);
      },
    };
    const logger = memoryLogger();
    log = await ShardLog.open({ dir, io, segmentBytes: 300, logger });
    await log.append([entry(0, 200)]);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000000.seg']);
    // The next flush rolls: fdatasync #1 seals segment 0, #2 syncs the new segment 1 and fails.
    failOn = calls + 2;
    await expect(log.append([entry(1, 200)])).rejects.toThrow(/EIO/);
    expect(logger.warnings.map((w) => w.msg)).toEqual(['shard log flush failed; appends rejected']);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000000.seg']);
    expect(log.nextPosition).toBe(1);
    const [r] = await log.append([entry(1, 200)]);
    expect(r.position).toBe(1);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000000.seg', '00000000000000000001.seg']);
    expect((await log.read(0)).map((x) => x.position)).toEqual([0, 1]);
  });

  it('refuses appends until reopened when the clean-up fails too, but still serves reads', async () => {
    const w = faulty('writev');
    const t = faulty('ftruncate');
    log = await ShardLog.open({ dir, io: { ...w.io, ...t.io }, logger: memoryLogger() });
    await log.append([entry(0)]);
    w.state.armed = true;
    t.state.armed = true;
    await expect(log.append([entry(1)])).rejects.toThrow(/EIO/);
    await expect(log.append([entry(2)])).rejects.toThrow(/reopen/);
    expect((await log.read(0)).length).toBe(1);
    await log.close();
    log = await ShardLog.open({ dir, logger: memoryLogger() });
    expect(log.nextPosition).toBe(1);
    expect((await log.append([entry(1)]))[0].position).toBe(1);
  });

  it('a group written while the previous sync runs is rolled back with it when that sync fails, rolls included', async () => {
    const { io: syncIo, release } = gatedSync(2, true);
    let writes = 0;
    const io: Partial<LogIo> = {
      ...syncIo,
      writev: async (...args: Parameters<LogIo['writev']>) => {
        writes++;
        return defaultIo.writev(...args);
      },
    };
    log = await ShardLog.open({ dir, io, segmentBytes: 300, logger: memoryLogger() });
    await log.append([entry(0, 100)]); // sync #1 ok
    const sizeBefore = await fileSizes();
    const first = log.append([entry(1, 100)]); // its sync (#2) hangs, then fails
    await new Promise((r) => setTimeout(r, 20));
    const writesBefore = writes;
    const second = log.append([entry(2, 200)]); // written during sync #2, and rolls to a new segment
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toBeGreaterThan(writesBefore); // the pipeline wrote it without waiting for the sync
    expect(await segmentFiles(dir)).toHaveLength(2);
    release();
    await expect(first).rejects.toThrow(/EIO/);
    await expect(second).rejects.toThrow(/EIO/);
    expect(await segmentFiles(dir)).toHaveLength(1);
    expect(await fileSizes()).toEqual(sizeBefore);
    expect(log.durablePosition).toBe(1);
    expect((await log.append([entry(9, 50)]))[0].position).toBe(1);
    expect((await log.read(0)).map((r) => r.partitionKey)).toEqual(['k0', 'k9']);
  });

  it('groups written during a sync become durable in order once it succeeds', async () => {
    const { io, release } = gatedSync(1, false);
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const a = log.append([entry(0)]);
    await new Promise((r) => setTimeout(r, 20));
    const b = log.append([entry(1), entry(2)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(log.durablePosition).toBe(0);
    expect(await log.read(0)).toEqual([]); // written but not durable: not readable
    release();
    expect((await a).map((r) => r.position)).toEqual([0]);
    expect((await b).map((r) => r.position)).toEqual([1, 2]);
    expect((await log.read(0)).map((r) => r.partitionKey)).toEqual(['k0', 'k1', 'k2']);
  });

  it('a sync that fails while the next group is being written rejects both, without an unhandled rejection', async () => {
    let syncs = 0;
    let writes = 0;
    const io: Partial<LogIo> = {
      fdatasync: async (fd) => {
        syncs++;
        if (syncs === 2) { await new Promise((r) => setTimeout(r, 5)); throw eio(); }
        return defaultIo.fdatasync(fd);
      },
      writev: async (...args: Parameters<LogIo['writev']>) => {
        writes++;
        if (writes === 2) await new Promise((r) => setTimeout(r, 10)); // b is queued meanwhile
        if (writes === 3) await new Promise((r) => setTimeout(r, 60)); // still writing when sync #2 fails
        return defaultIo.writev(...args);
      },
    };
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    await log.append([entry(0)]); // write 1, sync 1
    const a = log.append([entry(1)]); // write 2, sync 2 (fails after 10 ms)
    await new Promise((r) => setTimeout(r, 2));
    const b = log.append([entry(2)]); // write 3 (slow) overlaps the failing sync
    await expect(a).rejects.toThrow(/EIO/);
    await expect(b).rejects.toThrow(/EIO/);
    expect(log.durablePosition).toBe(1);
    expect((await log.append([entry(3)]))[0].position).toBe(1);
  });

  it('keeps acknowledging while appends arrive without pause (a finished sync is never starved)', async () => {
    const io: Partial<LogIo> = {
      fdatasync: async (fd) => {
        await new Promise((r) => setTimeout(r, 8));
        return defaultIo.fdatasync(fd);
      },
      writev: async (...args: Parameters<LogIo['writev']>) => {
        await new Promise((r) => setTimeout(r, 2)); // a write outlasts the gap between appends
        return defaultIo.writev(...args);
      },
    };
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const start = Date.now();
    let firstAck = 0;
    const pending: Promise<unknown>[] = [];
    while (Date.now() - start < 300) {
      pending.push(log.append([entry(pending.length)]).then(() => { if (!firstAck) firstAck = Date.now() - start; }));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(firstAck).toBeGreaterThan(0);
    expect(firstAck).toBeLessThan(150);
    await Promise.all(pending);
  });
});
