import { describe, expect, it } from 'vitest';
import { balancePlan, type LeaseView } from '../../../src/stream/consumer/balance.js';

const held = (owners: Record<string, number>): LeaseView[] =>
  Object.entries(owners).flatMap(([owner, n]) => Array.from({ length: n }, (_, i) => ({ key: `${owner}-${i}`, owner, expiresAt: 1 })));

describe('balancePlan: each live node aims at ceil(work / live nodes)', () => {
  it.each([
    // me, work, holdings, live, expected plan
    ['a', 4, {}, ['a'], { target: 4, take: 4, shed: 0 }],
    ['a', 4, { a: 4 }, ['a', 'b'], { target: 2, take: 0, shed: 2 }],
    ['b', 4, { a: 4 }, ['a', 'b'], { target: 2, take: 2, shed: 0 }],
    ['a', 3, { a: 3 }, ['a', 'b'], { target: 2, take: 0, shed: 1 }],
    // One above an even split, nobody short: no churn.
    ['a', 5, { a: 2, b: 2, c: 1 }, ['a', 'b', 'c'], { target: 2, take: 0, shed: 0 }],
    ['a', 5, { a: 3, b: 2 }, ['a', 'b', 'c'], { target: 2, take: 0, shed: 1 }],
    // A dead node's leases do not count for it; the survivors' share grows.
    ['a', 4, { a: 2, dead: 2 }, ['a'], { target: 4, take: 2, shed: 0 }],
    // The caller counts as live even before its first heartbeat shows.
    ['b', 4, { a: 4 }, ['a'], { target: 2, take: 2, shed: 0 }],
    // Nobody is short of a zero share: nothing moves.
    ['a', 0, { a: 1 }, ['a', 'b'], { target: 0, take: 0, shed: 0 }],
  ] as const)('%s with work %i and %j among %j → %j', (me, work, owners, live, plan) => {
    expect(balancePlan(me, work, held(owners), live)).toEqual(plan);
  });

  it('free and expired leases count for nobody', () => {
    const leases: LeaseView[] = [{ key: 'x', expiresAt: 0 }, { key: 'y', owner: undefined, expiresAt: 5 }];
    expect(balancePlan('a', 2, leases, ['a', 'b'])).toEqual({ target: 1, take: 1, shed: 0 });
  });
});
