import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { pino } from 'pino';
import type { LogRecord } from '../../../src/core/record.js';
import { CheckpointJournal } from '../../../src/delivery/checkpoint/journal.js';
import type { CutBatch, Destination, EncodedBatch } from '../../../src/delivery/destination.js';
import { DeliveryPipeline } from '../../../src/delivery/pipeline.js';
import { LogStream } from '../../../src/stream/log-stream.js';
import { tempDir, waitFor } from '../../helpers/util.js';

/** A destination that records what it was asked to write, and can be told to fail. */
class RecordingDestination implements Destination {
  readonly kind = 'recording';
  writes: { target: Record<string, unknown>; ids: string[] }[] = [];
  failuresLeft = 0;
  attempts = 0;
  constructor(public maxBytes: number, public intervalMs: number) {}
  limits() {
    return { maxBytes: this.maxBytes, intervalMs: this.intervalMs };
  }
  plan(batch: CutBatch) {
    return { key: `obj-${batch.id}`, count: batch.records.length, oldest: batch.oldestArrival };
  }
  async encode(_target: Record<string, unknown>, records: LogRecord[]): Promise<EncodedBatch> {
    return { body: records.map((r) => r.data.toString()), records: records.length, bytes: 0 };
  }
  async deliver(target: Record<string, unknown>, encoded: EncodedBatch) {
    this.attempts++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('destination down');
    }
    this.writes.push({ target, ids: encoded.body as string[] });
  }
  describeFailure(err: unknown) {
    return { code: 'Test.Failure', message: String(err), retryable: true };
  }
  async close() {}
}

const logger = pino({ level: 'silent' });

describe('DeliveryPipeline', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(dest: RecordingDestination, dir?: string, shardCount = 2) {
    const d = dir ?? (await tempDir('pipeline')).path;
    const opts = { dir: join(d, 'log'), fsync: false };
    const stream = (await LogStream.open(opts)) ?? (await LogStream.create(opts, { name: 't', shardCount, retentionHours: 24 }));
    const journal = await CheckpointJournal.open(join(d, 'delivery'));
    const pipeline = new DeliveryPipeline({ name: 't', incarnation: 'inc-1', stream, journal, destination: dest, logger, retentionMs: () => 86_400_000 });
    return { dir: d, stream, journal, pipeline };
  }

  it('cuts by size across shards, delivers every record once, and commits after delivery', async () => {
    const dest = new RecordingDestination(1000, 60_000);
    const { stream, journal, pipeline } = await setup(dest);
    cleanups.push(async () => {
      await pipeline.stop();
      await stream.close();
    });
    await pipeline.start();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = `r${String(i).padStart(4, '0')}${'.'.repeat(40)}`;
      ids.push(id);
      await stream.append(stream.meta.shards[i % 2].shardId, [{ partitionKey: '', data: Buffer.from(id) }]);
    }
    await waitFor(() => dest.writes.reduce((n, w) => n + w.ids.length, 0) >= 280);
    // Every batch but the last was cut by size (~1000 bytes of 45-byte records).
    for (const w of dest.writes) expect(w.ids.length).toBeLessThanOrEqual(23);
    await pipeline.drain(5000);
    const delivered = dest.writes.flatMap((w) => w.ids);
    expect(delivered.sort()).toEqual(ids.sort());
    expect(journal.pending()).toEqual([]);
    expect(journal.committed(stream.meta.shards[0].shardId)).toBe(150);
    expect(journal.committed(stream.meta.shards[1].shardId)).toBe(150);
  });

  it('cuts by time and retries a failing destination until it accepts', async () => {
    const dest = new RecordingDestination(1e9, 200);
    dest.failuresLeft = 3;
    const { stream, pipeline } = await setup(dest, undefined, 1);
    cleanups.push(async () => {
      await pipeline.stop();
      await stream.close();
    });
    await pipeline.start();
    await stream.append(stream.meta.shards[0].shardId, [{ partitionKey: '', data: Buffer.from('a') }, { partitionKey: '', data: Buffer.from('b') }]);
    await waitFor(() => dest.writes.length === 1, 20_000);
    expect(dest.attempts).toBe(4);
    expect(dest.writes[0].ids).toEqual(['a', 'b']);
  });

  it('replays a batch left pending by a crash to the same target', async () => {
    const dest = new RecordingDestination(1e9, 50);
    dest.failuresLeft = 1_000_000; // never succeeds in the first life
    const first = await setup(dest, undefined, 1);
    await first.pipeline.start();
    await first.stream.append(first.stream.meta.shards[0].shardId, [{ partitionKey: '', data: Buffer.from('x') }, { partitionKey: '', data: Buffer.from('y') }]);
    await waitFor(() => first.journal.pending().length === 1);
    const plannedTarget = first.journal.pending()[0].target;
    await first.pipeline.stop(); // "crash": the batch stays pending
    await first.stream.close();

    const dest2 = new RecordingDestination(1e9, 50);
    const second = await setup(dest2, first.dir, 1);
    cleanups.push(async () => {
      await second.pipeline.stop();
      await second.stream.close();
    });
    await second.pipeline.start();
    await waitFor(() => dest2.writes.length === 1);
    expect(dest2.writes[0].target).toEqual(plannedTarget);
    expect(dest2.writes[0].ids).toEqual(['x', 'y']);
    await waitFor(() => second.journal.pending().length === 0);
    // Nothing new was cut: the replayed records are not read again.
    await new Promise((r) => setTimeout(r, 200));
    expect(dest2.writes).toHaveLength(1);
  });

  it('after stop, nothing writes the journal again (its directory may belong to a new stream)', async () => {
    const dest = new RecordingDestination(1e9, 100);
    const { dir, stream, pipeline } = await setup(dest, undefined, 1);
    await pipeline.start();
    await stream.append(stream.meta.shards[0].shardId, [{ partitionKey: '', data: Buffer.from('a') }]);
    await new Promise((r) => setTimeout(r, 20)); // read into the buffer; its timer is armed
    await pipeline.stop();
    await stream.close();
    await new Promise((r) => setTimeout(r, 250));
    await expect(access(join(dir, 'delivery', 'checkpoint.json'))).rejects.toThrow(/ENOENT/);
    expect(dest.writes).toEqual([]);
  });
});
