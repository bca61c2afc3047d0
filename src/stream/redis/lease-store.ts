import type { Redis } from 'ioredis';
import type { Lease, LeaseStore } from '../consumer/lease.js';
import type { LeaseView } from '../consumer/balance.js';
import { unavailable } from './connection.js';
import type { RedisKeys } from './keys.js';
import { ACQUIRE, HOLDS, RELEASE, RENEW } from './lease-scripts.js';

export interface RedisLeaseStoreOptions {
  client: Redis;
  keys: RedisKeys;
  /**
   * The group the leases belong to (one consumer, e.g. one delivery stream), listed together for
   * balancing.
   */
  group: string;
  /**
   * How long a grant lasts without renewal: a node that dies loses its shards this long after
   * its last renewal. Renew well within it (a third is usual).
   * @defaultValue 10000 (the KCL's failover time)
   */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Shard leases in Redis, shared by every node: one hash per lease (owner, fencing counter,
 * expiry, and the checkpoint the lease fences, as in the KCL's lease table). Each call is one Lua
 * script, so a grant, renewal or release is a conditional write: of two nodes asking for a free
 * lease, exactly one gets it; a lease that is not renewed expires and is taken over.
 */
export class RedisLeaseStore implements LeaseStore {
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: RedisLeaseStoreOptions) {
    this.ttlMs = o.ttlMs ?? 10_000;
    this.now = o.now ?? Date.now;
    if (!(this.ttlMs > 0 && Number.isFinite(this.ttlMs))) throw new RangeError('a Redis lease needs a finite, positive ttlMs');
  }

  async acquire(key: string, owner: string): Promise<Lease | undefined> {
    const now = this.now();
    try {
      const [, reply] = await Promise.all([
        this.o.client.sadd(this.o.keys.leaseGroup(this.o.group), key),
        ACQUIRE.run(this.o.client, [this.o.keys.lease(key)], [owner, now, this.ttlMs]),
      ]);
      return grant(key, owner, reply);
    } catch (err) {
      throw unavailable(err, `acquiring lease ${key} failed`);
    }
  }

  async renew(lease: Lease): Promise<Lease | undefined> {
    const reply = await this.run(RENEW, lease, [lease.owner, lease.counter, this.now(), this.ttlMs], 'renewing');
    return grant(lease.key, lease.owner, reply);
  }

  async release(lease: Lease): Promise<boolean> {
    return Number(await this.run(RELEASE, lease, [lease.owner, lease.counter, this.now()], 'releasing')) === 1;
  }

  async holds(lease: Lease): Promise<boolean> {
    return Number(await this.run(HOLDS, lease, [lease.owner, lease.counter, this.now()], 'checking')) === 1;
  }

  /** Every lease of the group with its current owner (undefined when free or expired). */
  async snapshot(): Promise<LeaseView[]> {
    try {
      const keys = await this.o.client.smembers(this.o.keys.leaseGroup(this.o.group));
      const now = this.now();
      const rows = await Promise.all(keys.map((k) => this.o.client.hmget(this.o.keys.lease(k), 'owner', 'expiresAt')));
      return keys.map((key, i) => {
        const [owner, expiresAt] = rows[i];
        const exp = Number(expiresAt ?? 0);
        return { key, owner: owner !== null && exp > now ? owner : undefined, expiresAt: exp };
      });
    } catch (err) {
      throw unavailable(err, `listing leases of ${this.o.group} failed`);
    }
  }

  /** Deletes every lease of the group (the consumer was deleted). */
  async destroy(): Promise<void> {
    try {
      const keys = await this.o.client.smembers(this.o.keys.leaseGroup(this.o.group));
      await Promise.all(keys.map((k) => this.o.client.del(this.o.keys.lease(k))));
      await this.o.client.del(this.o.keys.leaseGroup(this.o.group));
    } catch (err) {
      throw unavailable(err, `deleting leases of ${this.o.group} failed`);
    }
  }

  private async run(script: typeof RENEW, lease: Lease, args: (string | number)[], what: string): Promise<unknown> {
    try {
      return await script.run(this.o.client, [this.o.keys.lease(lease.key)], args);
    } catch (err) {
      throw unavailable(err, `${what} lease ${lease.key} failed`);
    }
  }
}

function grant(key: string, owner: string, reply: unknown): Lease | undefined {
  if (!Array.isArray(reply)) return undefined;
  return { key, owner, counter: Number(reply[0]), expiresAt: Number(reply[1]) };
}
