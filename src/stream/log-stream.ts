import type { AppendEntry, AppendResult, AppendedRange } from '../core/record.js';
import { evenHashRanges } from './hash.js';
import { ShardRouter } from './router.js';
import { ShardClosedError, type ShardLogBackend } from './log/index.js';
import { FileStreamStorage, type FileStreamStorageOptions, type StreamStorage } from './storage.js';

/** One shard's description; hash keys are decimal strings (128-bit). */
export interface ShardMeta {
  shardId: string;
  index: number;
  startingHashKey: string;
  endingHashKey: string;
  createdAt: number;
  parentShardId?: string;
  adjacentParentShardId?: string;
  /** Set when the shard was closed by a reshard; its log stays readable until retention. */
  closedAt?: number;
  /** Set once a closed shard's last append is durable: its positions are [0, endPosition). */
  endPosition?: number;
}

export interface StreamMeta {
  name: string;
  createdAt: number;
  retentionHours: number;
  shards: ShardMeta[];
  nextShardIndex: number;
  /** Grows by one with every change (compare-and-set between nodes); absent in files written before it existed. */
  version?: number;
}

export interface LogStreamOptions extends FileStreamStorageOptions {
  /** Where metadata and logs live; default: files under `dir` (the embedded log). */
  storage?: StreamStorage;
}

export const shardIdFor = (index: number) => `shardId-${String(index).padStart(12, '0')}`;

/** How many times a reshard or setting change retries after another node changed the metadata first. */
const CAS_ATTEMPTS = 20;

/**
 * A sharded stream: metadata (shards, hash ranges, lineage, retention) and a log per shard, in a
 * `StreamStorage` (files by default; Redis to share the stream between nodes). Direct PUT
 * delivery streams own a hidden one; Kinesis streams are the same thing with an API in front.
 *
 * With shared storage several nodes open the same stream: each watches the metadata and
 * reloads it (`refresh`) when another node resharded; a node that routed records to a shard
 * another node has just closed gets `ShardClosedError` from the append (nothing stored) and
 * routes again after the refresh this triggers.
 */
export class LogStream {
  private readonly logs = new Map<string, ShardLogBackend>();
  /** Per shard, the last append not yet settled: a shard closes only after it settles. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private router: ShardRouter;
  private reshardWaiters: (() => void)[] = [];
  /** Serializes reshards, refreshes and meta writes of this node. */
  private metaLock: Promise<unknown> = Promise.resolve();
  private readonly unwatch: () => void;
  private closed = false;

  private constructor(private readonly opts: LogStreamOptions, private readonly storage: StreamStorage, public meta: StreamMeta) {
    this.router = new ShardRouter(this.openShards());
    this.unwatch = storage.watch(() => void this.refresh().catch((err: unknown) => {
      this.opts.logger?.warn({ err, stream: this.meta.name }, 'reloading the stream metadata failed; retried at the next change');
    }));
  }

  /** Create the stream's metadata and shard logs; fails if the storage already holds a stream. */
  static async create(opts: LogStreamOptions, init: { name: string; shardCount: number; retentionHours: number }): Promise<LogStream> {
    const now = (opts.now ?? Date.now)();
    const shards = evenHashRanges(init.shardCount).map((r, i): ShardMeta => ({
      shardId: shardIdFor(i),
      index: i,
      startingHashKey: r.start.toString(),
      endingHashKey: r.end.toString(),
      createdAt: now,
    }));
    const meta: StreamMeta = { name: init.name, createdAt: now, retentionHours: init.retentionHours, shards, nextShardIndex: init.shardCount, version: 1 };
    const storage = storageOf(opts);
    if (!(await storage.create(meta))) throw new Error(`stream ${init.name} already exists`);
    const stream = new LogStream(opts, storage, meta);
    await stream.openLogs(meta);
    return stream;
  }

  static async open(opts: LogStreamOptions): Promise<LogStream | undefined> {
    const storage = storageOf(opts);
    const meta = await storage.load();
    if (!meta) return undefined;
    const stream = new LogStream(opts, storage, meta);
    await stream.openLogs(meta);
    await stream.finishSeals();
    return stream;
  }

  private async openLogs(meta: StreamMeta): Promise<void> {
    for (const shard of meta.shards) {
      if (!this.logs.has(shard.shardId)) this.logs.set(shard.shardId, await this.storage.openLog(shard.shardId));
    }
  }

