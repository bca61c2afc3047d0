import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, type PendingBatch } from '../../src/delivery/checkpoint/journal.js';
import { RedisDeliveryJournal } from '../../src/delivery/checkpoint/redis-journal.js';
import type { RedisBackend } from '../../src/stream/redis/backend.js';
import { deletePrefix, testBackend, uniquePrefix } from '../helpers/redis.js';

const batch = (id: string, ranges: PendingBatch['ranges']): PendingBatch => ({ id, ranges, target: { kind: 's3', key: `k/${id}` }, cutAt: Date.now() });

describe('the delivery journal in Redis, shared by the nodes holding its shards', () => {
  let prefix: string;
  let a: RedisBackend;
  let b: RedisBackend;
  beforeEach(async () => {
    prefix = uniquePrefix('journal');
    a = await testBackend({ keyPrefix: prefix });
    b = await testBackend({ keyPrefix: prefix });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await deletePrefix(prefix);
  });

  it('a batch is stored only under leases its node still holds; the next holder resumes after it and sees it pending', async () => {
    const leasesA = a.leaseStore('g', 60_000);
    const x = (await leasesA.acquire('inc/shard-x', 'node-a'))!;
    const y = (await leasesA.acquire('inc/shard-y', 'node-a'))!;
    const ja = await RedisDeliveryJournal.open(a, 'g');
    await ja.begin(batch('b1', [{ shardId: 'shard-x', first: 0, last: 9 }, { shardId: 'shard-y', first: 0, last: 4 }]), [], [x, y]);

    // node-a loses shard-y: a batch with shard-y records is refused whole, naming the shard.
    await leasesA.release(y);
    const refused = await ja.begin(batch('b2', [{ shardId: 'shard-x', first: 10, last: 19 }, { shardId: 'shard-y', first: 5, last: 9 }]), [], [x, y]).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as LeaseLostError).shards).toEqual(['shard-y']);
    expect(ja.resumePosition('shard-y')).toBe(5);

    // Another node taking shard-y starts where node-a's last stored batch ended, with that batch pending.
    const leasesB = b.leaseStore('g', 60_000);
    await leasesB.acquire('inc/shard-y', 'node-b');
    const jb = await RedisDeliveryJournal.open(b, 'g');
    expect(await jb.refresh('shard-y')).toBe(5);
    expect(jb.pending().map((p) => p.id)).toEqual(['b1']);
    expect(jb.committed('shard-y')).toBe(0);

    // node-a delivers b1: once node-b looks again, shard-y is committed up to its cut.
    await ja.complete('b1');
    await jb.refresh('shard-y');
    expect(jb.pending()).toEqual([]);
    expect(jb.committed('shard-y')).toBe(5);
    expect(await jb.lookup('b1')).toBeUndefined();
  });

  it('a batch whose write succeeded although its answer was lost counts as stored when retried after its lease is gone', async () => {
    const leases = a.leaseStore('g', 60_000);
    const x = (await leases.acquire('inc/shard-x', 'node-a'))!;
    const ja = await RedisDeliveryJournal.open(a, 'g');
    const b1 = batch('b1', [{ shardId: 'shard-x', first: 0, last: 9 }]);
    await ja.begin(b1, [], [x]);
    await ja.complete('b1');
    await leases.release(x);
    // A node that never saw the answer to that write tries it again: it was stored, so it stands.
    const retrying = await RedisDeliveryJournal.open(b, 'g');
    await retrying.begin(b1, [], [x]);
    expect(retrying.has('b1')).toBe(true);
    expect(retrying.resumePosition('shard-x')).toBe(10);
    // A batch that was never stored is refused.
    const b2 = batch('b2', [{ shardId: 'shard-x', first: 10, last: 19 }]);
    await expect(retrying.begin(b2, [], [x])).rejects.toBeInstanceOf(LeaseLostError);
    expect(retrying.resumePosition('shard-x')).toBe(10);
  });
});
