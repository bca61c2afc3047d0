import { describe, expect, it } from 'vitest';
import { InProcessLeaseStore } from '../../../src/stream/consumer/lease.js';

describe('InProcessLeaseStore', () => {
  it('grants a free lease, refuses another owner while it is held, and fences stale grants by counter', async () => {
    const store = new InProcessLeaseStore();
    const a = (await store.acquire('app/shard-0', 'worker-a'))!;
    expect(a).toMatchObject({ key: 'app/shard-0', owner: 'worker-a', counter: 1 });
    expect(await store.acquire('app/shard-0', 'worker-b')).toBeUndefined();

    const renewed = (await store.renew(a))!;
    expect(renewed.counter).toBe(2);
    // The grant before the renewal is stale now.
    expect(await store.holds(a)).toBe(false);
    expect(await store.renew(a)).toBeUndefined();
    expect(await store.release(a)).toBe(false);
    expect(await store.holds(renewed)).toBe(true);

    expect(await store.release(renewed)).toBe(true);
    expect(await store.holds(renewed)).toBe(false);
    const b = (await store.acquire('app/shard-0', 'worker-b'))!;
    expect(b).toMatchObject({ owner: 'worker-b', counter: 3 });
    expect(await store.renew(renewed)).toBeUndefined();
  });

  it('lets another owner take a lease that expired, and the old owner learns it lost it', async () => {
    let now = 1_000;
    const store = new InProcessLeaseStore({ ttlMs: 100, now: () => now });
    const a = (await store.acquire('k', 'a'))!;
    now += 50;
    const a2 = (await store.renew(a))!;
    now += 99;
    expect(await store.acquire('k', 'b')).toBeUndefined();
    now += 2;
    const b = (await store.acquire('k', 'b'))!;
    expect(b.counter).toBe(a2.counter + 1);
    expect(await store.renew(a2)).toBeUndefined();
    expect(await store.holds(a2)).toBe(false);
    // The owner that holds a lease gets it again (a restart of the same worker).
    expect((await store.acquire('k', 'b'))!.counter).toBe(b.counter + 1);
  });
});
