import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { crc32c, jsCrc32c } from '../../../src/stream/log/crc.js';
import { giveBuffer, pooledBytes, takeBuffer } from '../../../src/stream/log/encode-pool.js';
import { HEADER_BYTES, checkFrame, encodeBatch, frameArrivedAt, frameLength, framePosition } from '../../../src/stream/log/frame.js';
import { SparseIndex } from '../../../src/stream/log/sparse-index.js';

describe('crc32c', () => {
  it('matches the native implementation at every length around the JS/native switch', () => {
    const buf = Buffer.alloc(1200);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
    for (let len = 0; len <= 1100; len += len < 300 ? 1 : 37) {
      const want = nativeCrc32c(buf.subarray(3, 3 + len));
      expect(jsCrc32c(buf, 3, 3 + len)).toBe(want);
      expect(crc32c(buf, 3, 3 + len)).toBe(want);
    }
    expect(jsCrc32c(Buffer.from('123456789'), 0, 9)).toBe(0xe3069283); // the standard check value
  });
});

describe('frame codec', () => {
  it('encodes consecutive frames that decode and validate, including non-ASCII keys and positions above 2^32', () => {
    const first = 2 ** 33 + 5;
    const entries = [
      { partitionKey: 'a', data: Buffer.from('hello') },
      { partitionKey: 'ключ', data: Buffer.alloc(0) },
      { partitionKey: '', data: Buffer.alloc(300, 1) },
    ];
    const buf = encodeBatch(entries, first, 1234.5);
    let off = 0;
    for (let i = 0; i < entries.length; i++) {
      const len = frameLength(buf, off);
      const pk = Buffer.byteLength(entries[i].partitionKey);
      expect(len).toBe(HEADER_BYTES + pk + entries[i].data.length);
      expect(framePosition(buf, off)).toBe(first + i);
      expect(frameArrivedAt(buf, off)).toBe(1234.5);
      expect(buf.toString('utf8', off + HEADER_BYTES, off + HEADER_BYTES + pk)).toBe(entries[i].partitionKey);
      expect(buf.subarray(off + HEADER_BYTES + pk, off + len).equals(entries[i].data)).toBe(true);
      expect(checkFrame(buf, off, first + i)).toBeNull();
      expect(checkFrame(buf, off, first + i + 1)).toBe('position');
      off += len;
    }
    expect(off).toBe(buf.length);
    buf[HEADER_BYTES + 2] ^= 1; // a data byte of frame 0
    expect(checkFrame(buf, 0, first)).toBe('crc');
  });

  it('reuses large encode buffers once given back', () => {
    const before = pooledBytes();
    const a = takeBuffer(100_000);
    expect(a.length).toBe(100_000);
    giveBuffer(a);
    expect(pooledBytes()).toBe(before + 131_072);
    const b = takeBuffer(120_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pooledBytes()).toBe(before);
    giveBuffer(Buffer.alloc(10)); // small buffers are not pooled
    expect(pooledBytes()).toBe(before);
  });
});

describe('SparseIndex', () => {
  it('adds entries every interval at the frontier and seeks to the closest one below', () => {
    const idx = new SparseIndex(100, 1000);
    for (let i = 0; i < 50; i++) idx.observe(100 + i, i * 300, 10 + i, 300);
    idx.observe(5, 0, 0, 300); // not at the frontier: ignored
    expect(idx.size).toBe(13); // offsets 0, 1200, 2400, ...
    expect(idx.frontierPosition).toBe(150);
    expect(idx.seek(100)).toEqual({ position: 100, offset: 0 });
    expect(idx.seek(103)).toEqual({ position: 100, offset: 0 });
    expect(idx.seek(104)).toEqual({ position: 104, offset: 1200 });
    expect(idx.seek(149)).toEqual({ position: 148, offset: 14_400 });
    expect(idx.seek(500)).toEqual({ position: 150, offset: 15_000 }); // beyond: the frontier
    expect(idx.seekTime(10)).toBeNull();
    expect(idx.seekTime(15)).toEqual({ position: 104, offset: 1200 });
    expect(idx.seekTime(1000)).toEqual({ position: 150, offset: 15_000 });
  });
});
