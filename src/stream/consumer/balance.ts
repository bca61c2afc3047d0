/** One lease as a balancer sees it: who holds it now (undefined: free or expired). */
export interface LeaseView {
  key: string;
  owner?: string;
  expiresAt: number;
}

/** What one owner should do to move towards an even share. */
export interface BalancePlan {
  /** Most leases this owner should hold: ceil(ready shards / live owners). */
  target: number;
  /** Leases it may still take (free or expired ones). */
  take: number;
  /** Leases it should give up now, so an owner below its share can take them. */
  shed: number;
}

/**
 * The rebalancing rule: every live owner aims at `ceil(work / live owners)` leases. An owner
 * below that takes free or expired leases; an owner above it gives up its excess, but only
 * while some live owner is below the target and could take them (so a lone owner, or one a
 * notch above an even split, never churns). Leases are never stolen from a live owner: it hands
 * them over by releasing, after its reader stopped, so no shard is read by two owners at once.
 *
 * `work` is how many shards are ready to be read; `live` the owners whose heartbeat is current
 * (the caller among them).
 */
export function balancePlan(me: string, work: number, leases: readonly LeaseView[], live: readonly string[]): BalancePlan {
  const owners = new Set(live);
  owners.add(me);
  const held = new Map<string, number>();
  for (const o of owners) held.set(o, 0);
  for (const l of leases) if (l.owner !== undefined && owners.has(l.owner)) held.set(l.owner, held.get(l.owner)! + 1);
  const target = Math.ceil(Math.max(work, 0) / owners.size);
  const mine = held.get(me)!;
  let someoneShort = false;
  for (const [o, n] of held) if (o !== me && n < target) someoneShort = true;
  return {
    target,
    take: Math.max(0, target - mine),
    shed: mine > target && someoneShort ? mine - target : 0,
  };
}

/**
 * Tells a shard coordinator how many leases to hold, from a view of every owner's leases and of
 * which owners are alive (see `RedisLeaseBalancer`). Without one, a coordinator takes every
 * lease it can get (one node).
 */
export interface LeaseBalancer {
  plan(me: string, work: number): Promise<BalancePlan>;
}