  /**
   * Record the end of every shard that is closed without one: a crash (of this node, or of the
   * node that resharded) between closing a shard and recording its end. Sealing is idempotent,
   * so doing it twice, or on two nodes at once, records the same end.
   */
  private async finishSeals(): Promise<void> {
    const open = this.meta.shards.filter((s) => s.closedAt !== undefined && s.endPosition === undefined);
    if (open.length === 0) return;
    const ends = new Map<string, number>();
    for (const s of open) ends.set(s.shardId, await this.storage.seal(s.shardId, this.log(s.shardId)));
    await this.change((m) => ({ ...m, shards: m.shards.map((s) => (ends.has(s.shardId) && s.endPosition === undefined ? { ...s, endPosition: ends.get(s.shardId) } : s)) }));
  }

  /**
   * Reload the metadata from storage (another node may have resharded or changed retention):
   * opens the logs of new shards, moves routing, wakes `waitForReshard`. Cheap when nothing
   * changed.
   */
  refresh(): Promise<void> {
    const run = this.metaLock.then(async () => {
      if (this.closed) return;
      const latest = await this.storage.load();
      if (!latest || (latest.version ?? 0) <= (this.meta.version ?? 0)) return;
      await this.openLogs(latest);
      this.adopt(latest);
      await this.finishSealsLater();
    });
    this.metaLock = run.catch(() => undefined);
    return run;
  }

  /** Seals left unfinished by another node are finished soon after (not inside the lock). */
  private finishSealsLater(): Promise<void> {
    if (!this.meta.shards.some((s) => s.closedAt !== undefined && s.endPosition === undefined)) return Promise.resolve();
    setImmediate(() => void this.metaLock.then(() => (this.closed ? undefined : this.finishSeals())).catch((err: unknown) => {
      this.opts.logger?.warn({ err, stream: this.meta.name }, 'recording the end of a closed shard failed; retried at the next change');
    }));
    return Promise.resolve();
  }

  /** Make `next` the current metadata and tell whoever waits for reshards. */
  private adopt(next: StreamMeta): void {
    const reshaped = next.shards.length !== this.meta.shards.length || next.shards.some((s, i) => s.endPosition !== this.meta.shards[i]?.endPosition || s.closedAt !== this.meta.shards[i]?.closedAt);
    this.meta = next;
    this.router = new ShardRouter(this.openShards());
    if (!reshaped) return;
    const waiters = this.reshardWaiters;
    this.reshardWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Apply `edit` to the current metadata and store it with a compare-and-set; on a conflict
   * (another node changed it first) reload and apply `edit` again to what it wrote.
   */
  private async change(edit: (meta: StreamMeta) => StreamMeta): Promise<StreamMeta> {
    for (let attempt = 0; ; attempt++) {
      const base = this.meta;
      const next = { ...edit(base), version: (base.version ?? 0) + 1 };
      if (await this.storage.update(next, base.version ?? 0)) {
        await this.openLogs(next);
        this.adopt(next);
        return next;
      }
      if (attempt + 1 >= CAS_ATTEMPTS) throw new Error(`stream ${this.meta.name}: the metadata kept changing under this node; retry`);
      const latest = await this.storage.load();
      if (!latest) throw new Error(`stream ${this.meta.name} no longer exists`);
      await this.openLogs(latest);
      this.adopt(latest);
    }
  }

  get name(): string {
    return this.meta.name;
  }

  openShards(): ShardMeta[] {
    return this.meta.shards.filter((s) => s.closedAt === undefined);
  }

  shard(shardId: string): ShardMeta | undefined {
    return this.meta.shards.find((s) => s.shardId === shardId);
  }

  /** The open shard whose hash-key range holds `hash`. */
  shardFor(hash: bigint): ShardMeta {
    return this.router.route(hash);
  }

  /** Shards created from `shardId` by a split or a merge. */
  children(shardId: string): ShardMeta[] {
    return this.meta.shards.filter((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId);
  }

  /** Resolves at the next split or merge (or when `signal` aborts). */
  waitForReshard(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.reshardWaiters.push(done);
    });
  }

  /**
   * Split an open shard: `[start, newStart-1]` and `[newStart, end]` become two new shards whose
   * parent is `shardId`; the parent closes once its last in-flight append settles.
   */
  split(shardId: string, newStartingHashKey: bigint): Promise<ShardMeta[]> {
    return this.reshard(() => {
      const parent = this.openShard(shardId);
      return {
        parents: [parent],
        children: [
          { startingHashKey: parent.startingHashKey, endingHashKey: (newStartingHashKey - 1n).toString(), parentShardId: parent.shardId },
          { startingHashKey: newStartingHashKey.toString(), endingHashKey: parent.endingHashKey, parentShardId: parent.shardId },
        ],
      };
    });
  }

  /** Merge two adjacent open shards into one whose parents are both. */
  async merge(shardId: string, adjacentShardId: string): Promise<ShardMeta> {
    const [child] = await this.reshard(() => {
      const a = this.openShard(shardId);
      const b = this.openShard(adjacentShardId);
      return {
        parents: [a, b],
        children: [{ startingHashKey: a.startingHashKey, endingHashKey: b.endingHashKey, parentShardId: a.shardId, adjacentParentShardId: b.shardId }],
      };
    });
    return child;
  }

