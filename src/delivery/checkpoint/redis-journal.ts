import { createHash } from 'node:crypto';
import type { RedisBackend } from '../../stream/redis/backend.js';
import { unavailable } from '../../stream/redis/connection.js';
import { SHARD_END, type Checkpoint } from '../../stream/consumer/checkpoint.js';
import { LeaseLostError, type DeliveryJournal, type PendingBatch } from './journal.js';
import type { Lease } from '../../stream/consumer/lease.js';
import { scriptErrorCode } from '../../stream/redis/lua-script.js';

/*
 * The fenced begin. KEYS: cut, pending, ended, then one lease hash per fence, then the batch's
 * "was journaled" marker (kept a day, past its completion). ARGV: owner, now,
 * batch id, batch JSON, the number of cut entries, the cut entries (shard, position), then the
 * ended shards. Refused with HYDRANT_FENCED <indexes of the leases not held> unless every lease
 * is the owner's and unexpired; otherwise the batch, its cut positions and the ended shards are
 * stored together. Standalone Redis only: the lease hashes live in other slots than the journal.
 */
const FENCED_BEGIN = `#!lua
local lost = {}
for i = 4, #KEYS - 1 do
  local h = redis.call('HMGET', KEYS[i], 'owner', 'expiresAt')
  if h[1] ~= ARGV[1] or (tonumber(h[2]) or 0) <= tonumber(ARGV[2]) then table.insert(lost, tostring(i - 4)) end
end
if #lost > 0 then return redis.error_reply('HYDRANT_FENCED ' .. table.concat(lost, ',')) end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('SET', KEYS[#KEYS], '1', 'EX', 86400)
local n = tonumber(ARGV[5])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[6 + 2 * i], ARGV[7 + 2 * i]) end
for i = 6 + 2 * n, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
return 'OK'
`;
const FENCED_BEGIN_SHA = createHash('sha1').update(FENCED_BEGIN).digest('hex');

/**
 * The delivery journal of one delivery stream in Redis, shared by its nodes: a hash of cut
 * positions (shard → next position to cut), a hash of pending batches (id → JSON) and a set of
 * ended shards, under one hash tag so `begin` is one MULTI (the batch and the cut positions it
 * moves, together or not at all).
 *
 * Each shard is written only by the node holding its lease. Reads are served from memory: all
 * of it is loaded at open, and a shard's part again when its lease is taken (`refresh`), which
 * also brings in the batches another node left pending in it: the new holder replays them to
 * the same targets (the same S3 keys), so a batch delivered twice is one object.
 *
 * A write that fails (Redis unreachable) leaves memory ahead of Redis; the next write carries
 * what was missed (`sync` rewrites everything this node holds, removals are retried).
 */
export class RedisDeliveryJournal implements DeliveryJournal {
  readonly shared = true;
  private readonly cut = new Map<string, number>();
  private readonly pendingBatches = new Map<string, PendingBatch>();
  private readonly ended = new Set<string>();
  /** Batches completed here whose removal from Redis has not succeeded yet. */
  private readonly removals = new Set<string>();
  private closed = false;

  private constructor(private readonly backend: RedisBackend, private readonly group: string) {}

  static async open(backend: RedisBackend, group: string): Promise<RedisDeliveryJournal> {
    const j = new RedisDeliveryJournal(backend, group);
    await j.load();
    return j;
  }

  private key(part: 'cut' | 'pending' | 'ended'): string {
    return this.backend.keys.journal(this.group, part);
  }

  /** Set when a batch is journaled under its leases; outlives the batch's completion by a day. */
  private markerKey(id: string): string {
    return `${this.backend.keys.journal(this.group, 'pending')}:${id}`;
  }

