import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHARD_END, latestCheckpoints } from '../../../src/stream/consumer/checkpoint.js';
import { CheckpointJournal } from '../../../src/delivery/checkpoint/journal.js';
import { LogStream } from '../../../src/stream/log-stream.js';
import { tempDir } from '../../helpers/util.js';

const HALF = 1n << 127n;

describe('consumer checkpoints', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function dir(): Promise<string> {
    const d = await tempDir('checkpoints');
    cleanups.push(d.remove);
    return d.path;
  }

  it('takes LATEST as the next position of open shards and SHARD_END for closed ones', async () => {
    const stream = await LogStream.create({ dir: join(await dir(), 'log'), fsync: false }, { name: 's', shardCount: 2, retentionHours: 24 });
    cleanups.push(() => stream.close());
    await stream.append('shardId-000000000000', [{ partitionKey: 'a', data: Buffer.from('1') }, { partitionKey: 'a', data: Buffer.from('2') }]);
    await stream.append('shardId-000000000001', [{ partitionKey: 'b', data: Buffer.from('3') }]);
    await stream.split('shardId-000000000000', HALF / 2n);
    await stream.append('shardId-000000000002', [{ partitionKey: 'c', data: Buffer.from('4') }]);
    expect(latestCheckpoints(stream)).toEqual({
      'shardId-000000000000': SHARD_END,
      'shardId-000000000001': 1,
      'shardId-000000000002': 1,
      'shardId-000000000003': 0,
    });
  });

  it('the delivery journal reports SHARD_END once a shard is recorded as ended, in the same write as its last batch', async () => {
    const d = await dir();
    const journal = await CheckpointJournal.open(d);
    expect(journal.checkpoint('s0')).toBeUndefined();
    await journal.begin({ id: 'a', ranges: [{ shardId: 's0', first: 0, last: 9 }], target: {}, cutAt: 1 }, ['s0']);
    await journal.begin({ id: 'b', ranges: [{ shardId: 's1', first: 0, last: 4 }], target: {}, cutAt: 2 });
    await journal.markEnded(['s2']);
    const reopened = await CheckpointJournal.open(d);
    expect(reopened.checkpoint('s0')).toBe(SHARD_END);
    expect(reopened.checkpoint('s1')).toBe(5);
    expect(reopened.checkpoint('s2')).toBe(SHARD_END);
    // Delivery progress is separate: s0's batch is still pending.
    expect(reopened.committed('s0')).toBe(0);
  });
});
