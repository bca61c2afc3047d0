import type { Redis } from 'ioredis';
import { unavailable } from './connection.js';
import type { RedisKeys } from './keys.js';

export interface NodeRegistryOptions {
  client: Redis;
  keys: RedisKeys;
  /** This node's id (the owner id it uses for leases). */
  nodeId: string;
  /** A node counts as alive this long after its last heartbeat. @defaultValue 10000 */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Who is alive in a deployment: a sorted set of node id by heartbeat expiry. Each node beats
 * every third of the ttl; a node that stops beating (killed, partitioned) drops out of `live()`
 * a ttl later, and the others then count it out when they balance leases.
 */
export class NodeRegistry {
  private timer: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: NodeRegistryOptions) {
    this.ttlMs = o.ttlMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  /** Records this node as alive for another ttl, and forgets nodes long expired. */
  async heartbeat(): Promise<void> {
    const now = this.now();
    try {
      await Promise.all([
        this.o.client.zadd(this.o.keys.nodes, now + this.ttlMs, this.o.nodeId),
        this.o.client.zremrangebyscore(this.o.keys.nodes, '-inf', now - 10 * this.ttlMs),
      ]);
    } catch (err) {
      throw unavailable(err, 'node heartbeat failed');
    }
  }

  /** Ids of the nodes whose heartbeat is current, sorted. */
  async live(): Promise<string[]> {
    try {
      return (await this.o.client.zrangebyscore(this.o.keys.nodes, `(${this.now()}`, '+inf')).sort();
    } catch (err) {
      throw unavailable(err, 'listing live nodes failed');
    }
  }

  /** Beat now and every ttl/3 until `stop` (failures are retried at the next beat). */
  start(onError?: (err: unknown) => void): Promise<void> {
    this.stop();
    this.timer = setInterval(() => void this.heartbeat().catch((err) => onError?.(err)), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    return this.heartbeat();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops beating and leaves at once (a clean shutdown: others need not wait a ttl). */
  async leave(): Promise<void> {
    this.stop();
    try {
      await this.o.client.zrem(this.o.keys.nodes, this.o.nodeId);
    } catch (err) {
      throw unavailable(err, 'leaving the node registry failed');
    }
  }
}
