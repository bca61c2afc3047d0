import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardLog } from '../../../src/stream/log/index.js';
import { defaultIo, type LogIo } from '../../../src/stream/log/io.js';
import { entry, memoryLogger, range, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let log: ShardLog | undefined;

beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  await log?.close();
  log = undefined;
  await cleanup();
});

describe('group commit', () => {
  it('gives 200 concurrent appends gap-free increasing positions in call order, sharing few fdatasyncs', async () => {
    let fdatasyncs = 0;
    const io: Partial<LogIo> = { fdatasync: (fd) => { fdatasyncs++; return defaultIo.fdatasync(fd); } };
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const calls = range(200).map((i) => log!.append([entry(i * 2), entry(i * 2 + 1)]));
    const results = await Promise.all(calls);
    const positions = results.flat().map((r) => r.position);
    expect(positions).toEqual(range(400)); // call order = position order, no gaps
    // Each call's records are on the log with its own data.
    const recs = await log.read(0);
    expect(recs.map((r) => r.partitionKey)).toEqual(range(400).map((i) => `k${i}`));
    expect(log.stats.appends).toBe(200);
    expect(log.stats.flushes).toBeLessThanOrEqual(5);
    expect(fdatasyncs).toBe(log.stats.flushes);
  });

  it('appends issued while a flush runs share the next flush', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const io: Partial<LogIo> = {
      fdatasync: async (fd) => {
        if (first) { first = false; await gate; }
        return defaultIo.fdatasync(fd);
      },
    };
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const a = log.append([entry(0)]);
    await new Promise((r) => setTimeout(r, 20)); // the first flush is now blocked in fdatasync
    const rest = range(50).map((i) => log!.append([entry(i + 1)]));
    expect(log.nextPosition).toBe(51);
    expect(log.durablePosition).toBe(0);
    release();
    await a;
    await Promise.all(rest);
    expect(log.stats.flushes).toBe(2);
    expect(log.durablePosition).toBe(51);
  });

  it('does not expose records to readers before they are durable', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const io: Partial<LogIo> = { fdatasync: async (fd) => { await gate; return defaultIo.fdatasync(fd); } };
    log = await ShardLog.open({ dir, io, logger: memoryLogger() });
    const p = log.append([entry(0)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(await log.read(0)).toEqual([]);
    release();
    await p;
    expect((await log.read(0)).length).toBe(1);
  });

  it('close waits for in-flight appends and later appends reject', async () => {
    log = await ShardLog.open({ dir, fsync: false, logger: memoryLogger() });
    const pending = range(20).map((i) => log!.append([entry(i)]));
    await log.close();
    expect((await Promise.all(pending)).length).toBe(20);
    await expect(log.append([entry(99)])).rejects.toThrow(/closed/);
    const again = await ShardLog.open({ dir, fsync: false, logger: memoryLogger() });
    expect(again.nextPosition).toBe(20);
    await again.close();
  });
});

describe('waitForData', () => {
  it('resolves immediately when data is already there, otherwise after the next flush', async () => {
    log = await ShardLog.open({ dir, fsync: false, logger: memoryLogger() });
    let woke = false;
    const w = log.waitForData(0).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(woke).toBe(false);
    await log.append([entry(0)]);
    await w;
    expect(woke).toBe(true);
    await log.waitForData(-1); // position 0 exists
    let woke2 = false;
    const w2 = log.waitForData(1).then(() => (woke2 = true));
    await log.append([entry(1)]); // position 1 now exists: durable end 2 > 1
    await w2;
    expect(woke2).toBe(true);
  });

  it('resolves on abort without data, and on close', async () => {
    log = await ShardLog.open({ dir, fsync: false, logger: memoryLogger() });
    const ac = new AbortController();
    let woke = false;
    const w = log.waitForData(5, ac.signal).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    ac.abort();
    await w;
    expect(log.durablePosition).toBe(0);
    await log.waitForData(0, ac.signal); // already aborted: immediate
    const onClose = log.waitForData(100);
    await log.close();
    await onClose;
  });
});