  private async load(): Promise<void> {
    try {
      const [cut, pending, ended] = await Promise.all([
        this.backend.client.hgetall(this.key('cut')),
        this.backend.client.hgetall(this.key('pending')),
        this.backend.client.smembers(this.key('ended')),
      ]);
      for (const [shard, pos] of Object.entries(cut)) this.cut.set(shard, Number(pos));
      for (const [id, json] of Object.entries(pending)) this.pendingBatches.set(id, JSON.parse(json) as PendingBatch);
      for (const s of ended) this.ended.add(s);
    } catch (err) {
      throw unavailable(err, `loading the delivery journal ${this.group} failed`);
    }
  }

  /** After taking a shard's lease: where the previous holder left it, and the batches it left pending. */
  async refresh(shardId: string): Promise<Checkpoint | undefined> {
    let cut: string | null;
    let ended: number;
    let pending: Record<string, string>;
    try {
      [cut, ended, pending] = await Promise.all([
        this.backend.client.hget(this.key('cut'), shardId),
        this.backend.client.sismember(this.key('ended'), shardId),
        this.backend.client.hgetall(this.key('pending')),
      ]);
    } catch (err) {
      throw unavailable(err, `reading the delivery journal ${this.group} failed`);
    }
    if (cut !== null) this.cut.set(shardId, Math.max(this.cut.get(shardId) ?? 0, Number(cut)));
    if (ended === 1) this.ended.add(shardId);
    for (const [id, json] of Object.entries(pending)) {
      if (!this.pendingBatches.has(id) && !this.removals.has(id)) this.pendingBatches.set(id, JSON.parse(json) as PendingBatch);
    }
    // Batches of this shard that are gone from Redis were delivered by another node.
    for (const [id, b] of this.pendingBatches) {
      if (!(id in pending) && b.ranges.some((r) => r.shardId === shardId)) this.pendingBatches.delete(id);
    }
    return this.checkpoint(shardId);
  }

  committed(shardId: string): number {
    let pos = this.cut.get(shardId) ?? 0;
    for (const b of this.pendingBatches.values()) for (const r of b.ranges) if (r.shardId === shardId && r.first < pos) pos = r.first;
    return pos;
  }

  resumePosition(shardId: string): number {
    return this.cut.get(shardId) ?? 0;
  }

  checkpoint(shardId: string): Checkpoint | undefined {
    if (this.ended.has(shardId)) return SHARD_END;
    return this.cut.get(shardId);
  }

  pending(): PendingBatch[] {
    return [...this.pendingBatches.values()].sort((a, b) => a.cutAt - b.cutAt);
  }

  has(id: string): boolean {
    return this.pendingBatches.has(id);
  }

  async lookup(id: string): Promise<PendingBatch | undefined> {
    let json: string | null;
    try {
      json = await this.backend.client.hget(this.key('pending'), id);
    } catch (err) {
      throw unavailable(err, `reading the delivery journal ${this.group} failed`);
    }
    return json === null ? undefined : (JSON.parse(json) as PendingBatch);
  }

  async begin(batch: PendingBatch, ended: string[] = [], fences: Lease[] = []): Promise<void> {
    this.check();
    if (fences.length > 0) {
      await this.fencedBegin(batch, ended, fences);
      return;
    }
    this.pendingBatches.set(batch.id, batch);
    const shards = new Set<string>();
    for (const r of batch.ranges) {
      this.cut.set(r.shardId, Math.max(this.cut.get(r.shardId) ?? 0, r.last + 1));
      shards.add(r.shardId);
    }
    for (const s of ended) this.ended.add(s);
    await this.write([batch], [...shards], ended);
  }

