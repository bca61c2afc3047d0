/**
 * Key names of one Hydrant deployment in Redis. Every key starts with the deployment's prefix,
 * so several deployments share one Redis (or one Redis Cluster) without seeing each other.
 *
 * Redis Cluster: a Lua script may only touch keys of one hash slot, so the keys a script changes
 * together share a hash tag (the part in braces):
 * - one shard: its Redis Stream (`…:log`) and its position hash (`…:pos`, next / trim / closed)
 *   share `{<prefix>:<stream>:<shard>}`: appends, trims and the seal of a reshard are one script;
 * - one stream's metadata (shards, hash ranges, lineage, retention) is one key
 *   `{<prefix>:<stream>}:meta`: a reshard changes it with one compare-and-set;
 * - one lease and the checkpoint fenced by it share `{<prefix>:lease:<key>}`.
 * Nothing needs atomicity across slots: a reshard seals each parent with its own script (see
 * `RedisStreamStorage`). Shards of one stream spread over the cluster's nodes.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_.:/-]+$/.test(prefix)) throw new RangeError(`Redis key prefix ${JSON.stringify(prefix)} may hold only letters, digits and _ . : / -`);
  }

  /** The Redis Stream holding a shard's records. */
  shardLog(stream: string, shardId: string): string {
    return `${this.shardTag(stream, shardId)}:log`;
  }

  /** A shard's positions (`next`, `trim`, `last` arrival, `closed`): kept beside its stream. */
  shardPositions(stream: string, shardId: string): string {
    return `${this.shardTag(stream, shardId)}:pos`;
  }

  /** A stream's metadata document (JSON with a version counter). */
  streamMeta(stream: string): string {
    return `{${this.prefix}:${check(stream)}}:meta`;
  }

  /** Pub/sub channel announcing metadata changes (the message is the stream's name). */
  get metaChannel(): string {
    return `${this.prefix}:meta-changed`;
  }

  /** One lease (owner, counter, expiry) and the checkpoint it fences. */
  lease(key: string): string {
    return `{${this.prefix}:lease:${check(key)}}`;
  }

  /** The lease keys of one group (e.g. one consumer): a set, for listing and balancing. */
  leaseGroup(group: string): string {
    return `${this.prefix}:lease-group:${check(group)}`;
  }

  /** Live nodes of the deployment: a sorted set of node id by heartbeat expiry. */
  get nodes(): string {
    return `${this.prefix}:nodes`;
  }

  /** A catalog (hash of name → JSON definition): `kinesis-streams`, `delivery-streams`. */
  catalog(kind: string): string {
    return `${this.prefix}:catalog:${check(kind)}`;
  }

  /** The secret shard iterators are sealed with, shared so any node reads another's iterators. */
  get iteratorSecret(): string {
    return `${this.prefix}:iterator-secret`;
  }

  /**
   * A delivery journal (batches cut and not yet delivered, cut positions, ended shards) under
   * one hash tag, so a batch and the cut positions it moves are written in one MULTI.
   */
  journal(group: string, part: 'cut' | 'pending' | 'ended'): string {
    return `{${this.prefix}:journal:${check(group)}}:${part}`;
  }

  private shardTag(stream: string, shardId: string): string {
    return `{${this.prefix}:${check(stream)}:${check(shardId)}}`;
  }
}

/** Names inside a hash tag must not contain braces (they would end the tag early). */
function check(name: string): string {
  if (name.length === 0 || /[{}]/.test(name)) throw new RangeError(`Redis key part ${JSON.stringify(name)} must be non-empty and free of braces`);
  return name;
}
