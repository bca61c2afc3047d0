import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/delivery/buffer/batcher.js';

describe('Batcher', () => {
  it('is full at the byte or record limit and never splits an item', () => {
    const b = new Batcher<number>({ maxBytes: 100, maxRecords: 3, intervalMs: 1000 }, () => 0);
    expect(b.add(1, 40)).toBe(false);
    expect(b.wouldOverflow(70)).toBe(true);
    expect(b.add(2, 70)).toBe(true);
    expect(b.flush()).toMatchObject({ items: [1, 2], bytes: 110 });
    expect(b.wouldOverflow(500)).toBe(false); // an empty batch takes any single item
    b.add(1, 1);
    b.add(2, 1);
    expect(b.add(3, 1)).toBe(true);
  });

  it('counts the interval from the first item', () => {
    let now = 1000;
    const b = new Batcher<string>({ maxBytes: 1e9, intervalMs: 500 }, () => now);
    expect(b.timeUntilFlush()).toBe(Infinity);
    b.add('a', 1);
    now = 1200;
    b.add('b', 1);
    expect(b.timeUntilFlush()).toBe(300);
    now = 2000;
    expect(b.timeUntilFlush()).toBe(0);
    b.flush();
    expect(b.timeUntilFlush()).toBe(Infinity);
  });
});
