import { describe, expect, it } from 'vitest';
import { AwsError, resourceInUse } from '../../../src/core/aws-error.js';
import { SubscriptionTable } from '../../../src/stream/efo/subscriptions.js';

const errors = { busy: () => resourceInUse('busy'), takenOver: () => resourceInUse('taken over') };

describe('SubscriptionTable (the 5-second re-subscribe rule)', () => {
  it('refuses the same consumer and shard for 5 s after a successful call, then lets a new call take over', () => {
    let clock = 1_000_000;
    const table = new SubscriptionTable({ now: () => clock });
    const first = table.claim('consumer-a', 'shardId-000000000000', errors);
    clock += 4_999;
    expect(() => table.claim('consumer-a', 'shardId-000000000000', errors)).toThrow('busy');
    // Other pairs are independent.
    const otherShard = table.claim('consumer-a', 'shardId-000000000001', errors);
    const otherConsumer = table.claim('consumer-b', 'shardId-000000000000', errors);
    expect(first.signal.aborted).toBe(false);
    clock += 1;
    const second = table.claim('consumer-a', 'shardId-000000000000', errors);
    expect(first.signal.aborted).toBe(true);
    expect(AwsError.isInstance(first.signal.reason) && first.signal.reason.message).toBe('taken over');
    expect(second.signal.aborted).toBe(false);
    expect(otherShard.signal.aborted || otherConsumer.signal.aborted).toBe(false);
    expect(table.active).toBe(3);
    first.release(); // the old stream ending later does not free the new holder's claim
    expect(() => table.claim('consumer-a', 'shardId-000000000000', errors)).toThrow('busy');
    expect(table.active).toBe(3);
  });

  it('keeps the window after a subscription ended early, and frees the pair after it', () => {
    let clock = 0;
    const table = new SubscriptionTable({ now: () => clock, resubscribeWindowMs: 5_000 });
    const lease = table.claim('c', 's', errors);
    clock += 100;
    lease.release();
    expect(table.active).toBe(0);
    expect(() => table.claim('c', 's', errors)).toThrow('busy');
    clock += 4_900;
    const next = table.claim('c', 's', errors);
    expect(next.signal.aborted).toBe(false);
    clock += 6_000;
    next.release();
    expect(table.claim('c', 's', errors).signal.aborted).toBe(false);
  });
});
