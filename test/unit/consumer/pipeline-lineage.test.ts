import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { RecordAggregator } from 'aws-kinesis-agg';
import type { LogRecord } from '../../../src/core/record.js';
import { CheckpointJournal } from '../../../src/delivery/checkpoint/journal.js';
import type { CutBatch, Destination, EncodedBatch } from '../../../src/delivery/destination.js';
import { DeliveryPipeline } from '../../../src/delivery/pipeline.js';
import { SHARD_END } from '../../../src/stream/consumer/checkpoint.js';
import { expandAggregate } from '../../../src/stream/consumer/kpl.js';
import { LogStream } from '../../../src/stream/log-stream.js';
import { tempDir } from '../../helpers/util.js';

/** A destination that keeps what it was asked to write. */
class RecordingDestination implements Destination {
  readonly kind = 'recording';
  writes: string[][] = [];
  constructor(private readonly maxBytes: number) {}
  limits() {
    return { maxBytes: this.maxBytes, intervalMs: 50 };
  }
  plan(batch: CutBatch) {
    return { id: batch.id };
  }
  async encode(_target: Record<string, unknown>, records: LogRecord[]): Promise<EncodedBatch> {
    return { body: records.map((r) => r.data.toString()), records: records.length, bytes: 0 };
  }
  async deliver(_target: Record<string, unknown>, encoded: EncodedBatch) {
    this.writes.push(encoded.body as string[]);
  }
  describeFailure(err: unknown) {
    return { code: 'Test.Failure', message: String(err), retryable: true };
  }
  async close() {}
}

const logger = pino({ level: 'silent' });
const entry = (text: string) => ({ partitionKey: text, data: Buffer.from(text) });

describe('the delivery pipeline as a consumer of a resharded stream', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(shardCount = 1) {
    const tmp = await tempDir('pipeline-lineage');
    const stream = await LogStream.create({ dir: join(tmp.path, 'log'), fsync: false }, { name: 't', shardCount, retentionHours: 24 });
    cleanups.push(async () => {
      await stream.close();
      await tmp.remove();
    });
    return { stream, journalDir: join(tmp.path, 'delivery') };
  }

  async function run(stream: LogStream, journalDir: string, dest: RecordingDestination, expand?: (r: LogRecord) => LogRecord[]) {
    const journal = await CheckpointJournal.open(journalDir);
    const pipeline = new DeliveryPipeline({ name: 't', incarnation: 'inc', stream, journal, destination: dest, logger, retentionMs: () => 86_400_000, expand });
    await pipeline.start();
    expect(await pipeline.drain(10_000)).toBe(true);
    return journal;
  }

  it('delivers a split parent to its end before its children, records its SHARD_END, and reads nothing twice after a restart', async () => {
    const { stream, journalDir } = await setup();
    const parent = 'shardId-000000000000';
    await stream.append(parent, ['p0', 'p1', 'p2', 'p3'].map(entry));
    const [low, high] = await stream.split(parent, 1n << 127n);
    await stream.append(high.shardId, ['h0', 'h1'].map(entry));
    await stream.append(low.shardId, ['l0'].map(entry));
    const merged = await stream.merge(low.shardId, high.shardId);
    await stream.append(merged.shardId, ['m0', 'm1'].map(entry));

    const dest = new RecordingDestination(1e9);
    const journal = await run(stream, journalDir, dest);
    const order = dest.writes.flat();
    expect([...order].sort()).toEqual(['h0', 'h1', 'l0', 'm0', 'm1', 'p0', 'p1', 'p2', 'p3']);
    const at = (id: string) => order.indexOf(id);
    expect(Math.max(at('p0'), at('p1'), at('p2'), at('p3'))).toBeLessThan(Math.min(at('h0'), at('l0')));
    expect(Math.max(at('h1'), at('l0'))).toBeLessThan(at('m0'));
    expect(at('m0')).toBeLessThan(at('m1'));
    for (const id of [parent, low.shardId, high.shardId]) expect(journal.checkpoint(id)).toBe(SHARD_END);
    expect(journal.checkpoint(merged.shardId)).toBe(2);

    // Restarted on the same journal: the closed shards are not read again, the open one resumes.
    await stream.append(merged.shardId, ['m2'].map(entry));
    const again = new RecordingDestination(1e9);
    await run(stream, journalDir, again);
    expect(again.writes.flat()).toEqual(['m2']);
  });

  it('keeps the user records of one KPL aggregate in one batch, also when a batch would be full', async () => {
    const { stream, journalDir } = await setup();
    const entries = [];
    for (let a = 0; a < 4; a++) {
      const agg = new RecordAggregator();
      for (let u = 0; u < 5; u++) agg.addUserRecord({ partitionKey: `k${u}`, data: Buffer.from(`a${a}-u${u}`) });
      entries.push({ partitionKey: 'k0', data: (agg.build() as { data: Buffer }).data });
    }
    await stream.append('shardId-000000000000', entries);
    // Each user record is 5 bytes: a 12-byte batch would be cut in the middle of an aggregate.
    const dest = new RecordingDestination(12);
    await run(stream, journalDir, dest, expandAggregate);
    expect(dest.writes).toEqual([0, 1, 2, 3].map((a) => [0, 1, 2, 3, 4].map((u) => `a${a}-u${u}`)));
  });
});