  /** `begin` under leases: stored only while this node still holds every one of `fences`. */
  private async fencedBegin(batch: PendingBatch, ended: string[], fences: Lease[]): Promise<void> {
    const cut = new Map<string, number>();
    for (const r of batch.ranges) cut.set(r.shardId, Math.max(cut.get(r.shardId) ?? this.cut.get(r.shardId) ?? 0, r.last + 1));
    const keys = [this.key('cut'), this.key('pending'), this.key('ended'), ...fences.map((f) => this.backend.keys.lease(f.key)), this.markerKey(batch.id)];
    const args: string[] = [fences[0].owner, String(this.backend.now()), batch.id, JSON.stringify(batch), String(cut.size)];
    for (const [shard, pos] of cut) args.push(shard, String(pos));
    args.push(...ended);
    const client = this.backend.client;
    try {
      try {
        await client.evalsha(FENCED_BEGIN_SHA, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        await client.eval(FENCED_BEGIN, keys.length, ...keys, ...args);
      }
    } catch (err) {
      if (scriptErrorCode(err) === 'FENCED') {
        // An earlier attempt whose reply was lost (Redis died after its fsync) may have stored
        // the batch while the leases were still ours: then it is journaled, and stays as cut.
        if (await this.backend.client.exists(this.markerKey(batch.id)).catch(() => 0) === 1) {
          this.pendingBatches.set(batch.id, batch);
          for (const [shard, pos] of cut) this.cut.set(shard, pos);
          for (const s of ended) this.ended.add(s);
          return;
        }
        const idx = (/HYDRANT_FENCED (\S+)/.exec((err as Error).message)?.[1] ?? '').split(',').map(Number);
        throw new LeaseLostError([...new Set(idx.map((i) => fences[i].key.slice(fences[i].key.lastIndexOf('/') + 1)))]);
      }
      throw unavailable(err, `writing the delivery journal ${this.group} failed`);
    }
    this.pendingBatches.set(batch.id, batch);
    for (const [shard, pos] of cut) this.cut.set(shard, pos);
    for (const s of ended) this.ended.add(s);
  }

  async markEnded(shardIds: string[]): Promise<void> {
    this.check();
    for (const s of shardIds) this.ended.add(s);
    await this.write([], [], shardIds);
  }

  async complete(id: string): Promise<void> {
    this.check();
    this.pendingBatches.delete(id);
    this.removals.add(id);
    await this.write([], [], []);
  }

  async replan(id: string, target: Record<string, unknown>): Promise<void> {
    const b = this.pendingBatches.get(id);
    if (!b) return;
    b.target = target;
    await this.write([b], [], []);
  }

  /** Rewrite everything this node knows (after a failed write). */
  async sync(): Promise<void> {
    this.check();
    await this.write([...this.pendingBatches.values()], [...this.cut.keys()], [...this.ended]);
  }

  async skipTo(shardId: string, position: number): Promise<void> {
    if ((this.cut.get(shardId) ?? 0) >= position) return;
    this.cut.set(shardId, position);
    await this.write([], [shardId], []);
  }

  close(): void {
    this.closed = true;
  }

  /** Deletes the journal (the delivery stream was deleted). */
  async destroy(): Promise<void> {
    try {
      await this.backend.client.del(this.key('cut'), this.key('pending'), this.key('ended'));
    } catch (err) {
      throw unavailable(err, `deleting the delivery journal ${this.group} failed`);
    }
  }

  private check(): void {
    if (this.closed) throw new Error(`delivery journal ${this.group} is closed`);
  }

  private async write(batches: PendingBatch[], cutShards: string[], ended: string[]): Promise<void> {
    const removals = [...this.removals];
    const m = this.backend.client.multi();
    for (const b of batches) m.hset(this.key('pending'), b.id, JSON.stringify(b));
    // Only the shard's lease holder moves its cut (writes are not fenced: see README).
    for (const s of cutShards) m.hset(this.key('cut'), s, String(this.cut.get(s) ?? 0));
    if (ended.length > 0) m.sadd(this.key('ended'), ...ended);
    if (removals.length > 0) m.hdel(this.key('pending'), ...removals);
    try {
      await m.exec();
    } catch (err) {
      throw unavailable(err, `writing the delivery journal ${this.group} failed`);
    }
    for (const id of removals) this.removals.delete(id);
  }
}