  private openShard(shardId: string): ShardMeta {
    const shard = this.shard(shardId);
    if (!shard || shard.closedAt !== undefined) throw new Error(`shard ${shardId} of stream ${this.meta.name} is not open`);
    return shard;
  }

  /**
   * The one way the shard set changes. Order matters for durability: the children's logs and a
   * meta that lists them (with the parents marked closed) are stored *before* routing sends
   * anything to them, so an acknowledged record always lives in a shard the meta knows. Then
   * each parent is sealed (after this node's appends to it settled; later appends from any node
   * are refused) and its end recorded.
   */
  private reshard(plan: () => { parents: ShardMeta[]; children: Omit<ShardMeta, 'shardId' | 'index' | 'createdAt'>[] }): Promise<ShardMeta[]> {
    const run = this.metaLock.then(async () => {
      const now = (this.opts.now ?? Date.now)();
      let created: ShardMeta[] = [];
      let parentIds: string[] = [];
      // `change` calls the edit with this.meta current (reloaded after a conflict), which `plan` reads.
      await this.change((meta) => {
        const { parents, children } = plan();
        parentIds = parents.map((p) => p.shardId);
        created = children.map((c, i): ShardMeta => ({ ...c, shardId: shardIdFor(meta.nextShardIndex + i), index: meta.nextShardIndex + i, createdAt: now }));
        return {
          ...meta,
          nextShardIndex: meta.nextShardIndex + created.length,
          shards: [...meta.shards.map((s) => (parentIds.includes(s.shardId) ? { ...s, closedAt: now } : s)), ...created],
        };
      });
      const ends = new Map<string, number>();
      for (const id of parentIds) {
        await this.inFlight.get(id);
        ends.set(id, await this.storage.seal(id, this.log(id)));
      }
      await this.change((meta) => ({ ...meta, shards: meta.shards.map((s) => (ends.has(s.shardId) && s.endPosition === undefined ? { ...s, endPosition: ends.get(s.shardId) } : s)) }));
      return created;
    });
    this.metaLock = run.catch(() => undefined);
    return run;
  }

  /** Change the retention period (hours) and persist it. */
  setRetentionHours(hours: number): Promise<void> {
    const run = this.metaLock.then(() => this.change((meta) => ({ ...meta, retentionHours: hours })));
    this.metaLock = run.catch(() => undefined);
    return run.then(() => undefined);
  }

  log(shardId: string): ShardLogBackend {
    const log = this.logs.get(shardId);
    if (!log) throw new Error(`no shard ${shardId} in stream ${this.meta.name}`);
    return log;
  }

  append(shardId: string, entries: AppendEntry[]): Promise<AppendResult[]> {
    return this.track(shardId, this.log(shardId).append(entries));
  }

  /**
   * The hot path: append and get back the range of positions (no per-record result objects).
   * Rejects with `ShardClosedError` (nothing stored) when another node closed the shard: the
   * metadata is reloaded before the rejection, so routing again picks its children.
   */
  appendBatch(shardId: string, entries: AppendEntry[]): Promise<AppendedRange> {
    return this.track(shardId, this.log(shardId).appendBatch(entries));
  }

  /** Appends to one shard resolve in call order, so the latest one settling means all have. */
  private track<T>(shardId: string, p: Promise<T>): Promise<T> {
    const settled = p.then(() => undefined, () => undefined);
    this.inFlight.set(shardId, settled);
    void settled.then(() => {
      if (this.inFlight.get(shardId) === settled) this.inFlight.delete(shardId);
    });
    return p.catch(async (err: unknown) => {
      if (ShardClosedError.isInstance(err)) await this.refresh().catch(() => undefined);
      throw err;
    });
  }

  /** Delete whole segments older than the retention period in every shard. */
  async applyRetention(now?: number): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) {
      deleted += (await log.applyRetention(this.meta.retentionHours * 3_600_000, now)).deletedRecords;
    }
    return deleted;
  }

  /** Delete whole segments of a shard below `position` (its only consumer is past them). */
  trimBefore(shardId: string, position: number): Promise<unknown> {
    return this.log(shardId).trimBefore(position);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch();
    await this.metaLock;
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    for (const w of this.reshardWaiters) w();
    this.reshardWaiters = [];
  }

  /** Deletes the stream: every shard's data and the metadata. */
  async destroy(): Promise<void> {
    await this.close();
    for (const log of this.logs.values()) await log.destroy();
    await this.storage.destroy();
  }
}

function storageOf(opts: LogStreamOptions): StreamStorage {
  return opts.storage ?? new FileStreamStorage(opts);
}
