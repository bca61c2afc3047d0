import { balancePlan, type BalancePlan, type LeaseBalancer } from '../consumer/balance.js';
import type { RedisLeaseStore } from './lease-store.js';
import type { NodeRegistry } from './node-registry.js';

/** Balances one lease group over the live nodes of a deployment (see `balancePlan`). */
export class RedisLeaseBalancer implements LeaseBalancer {
  constructor(private readonly leases: RedisLeaseStore, private readonly nodes: NodeRegistry) {}

  async plan(me: string, work: number): Promise<BalancePlan> {
    const [snapshot, live] = await Promise.all([this.leases.snapshot(), this.nodes.live()]);
    return balancePlan(me, work, snapshot, live);
  }
}
