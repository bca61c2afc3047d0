import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  compareSequenceNumbers,
  decodeSequenceNumber,
  endingSequenceNumber,
  positionAfter,
  positionAt,
  recordSequenceNumber,
  startingSequenceNumber,
  type DecodedSequence,
} from '../../../src/stream/sequence.js';

/** kinesalite's own codec (it decodes AWS's layout; its suite was run against AWS). */
interface KinesaliteSeq { shardCreateTime: number; seqIx?: string; seqTime?: number; shardIx: number; version?: number; byte1?: string }
const kinesalite = createRequire(import.meta.url)('kinesalite/db') as {
  parseSequence(seq: string): KinesaliteSeq;
  stringifySequence(obj: KinesaliteSeq): string;
};

// Three fresh shards from the AWS CLI describe-stream example (stream created 2019-10-28T21:12:45Z).
const CLI_EXAMPLE = [
  '49600871682957036442365024926191073437251060580128653314',
  '49600871682979337187563555549332609155523708941634633746',
  '49600871683001637932762086172474144873796357303140614178',
];
const CLI_CREATED_AT = 1572297165000;

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const shard = { index: 3, createdAt: T0 };

function decoded(seq: string): DecodedSequence {
  const d = decodeSequenceNumber(seq);
  if (!d || 'legacy' in d) throw new Error(`${seq} did not decode as a layout-2 number`);
  return d;
}

