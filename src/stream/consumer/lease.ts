/**
 * One grant of a shard lease. `counter` increases with every grant and renewal: it is the fencing
 * token, so an owner that lost its lease (it expired and someone took it) cannot act on a stale one.
 */
export interface Lease {
  readonly key: string;
  readonly owner: string;
  readonly counter: number;
  /** Epoch ms after which another owner may take the lease (Infinity: held until released). */
  readonly expiresAt: number;
}

/**
 * Who processes a shard (KCL's lease table): one owner per key at a time. The embedded store
 * below serves one process; a distributed backend implements the same calls with conditional
 * writes and expiry-based takeover.
 */
export interface LeaseStore {
  /** Grant `key` to `owner` when it is free, expired or already `owner`'s; undefined when another owner holds it. */
  acquire(key: string, owner: string): Promise<Lease | undefined>;
  /** Extend a lease still held under this grant; undefined when it was lost. */
  renew(lease: Lease): Promise<Lease | undefined>;
  /** Give the lease up; false when this grant no longer held it. */
  release(lease: Lease): Promise<boolean>;
  /** Is this grant still the current one (same owner and counter, not expired)? Check before a fenced write. */
  holds(lease: Lease): Promise<boolean>;
}

export interface InProcessLeaseStoreOptions {
  /** How long a grant lasts without renewal; default Infinity (held until released). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Leases in memory, for consumers inside one Hydrant process. Each consumer uses its own owner
 * id and keys, so in practice every acquire is granted; the owner and counter checks still make
 * a stale grant (after a release, or a takeover once a finite ttl expired) fail as it would
 * against a shared store.
 */
export class InProcessLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: InProcessLeaseStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? Infinity;
    this.now = opts.now ?? Date.now;
  }

  acquire(key: string, owner: string): Promise<Lease | undefined> {
    const current = this.leases.get(key);
    const now = this.now();
    if (current && current.owner !== owner && current.expiresAt > now) return Promise.resolve(undefined);
    return Promise.resolve(this.grant(key, owner, (current?.counter ?? 0) + 1, now));
  }

  renew(lease: Lease): Promise<Lease | undefined> {
    if (!this.current(lease)) return Promise.resolve(undefined);
    return Promise.resolve(this.grant(lease.key, lease.owner, lease.counter + 1, this.now()));
  }

  release(lease: Lease): Promise<boolean> {
    if (!this.current(lease)) return Promise.resolve(false);
    // The counter survives the release (kept with an expired grant) so it keeps increasing.
    this.leases.set(lease.key, { ...lease, expiresAt: -Infinity });
    return Promise.resolve(true);
  }

  holds(lease: Lease): Promise<boolean> {
    return Promise.resolve(this.current(lease));
  }

  private current(lease: Lease): boolean {
    const held = this.leases.get(lease.key);
    return held !== undefined && held.owner === lease.owner && held.counter === lease.counter && held.expiresAt > this.now();
  }

  private grant(key: string, owner: string, counter: number, now: number): Lease {
    const lease: Lease = { key, owner, counter, expiresAt: now + this.ttlMs };
    this.leases.set(key, lease);
    return lease;
  }
}
