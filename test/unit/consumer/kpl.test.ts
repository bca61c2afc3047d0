import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordAggregator, deaggregateSync } from 'aws-kinesis-agg';
import { KPL_MAGIC, deaggregate, expandAggregate } from '../../../src/stream/consumer/kpl.js';

interface UserInput {
  partitionKey: string;
  data: Buffer;
  explicitHashKey?: string;
}

/** Pack user records the way the KPL does, with the awslabs aggregation library. */
function aggregate(records: UserInput[]): Buffer {
  const agg = new RecordAggregator();
  for (const r of records) agg.addUserRecord({ ...r });
  return (agg.build() as { data: Buffer }).data;
}

/** An aggregate whose digest is right but whose protobuf is not (so only the parser can reject it). */
function withDigest(body: Buffer): Buffer {
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

describe('KPL de-aggregation', () => {
  it('unpacks user records in order with their partition keys, explicit hash keys and sub-sequence numbers', () => {
    const users: UserInput[] = [
      { partitionKey: 'alpha', data: Buffer.from('first') },
      { partitionKey: 'beta', data: Buffer.from('second'), explicitHashKey: '12345678901234567890' },
      { partitionKey: 'alpha', data: Buffer.from([0, 1, 2, 255]) },
    ];
    const out = deaggregate(aggregate(users))!;
    expect(out.map((u) => [u.partitionKey, u.explicitHashKey, u.data.toString('hex'), u.subSequenceNumber])).toEqual([
      ['alpha', undefined, Buffer.from('first').toString('hex'), 0],
      ['beta', '12345678901234567890', Buffer.from('second').toString('hex'), 1],
      ['alpha', undefined, '000102ff', 2],
    ]);
  });

  it('agrees with the awslabs de-aggregator on a large aggregate', () => {
    const users: UserInput[] = Array.from({ length: 400 }, (_, i) => ({ partitionKey: `key-${i % 37}`, data: randomBytes(1 + (i * 7) % 300) }));
    const data = aggregate(users);
    let theirs: { partitionKey: string; data: string }[] = [];
    deaggregateSync({ data: data.toString('base64'), partitionKey: 'outer', sequenceNumber: '1' }, true, (err: Error | null, recs?: { partitionKey: string; data: string }[]) => {
      if (err) throw err;
      theirs = recs!;
    });
    const ours = deaggregate(data)!;
    expect(ours).toHaveLength(400);
    expect(ours.map((u) => [u.partitionKey, u.data.toString('base64')])).toEqual(theirs.map((u) => [u.partitionKey, u.data]));
  });

  it('passes anything that is not a valid aggregate through as a plain record', () => {
    const good = aggregate([{ partitionKey: 'k', data: Buffer.from('payload') }]);
    const flippedBody = Buffer.from(good);
    flippedBody[6] ^= 0x01;
    const flippedDigest = Buffer.from(good);
    flippedDigest[flippedDigest.length - 1] ^= 0x01;
    const otherMagic = Buffer.from(good);
    otherMagic[0] = 0xf2;
    for (const bad of [
      Buffer.from('plain text'),
      Buffer.alloc(0),
      flippedBody,
      flippedDigest,
      otherMagic,
      Buffer.concat([KPL_MAGIC, createHash('md5').update(Buffer.alloc(0)).digest()]), // nothing between magic and digest
      withDigest(Buffer.from([0x1a, 0x05, 0x08, 0x00])), // a record field cut short
      withDigest(Buffer.from([0x1a, 0x02, 0x08, 0x00])), // a record without data
      withDigest(Buffer.from([0x1a, 0x04, 0x08, 0x03, 0x1a, 0x00])), // partition key index 3 of an empty table
      withDigest(Buffer.from([0x0b, 0x00])), // a group (unsupported wire type)
    ]) {
      expect(deaggregate(bad), bad.toString('hex')).toBeUndefined();
    }
    const record = { position: 7, arrivedAt: 1234, partitionKey: 'pk', data: flippedDigest };
    expect(expandAggregate(record)).toEqual([record]);
  });

  it('expands a stored aggregate into records that keep its position and arrival time', () => {
    const data = aggregate([{ partitionKey: 'a', data: Buffer.from('x') }, { partitionKey: 'b', data: Buffer.from('yy') }]);
    const out = expandAggregate({ position: 42, arrivedAt: 99, partitionKey: 'a', data });
    expect(out.map((r) => ({ ...r, data: r.data.toString() }))).toEqual([
      { position: 42, arrivedAt: 99, partitionKey: 'a', data: 'x' },
      { position: 42, arrivedAt: 99, partitionKey: 'b', data: 'yy' },
    ]);
  });
});