describe('sequence number layout', () => {
  it('reproduces the AWS CLI example starting numbers of shards 0, 1 and 2 exactly', () => {
    for (let i = 0; i < 3; i++) {
      expect(startingSequenceNumber({ index: i, createdAt: CLI_CREATED_AT })).toBe(CLI_EXAMPLE[i]);
    }
    const step = 22300745198530623141535718272648361505980432n;
    expect(BigInt(CLI_EXAMPLE[1]) - BigInt(CLI_EXAMPLE[0])).toBe(step);
    expect(BigInt(CLI_EXAMPLE[2]) - BigInt(CLI_EXAMPLE[1])).toBe(step);
    expect(BigInt(startingSequenceNumber({ index: 1, createdAt: T0 })) - BigInt(startingSequenceNumber({ index: 0, createdAt: T0 }))).toBe(step);
  });

  it('decodes the AWS CLI example numbers into their shard and creation time', () => {
    CLI_EXAMPLE.forEach((seq, i) => {
      expect(decodeSequenceNumber(seq)).toEqual({ shardCreatedSec: 1572297165, shardIndex: i, counter: 0n, recordSec: 1572297165 });
    });
  });

  it('renders 56-digit decimals', () => {
    expect(recordSequenceNumber(shard, 0, T0 + 5)).toMatch(/^[1-9]\d{55}$/);
    expect(endingSequenceNumber(shard, T0 + 3_600_000)).toMatch(/^[1-9]\d{55}$/);
    expect(recordSequenceNumber({ index: 0x7fffffff, createdAt: T0 }, Number.MAX_SAFE_INTEGER - 1, T0)).toMatch(/^[1-9]\d{55}$/);
  });

  it('round-trips records, the start and the end through decode and the position helpers', () => {
    for (const position of [0, 1, 2, 999, 123_456_789, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER - 1]) {
      const arrivedAt = T0 + 42_999;
      const d = decoded(recordSequenceNumber(shard, position, arrivedAt));
      expect(d).toEqual({ shardCreatedSec: T0 / 1000, shardIndex: 3, counter: BigInt(position) + 1n, recordSec: T0 / 1000 + 42 });
      expect(positionAt(d)).toBe(position);
      expect(positionAfter(d)).toBe(position + 1);
    }
    const start = decoded(startingSequenceNumber(shard));
    expect(start).toEqual({ shardCreatedSec: T0 / 1000, shardIndex: 3, counter: 0n, recordSec: T0 / 1000 });
    expect(positionAt(start)).toBe(0);
    expect(positionAfter(start)).toBe(0);
    const end = decoded(endingSequenceNumber(shard, T0 + 7_000));
    expect(end).toEqual({ shardCreatedSec: T0 / 1000, shardIndex: 3, counter: 0x7fffffffffffffffn, recordSec: T0 / 1000 + 7 });
    expect(positionAt(end)).toBe(Number.MAX_SAFE_INTEGER);
    expect(positionAfter(end)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('keeps every shard index in its own field, including indexes above 15 and 2^31-1', () => {
    for (const index of [0, 15, 16, 17, 255, 4096, 65_537, 0x7fffffff]) {
      expect(decoded(recordSequenceNumber({ index, createdAt: T0 }, 10, T0)).shardIndex).toBe(index);
    }
  });

  it('increases with position, within a second and across seconds', () => {
    let prev = startingSequenceNumber(shard);
    let t = T0;
    for (let position = 0; position < 3000; position++) {
      if (position % 250 === 0) t += 1000 + (position % 3) * 137;
      const seq = recordSequenceNumber(shard, position, t);
      expect(compareSequenceNumbers(prev, seq)).toBe(-1);
      expect(BigInt(prev) < BigInt(seq)).toBe(true);
      prev = seq;
    }
    expect(compareSequenceNumbers(prev, endingSequenceNumber(shard, t))).toBe(-1);
  });

  it('orders by position even when a later record carries an earlier arrival second', () => {
    const later = recordSequenceNumber(shard, 11, T0);
    const earlier = recordSequenceNumber(shard, 10, T0 + 60_000);
    expect(BigInt(earlier) < BigInt(later)).toBe(true);
  });

  it('puts every record strictly between the shard start and its end', () => {
    const start = BigInt(startingSequenceNumber(shard));
    const end = BigInt(endingSequenceNumber(shard, T0 + 1000));
    for (const [position, at] of [[0, T0], [0, T0 + 9_999_999], [Number.MAX_SAFE_INTEGER - 1, T0 + 86_400_000], [5, T0 - 5000]] as const) {
      const seq = BigInt(recordSequenceNumber(shard, position, at));
      expect(seq > start && seq < end).toBe(true);
    }
  });

  it('gives the same answer whether or not the per-second cache is warm', () => {
    const other = { index: 4, createdAt: T0 + 1000 };
    const a = recordSequenceNumber(shard, 77, T0 + 2500);
    recordSequenceNumber(other, 77, T0 + 2500);
    recordSequenceNumber(shard, 77, T0 + 9500);
    expect(recordSequenceNumber(shard, 77, T0 + 2500)).toBe(a);
    expect(decoded(recordSequenceNumber(other, 77, T0 + 2500)).shardIndex).toBe(4);
    expect(decoded(recordSequenceNumber({ index: 3, createdAt: T0 + 1000 }, 77, T0 + 2500)).shardCreatedSec).toBe(T0 / 1000 + 1);
  });

  it('rejects positions, indexes and times the layout cannot hold', () => {
    expect(() => recordSequenceNumber(shard, -1, T0)).toThrow(RangeError);
    expect(() => recordSequenceNumber(shard, 1.5, T0)).toThrow(RangeError);
    expect(() => recordSequenceNumber(shard, Number.MAX_SAFE_INTEGER + 1, T0)).toThrow(RangeError);
    expect(() => recordSequenceNumber({ index: -1, createdAt: T0 }, 0, T0)).toThrow(RangeError);
    expect(() => recordSequenceNumber({ index: 2 ** 31, createdAt: T0 }, 0, T0)).toThrow(RangeError);
    expect(() => recordSequenceNumber(shard, 0, Number.NaN)).toThrow(RangeError);
    expect(() => recordSequenceNumber({ index: 0, createdAt: -1000 }, 0, T0)).toThrow(RangeError);
    expect(() => startingSequenceNumber({ index: 0, createdAt: 16025175000 * 1000 })).toThrow(RangeError);
  });
});

describe('agreement with kinesalite', () => {
  it('kinesalite parses our numbers into the same fields', () => {
    const seq = recordSequenceNumber({ index: 21, createdAt: T0 }, 40, T0 + 12_345);
    expect(kinesalite.parseSequence(seq)).toEqual({
      shardCreateTime: T0, seqIx: '41', byte1: '00', seqTime: T0 + 12_000, shardIx: 21, version: 2,
    });
    expect(kinesalite.parseSequence(startingSequenceNumber({ index: 2, createdAt: T0 }))).toMatchObject({ seqIx: '0', shardIx: 2, seqTime: T0 });
    expect(kinesalite.parseSequence(endingSequenceNumber({ index: 2, createdAt: T0 }, T0 + 5000)))
      .toMatchObject({ seqIx: '9223372036854775807', shardIx: 2, seqTime: T0 + 5000 });
  });

  it('writes the same digits as kinesalite for the same fields, for every low nibble of the shard index', () => {
    for (const index of [0, 1, 7, 8, 9, 14, 15, 16, 31, 250, 0x7fffffff]) {
      const s = { index, createdAt: T0 };
      expect(startingSequenceNumber(s)).toBe(kinesalite.stringifySequence({ shardCreateTime: T0, seqIx: '0', shardIx: index }));
      expect(recordSequenceNumber(s, 99, T0 + 61_500))
        .toBe(kinesalite.stringifySequence({ shardCreateTime: T0, seqIx: '100', seqTime: T0 + 61_000, shardIx: index }));
    }
  });

  it('decodes numbers kinesalite produces, as it would hand them to clients', () => {
    const cases: KinesaliteSeq[] = [
      { shardCreateTime: 1421889000000, seqIx: '0', shardIx: 0 },
      { shardCreateTime: 1421889000000, seqIx: '17', seqTime: 1421889722000, shardIx: 4 },
      { shardCreateTime: 1700000000000, seqIx: '9007199254740993', seqTime: 1700000100000, shardIx: 1234 },
    ];
    for (const c of cases) {
      const seq = kinesalite.stringifySequence(c);
      expect(decodeSequenceNumber(seq)).toEqual({
        shardCreatedSec: c.shardCreateTime / 1000,
        shardIndex: c.shardIx,
        counter: BigInt(c.seqIx ?? '0'),
        recordSec: (c.seqTime ?? c.shardCreateTime) / 1000,
      });
    }
    // kinesalite's counter is a bare index; ours is position + 1, so its record "17" is our position 16
    expect(positionAt(decoded(kinesalite.stringifySequence(cases[1])))).toBe(16);
  });

  it('decodes the real AWS numbers quoted by the KPL tests (children of a split share a creation time)', () => {
    expect(decodeSequenceNumber('49549169978943246555030591128013184047489460388642160674'))
      .toEqual({ shardCreatedSec: 0x55145df0, shardIndex: 2, counter: 0n, recordSec: 0x55145df0 });
    expect(decodeSequenceNumber('49549169978965547300229121751154719765762108750148141106'))
      .toEqual({ shardCreatedSec: 0x55145df0, shardIndex: 3, counter: 0n, recordSec: 0x55145df0 });
  });
});

describe('decodeSequenceNumber on foreign input', () => {
  it('reports small numbers as the legacy layout with the shard index in the low 16 bits', () => {
    expect(decodeSequenceNumber('0')).toEqual({ legacy: true, shardIndex: 0 });
    expect(decodeSequenceNumber('5')).toEqual({ legacy: true, shardIndex: 5 });
    expect(decodeSequenceNumber(String(0x10002))).toEqual({ legacy: true, shardIndex: 2 });
    // AWS reads "425352958651173072921826052383309826" (< 2^124) as an old number of shardId-000000000002
    expect(decodeSequenceNumber('425352958651173072921826052383309826')).toEqual({ legacy: true, shardIndex: 2 });
    // 32 hex digits are old numbers too (AWS: "did not come from this stream", not "invalid")
    expect(decodeSequenceNumber(BigInt('0xf3bb2cc3d7ff7fffffffffffffff0000').toString())).toEqual({ legacy: true, shardIndex: 0 });
  });

  it('rejects old numbers whose creation date AWS calls invalid', () => {
    expect(decodeSequenceNumber(BigInt('0x13bb2cc3d80000000000000000000000').toString())).toBeUndefined();
  });

  it('rejects a set top bit in the counter or in the shard index', () => {
    expect(decodeSequenceNumber(BigInt('0x20000000000800000000000000000000000000000000002').toString())).toBeUndefined();
    expect(decodeSequenceNumber(BigInt('0x20000000000000000000000000000000000000800000002').toString())).toBeUndefined();
    expect(decodeSequenceNumber(BigInt('0x20000000000700000000000000000000000000700000002').toString())).toMatchObject({ shardIndex: 0x70000000 });
  });

  it('rejects other versions, lengths and non-decimal text', () => {
    const good = recordSequenceNumber(shard, 9, T0);
    const big = BigInt(good);
    for (const bad of [
      '', ' ', '-1', '+5', '01', '5.0', '1e5', 'abc', ` ${good}`, `${good} `, `0x${big.toString(16)}`,
      (big - 2n + 1n).toString(), // version nibble 1
      (big + 1n).toString(), // version nibble 3
      BigInt('0x' + '3' + big.toString(16).slice(1)).toString(), // leading hex digit 3
      (big * 16n).toString(), // 48 hex digits
      (big >> 4n).toString(), // 46 hex digits
      (1n << 150n).toString(), // between the two layouts
      '9'.repeat(130), // longer than the model allows
    ]) {
      expect(decodeSequenceNumber(bad), bad).toBeUndefined();
    }
    expect(decodeSequenceNumber(undefined as unknown as string)).toBeUndefined();
  });
});

describe('compareSequenceNumbers', () => {
  it('compares as big integers, not as text or floating point', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers('10', '9')).toBe(1);
    expect(compareSequenceNumbers('123', '123')).toBe(0);
    const a = '49600871682957036442365024926191073437251060580128653314';
    const b = (BigInt(a) + 1n).toString();
    expect(Number(a) === Number(b)).toBe(true); // indistinguishable as doubles
    expect(compareSequenceNumbers(a, b)).toBe(-1);
    expect(compareSequenceNumbers(b, a)).toBe(1);
    expect(compareSequenceNumbers('007', '7')).toBe(0);
    expect(compareSequenceNumbers('0010', '9')).toBe(1);
    expect(() => compareSequenceNumbers('0x10', '9')).toThrow(SyntaxError);
  });
});
