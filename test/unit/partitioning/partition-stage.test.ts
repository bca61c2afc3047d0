import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/core/record.js';
import { PartitionStage, PartitionStopped, type StagedObject } from '../../../src/delivery/partitioning/partition-stage.js';

const HOUR = 3_600_000;
const rec = (text: string, arrivedAt = 1): LogRecord => ({ position: 0, arrivedAt, partitionKey: 'k', data: Buffer.from(text) });
const entry = (partition: string, text: string) => ({ partition, group: { partition }, record: rec(text) });

/** A stage whose writes wait until the test lets them finish. */
function stage(opts: { maxBytes?: number; limit?: number; cap?: number } = {}) {
  const written: StagedObject<{ partition: string }>[] = [];
  const gates = new Map<string, () => void>();
  let gated = false;
  const s = new PartitionStage<{ partition: string }>({
    limits: () => ({ maxBytes: opts.maxBytes ?? 1024, intervalMs: HOUR }),
    activePartitionLimit: opts.limit ?? 500,
    maxBufferedBytes: opts.cap ?? 1 << 20,
    write: async (o) => {
      if (gated) await new Promise<void>((r) => gates.set(o.partition, r));
      written.push(o);
    },
  });
  return {
    s, written,
    gate: () => { gated = true; },
    open: async (partition: string) => {
      while (!gates.has(partition)) await new Promise((r) => setImmediate(r));
      gates.get(partition)!();
      gates.delete(partition);
    },
  };
}

const state = async (p: Promise<void>) => {
  let v = 'pending';
  p.then(() => { v = 'resolved'; }, () => { v = 'rejected'; });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return v;
};
const texts = (o: StagedObject<unknown>) => o.records.map((r) => r.data.toString());

describe('partition stage (one buffer per partition)', () => {
  it('a source batch is durable only once every partition object holding its records is written', async () => {
    const { s, written, gate, open } = stage();
    gate();
    const a = s.route('A', [entry('p1', 'a1'), entry('p2', 'a2')]);
    const b = s.route('B', [entry('p2', 'b1'), entry('p2', 'b2')]);
    expect(a.refused).toEqual([]);
    const flushed = s.flush();
    expect(await state(a.durable)).toBe('pending');
    await open('p1');
    expect(await state(a.durable)).toBe('pending'); // p2 still holds a2
    await open('p2');
    await flushed;
    expect(await state(a.durable)).toBe('resolved');
    expect(await state(b.durable)).toBe('resolved');
    // ONE object per partition, holding the records of both source batches.
    expect(written.map((o) => [o.partition, texts(o)])).toEqual([['p1', ['a1']], ['p2', ['a2', 'b1', 'b2']]]);
    expect(written[1].identity).toBe('p2\0A:1,B:2');
  });

  it('cuts a partition when its own size is reached, and names objects from their contents', async () => {
    const run = async () => {
      const { s, written } = stage({ maxBytes: 6 });
      const a = s.route('A', [entry('p1', 'aaa'), entry('p2', 'x'), entry('p1', 'bbb'), entry('p1', 'cc')]);
      await s.flush();
      await a.durable;
      return written.map((o) => [o.partition, texts(o), o.identity]);
    };
    const first = await run();
    // p1 is full at 6 bytes (cut then); 'cc' starts its next buffer.
    expect(first).toEqual([['p1', ['aaa', 'bbb'], 'p1\0A:2'], ['p2', ['x'], 'p2\0A:1'], ['p1', ['cc'], 'p1\0A:1']]);
    expect(await run()).toEqual(first); // a replay filling buffers the same way gets the same identities
  });

  it('the active-partition limit counts partitions with an open or unwritten buffer, across source batches', async () => {
    const { s, gate, open } = stage({ limit: 2 });
    gate();
    const a = s.route('A', [entry('p1', '1'), entry('p2', '2'), entry('p3', '3')]);
    expect(a.refused).toEqual([2]);
    const b = s.route('B', [entry('p3', '4'), entry('p1', '5')]);
    expect(b.refused).toEqual([0]);
    expect(s.activeCount).toBe(2);
    const flushed = s.flush();
    await open('p1');
    await open('p2');
    await flushed;
    expect(s.activeCount).toBe(0);
    expect(s.route('C', [entry('p3', '6')]).refused).toEqual([]);
  });

  it('above the memory cap the largest buffer is written early and routing waits for it', async () => {
    const { s, written, gate, open } = stage({ cap: 10 });
    gate();
    s.route('A', [entry('small', 'xx'), entry('big', 'yyyyyyyy'), entry('small', 'z')]);
    expect(s.bufferedBytes).toBe(11);
    const relieved = s.relieve();
    expect(await state(relieved)).toBe('pending');
    await open('big');
    await relieved;
    expect(written.map((o) => o.partition)).toEqual(['big']);
    expect(s.bufferedBytes).toBe(3);
  });

  it('closing rejects what is not written yet: those source batches stay pending', async () => {
    const { s } = stage();
    const a = s.route('A', [entry('p1', 'a')]);
    s.close();
    await expect(a.durable).rejects.toBeInstanceOf(PartitionStopped);
    expect(() => s.route('B', [entry('p1', 'b')])).toThrow(PartitionStopped);
  });

  it('a source batch without records to buffer is durable at once', async () => {
    const { s } = stage();
    await expect(s.route('A', []).durable).resolves.toBeUndefined();
  });
});
