import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendEntry } from '../../src/core/record.js';
import type { ShardLogBackend } from '../../src/stream/log/index.js';
import { BACKENDS, type BackendUnderTest } from './backends.js';

const rec = (i: number, size = 8): AppendEntry => ({ partitionKey: `key-${i % 5}`, data: Buffer.alloc(size, i & 0xff) });
const batch = (from: number, n: number, size?: number) => Array.from({ length: n }, (_, i) => rec(from + i, size));

describe.each(BACKENDS)('shard log contract: $name', (factory) => {
  let b: BackendUnderTest;
  let log: ShardLogBackend;
  beforeEach(async () => {
    b = await factory.setup();
    log = await b.openLog('shardId-000000000000');
  });
  afterEach(() => b.cleanup());

  it('numbers records 0, 1, 2, … in append order and reads them back whole', async () => {
    expect([log.nextPosition, log.trimPosition]).toEqual([0, 0]);
    const first = await log.appendBatch(batch(0, 3));
    expect(first).toEqual({ first: 0, count: 3, arrivedAt: b.clock.now });
    b.clock.now += 5;
    const second = await log.append(batch(3, 2));
    expect(second).toEqual([{ position: 3, arrivedAt: b.clock.now }, { position: 4, arrivedAt: b.clock.now }]);
    expect(await log.positions()).toEqual({ next: 5, durable: 5, trim: 0 });
    expect([log.nextPosition, log.durablePosition]).toEqual([5, 5]);

    const all = await log.read(0);
    expect(all.map((r) => r.position)).toEqual([0, 1, 2, 3, 4]);
    expect(all.map((r) => r.partitionKey)).toEqual(['key-0', 'key-1', 'key-2', 'key-3', 'key-4']);
    expect(all.map((r) => r.data)).toEqual(batch(0, 5).map((e) => e.data));
    expect(all.map((r) => r.arrivedAt)).toEqual([0, 0, 0, 5, 5].map((d) => 1_700_000_000_000 + d));
    expect((await log.read(3)).map((r) => r.position)).toEqual([3, 4]);
    expect(await log.read(5)).toEqual([]);
    expect(await log.read(500)).toEqual([]);
  });

  it('keeps empty data, empty and multi-byte partition keys and binary bytes', async () => {
    const odd: AppendEntry[] = [
      { partitionKey: '', data: Buffer.alloc(0) },
      { partitionKey: 'clé-ü-日本', data: Buffer.from([0, 255, 10, 13, 0]) },
    ];
    await log.appendBatch(odd);
    const back = await log.read(0);
    expect(back.map((r) => [r.partitionKey, r.data])).toEqual(odd.map((e) => [e.partitionKey, e.data]));
  });

  it('an empty append stores nothing and takes no position', async () => {
    await log.appendBatch(batch(0, 2));
    expect((await log.appendBatch([])).count).toBe(0);
    await log.appendBatch(batch(2, 1));
    expect((await log.read(0)).map((r) => r.position)).toEqual([0, 1, 2]);
  });

  it('limits reads by records and by bytes, returning at least one record', async () => {
    await log.appendBatch(batch(0, 50, 100));
    expect((await log.read(10, { maxRecords: 7 })).map((r) => r.position)).toEqual([10, 11, 12, 13, 14, 15, 16]);
    // 105 bytes a record (100 data + 5 key): 3 fit in 330 bytes.
    expect((await log.read(0, { maxBytes: 330 })).length).toBe(3);
    expect((await log.read(0, { maxBytes: 1 })).length).toBe(1);
    const whole: number[] = [];
    for (let pos = 0; pos < 50;) {
      const part = await log.read(pos, { maxRecords: 9 });
      whole.push(...part.map((r) => r.position));
      pos = part[part.length - 1].position + 1;
    }
    expect(whole).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('keeps appends from concurrent callers whole and in per-caller order', async () => {
    const callers = Array.from({ length: 8 }, (_, c) => (async () => {
      const got: number[] = [];
      for (let k = 0; k < 5; k++) {
        const r = await log.appendBatch([{ partitionKey: `caller-${c}`, data: Buffer.from(`${c}:${k}:a`) }, { partitionKey: `caller-${c}`, data: Buffer.from(`${c}:${k}:b`) }]);
        got.push(r.first);
      }
      return got;
    })());
    const firsts = (await Promise.all(callers)).flat();
    expect(new Set(firsts).size).toBe(40);
    const records = await log.read(0);
    expect(records.length).toBe(80);
    for (const r of records) {
      const [c, k, part] = r.data.toString().split(':');
      // The two records of one append are adjacent: a batch is never split or interleaved.
      if (part === 'a') expect(records[r.position + 1].data.toString()).toBe(`${c}:${k}:b`);
    }
    for (let c = 0; c < 8; c++) {
      const mine = records.filter((r) => r.partitionKey === `caller-${c}`).map((r) => r.data.toString());
      expect(mine).toEqual(Array.from({ length: 5 }, (_, k) => [`${c}:${k}:a`, `${c}:${k}:b`]).flat());
    }
  });

  it('never lets arrival times go backwards, even when the clock does', async () => {
    await log.appendBatch(batch(0, 1));
    b.clock.now -= 10_000;
    const r = await log.appendBatch(batch(1, 1));
    expect(r.arrivedAt).toBe(b.clock.now + 10_000);
    const times = (await log.read(0)).map((x) => x.arrivedAt);
    expect(times[1]).toBeGreaterThanOrEqual(times[0]);
  });

  it('finds the first position at or after a time (AT_TIMESTAMP)', async () => {
    const t0 = b.clock.now;
    await log.appendBatch(batch(0, 3)); // t0
    b.clock.now = t0 + 1_000;
    await log.appendBatch(batch(3, 3)); // t0 + 1 s
    b.clock.now = t0 + 2_000;
    await log.appendBatch(batch(6, 3)); // t0 + 2 s
    expect(await log.positionAtTime(0)).toBe(0);
    expect(await log.positionAtTime(t0)).toBe(0);
    expect(await log.positionAtTime(t0 + 1)).toBe(3);
    expect(await log.positionAtTime(t0 + 1_000)).toBe(3);
    expect(await log.positionAtTime(t0 + 1_500)).toBe(6);
    expect(await log.positionAtTime(t0 + 2_000)).toBe(6);
    expect(await log.positionAtTime(t0 + 2_001)).toBe(9);
  });

  it('retention removes what arrived before the cutoff and nothing after it', async () => {
    const t0 = b.clock.now;
    for (let k = 0; k < 3; k++) {
      b.clock.now = t0 + k * 1_000;
      await log.appendBatch(batch(3 * k, 3));
    }
    const hour = 3_600_000;
    expect(await log.applyRetention(hour, t0 + hour)).toMatchObject({ deletedRecords: 0 });
    expect(log.trimPosition).toBe(0);
    // Cutoff t0 + 1.5 s: the six records of t0 and t0 + 1 s go.
    const res = await log.applyRetention(hour, t0 + hour + 1_500);
    expect(res.deletedRecords).toBe(6);
    expect(log.trimPosition).toBe(6);
    expect((await log.positions()).trim).toBe(6);
    expect((await log.read(0)).map((r) => r.position)).toEqual([6, 7, 8]);
    expect(await log.positionAtTime(0)).toBe(6);
    // Positions continue after a trim.
    expect((await log.appendBatch(batch(9, 1))).first).toBe(9);
  });

  it('trimBefore drops what a sole reader consumed, and never past the end', async () => {
    await log.appendBatch(batch(0, 10));
    expect((await log.trimBefore(4)).deletedRecords).toBe(4);
    expect(log.trimPosition).toBe(4);
    expect((await log.read(0))[0].position).toBe(4);
    expect((await log.trimBefore(2)).deletedRecords).toBe(0);
    expect(log.trimPosition).toBe(4);
  });

  it('waitForData resolves once a record at the position exists, at abort, and at once when it already does', async () => {
    await log.appendBatch(batch(0, 2));
    await log.waitForData(1); // position 1 exists
    let woke = false;
    const waiting = log.waitForData(2).then(() => { woke = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    await log.appendBatch(batch(2, 1));
    await waiting;
    expect(woke).toBe(true);

    const ctl = new AbortController();
    const parked = log.waitForData(10, ctl.signal);
    ctl.abort();
    await parked;
    expect(log.nextPosition).toBe(3);
  });

  it('keeps its records across close and reopen, and continues the numbering', async () => {
    await log.appendBatch(batch(0, 4));
    await log.close();
    await expect(log.read(0)).rejects.toThrow(/closed/);
    await expect(log.appendBatch(batch(4, 1))).rejects.toThrow(/closed/);
    const again = await b.openLog('shardId-000000000000');
    expect(again.nextPosition).toBe(4);
    expect((await again.appendBatch(batch(4, 1))).first).toBe(4);
    expect((await again.read(0)).length).toBe(5);
  });

  it('waiters are released when the log closes', async () => {
    const parked = log.waitForData(0);
    await log.close();
    await parked;
  });

  it('destroy deletes the data; a shard of the same name starts empty', async () => {
    await log.appendBatch(batch(0, 4));
    await log.destroy();
    const fresh = await b.openLog('shardId-000000000000');
    expect(fresh.nextPosition).toBe(0);
    expect(await fresh.read(0)).toEqual([]);
  });

  it('shards are independent', async () => {
    const other = await b.openLog('shardId-000000000001');
    await log.appendBatch(batch(0, 3));
    await other.appendBatch(batch(0, 1));
    expect((await other.read(0)).length).toBe(1);
    expect(other.nextPosition).toBe(1);
    expect(log.nextPosition).toBe(3);
  });
});
