import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHARD_END } from '../../src/stream/consumer/checkpoint.js';
import { BACKENDS, type BackendUnderTest } from './backends.js';

describe.each(BACKENDS)('lease contract: $name', (factory) => {
  let b: BackendUnderTest;
  beforeEach(async () => {
    b = await factory.setup();
  });
  afterEach(() => b.cleanup());

  it('grants a free lease to one owner at a time and fences stale grants by counter', async () => {
    const store = b.leaseStore('app', 10_000);
    const a = (await store.acquire('app/shard-0', 'node-a'))!;
    expect(a).toMatchObject({ key: 'app/shard-0', owner: 'node-a', counter: 1, expiresAt: b.clock.now + 10_000 });
    expect(await store.acquire('app/shard-0', 'node-b')).toBeUndefined();

    const renewed = (await store.renew(a))!;
    expect(renewed.counter).toBe(2);
    expect(await store.holds(a)).toBe(false);
    expect(await store.renew(a)).toBeUndefined();
    expect(await store.release(a)).toBe(false);
    expect(await store.holds(renewed)).toBe(true);

    expect(await store.release(renewed)).toBe(true);
    expect(await store.holds(renewed)).toBe(false);
    const b2 = (await store.acquire('app/shard-0', 'node-b'))!;
    expect(b2).toMatchObject({ owner: 'node-b', counter: 3 });
    expect(await store.renew(renewed)).toBeUndefined();
  });

  it('of owners racing for a free lease, exactly one wins', async () => {
    const store = b.leaseStore('app', 10_000);
    const grants = await Promise.all(Array.from({ length: 10 }, (_, i) => store.acquire('app/shard-1', `node-${i}`)));
    expect(grants.filter(Boolean)).toHaveLength(1);
  });

  it('a lease not renewed expires and is taken over; the old owner learns it lost it', async () => {
    const store = b.leaseStore('app', 100);
    const a = (await store.acquire('k', 'a'))!;
    b.clock.now += 50;
    const a2 = (await store.renew(a))!;
    b.clock.now += 99;
    expect(await store.acquire('k', 'b')).toBeUndefined();
    b.clock.now += 2;
    expect(await store.holds(a2)).toBe(false);
    const taken = (await store.acquire('k', 'b'))!;
    expect(taken.counter).toBe(a2.counter + 1);
    expect(await store.renew(a2)).toBeUndefined();
    expect(await store.release(a2)).toBe(false);
    // The owner that holds a lease gets it again (a restart of the same node).
    expect((await store.acquire('k', 'b'))!.counter).toBe(taken.counter + 1);
  });

  it('keys are independent', async () => {
    const store = b.leaseStore('app', 10_000);
    expect(await store.acquire('app/s0', 'a')).toBeDefined();
    expect(await store.acquire('app/s1', 'b')).toBeDefined();
    expect(await store.acquire('app/s0', 'b')).toBeUndefined();
  });
});

describe.each(BACKENDS)('checkpoint contract: $name', (factory) => {
  let b: BackendUnderTest;
  beforeEach(async () => {
    b = await factory.setup();
  });
  afterEach(() => b.cleanup());

  it('persists positions and SHARD_END across reopen, and refuses to move backwards or past SHARD_END', async () => {
    const store = await b.checkpointStore('consumer');
    expect(store.checkpoint('shardId-000000000000')).toBeUndefined();
    await Promise.all([store.set('shardId-000000000000', 5), store.set('shardId-000000000001', 3)]);
    await store.set('shardId-000000000000', 12);
    await store.set('shardId-000000000001', SHARD_END);
    await expect(store.set('shardId-000000000000', 4)).rejects.toThrow(/behind 12/);
    await expect(store.set('shardId-000000000001', 9)).rejects.toThrow(/SHARD_END/);
    expect(store.checkpoint('shardId-000000000000')).toBe(12);

    const reopened = await b.checkpointStore('consumer');
    expect(reopened.all()).toEqual({ 'shardId-000000000000': 12, 'shardId-000000000001': SHARD_END });
    const other = await b.checkpointStore('another-consumer');
    expect(other.all()).toEqual({});
  });
});
