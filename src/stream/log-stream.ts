import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendEntry, AppendResult, AppendedRange } from '../core/record.js';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import { evenHashRanges } from './hash.js';
import { ShardRouter } from './router.js';
import { ShardLog } from './log/index.js';

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
}

export interface LogStreamOptions {
  /** Directory holding `stream.json` and one sub-directory per shard. */
  dir: string;
  fsync?: boolean;
  segmentBytes?: number;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void };
}

export const shardIdFor = (index: number) => `shardId-${String(index).padStart(12, '0')}`;

/**
 * A sharded stream on the embedded log: metadata (shards, hash ranges, lineage, retention) in
 * `stream.json`, and a `ShardLog` of segment files per shard. Direct PUT delivery streams own a
 * hidden one; Kinesis streams are the same thing with an API in front.
 */
export class LogStream {
  private readonly logs = new Map<string, ShardLog>();
  /** Per shard, the last append not yet settled: a shard closes only after it settles. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private router: ShardRouter;
  private reshardWaiters: (() => void)[] = [];
  /** Serializes reshards and meta writes. */
  private metaLock: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: LogStreamOptions, public meta: StreamMeta) {
    this.router = new ShardRouter(this.openShards());
  }

  static async create(opts: LogStreamOptions, init: { name: string; shardCount: number; retentionHours: number }): Promise<LogStream> {
    const now = (opts.now ?? Date.now)();
    const shards = evenHashRanges(init.shardCount).map((r, i): ShardMeta => ({
      shardId: shardIdFor(i),
      index: i,
      startingHashKey: r.start.toString(),
      endingHashKey: r.end.toString(),
      createdAt: now,
    }));
    const meta: StreamMeta = { name: init.name, createdAt: now, retentionHours: init.retentionHours, shards, nextShardIndex: init.shardCount };
    await mkdir(opts.dir, { recursive: true });
    await writeFileAtomic(join(opts.dir, 'stream.json'), JSON.stringify(meta, null, 2));
    const stream = new LogStream(opts, meta);
    await stream.openLogs();
    return stream;
  }

  static async open(opts: LogStreamOptions): Promise<LogStream | undefined> {
    const meta = await readJsonFile<StreamMeta>(join(opts.dir, 'stream.json'));
    if (!meta) return undefined;
    const stream = new LogStream(opts, meta);
    await stream.openLogs();
    // A crash between closing a shard and recording its end: nothing was appended to it since
    // (routing skipped it from the moment `closedAt` was durable), so its end is its log's end.
    let repaired = false;
    for (const shard of meta.shards) {
      if (shard.closedAt !== undefined && shard.endPosition === undefined) {
        shard.endPosition = stream.log(shard.shardId).nextPosition;
        repaired = true;
      }
    }
    if (repaired) await stream.saveMeta();
    return stream;
  }

  private async openLogs(): Promise<void> {
    for (const shard of this.meta.shards) await this.openLog(shard.shardId);
  }

  private async openLog(shardId: string): Promise<void> {
    this.logs.set(shardId, await ShardLog.open({
      dir: join(this.opts.dir, shardId),
      fsync: this.opts.fsync,
      segmentBytes: this.opts.segmentBytes,
      now: this.opts.now,
      logger: this.opts.logger,
    }));
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
   * meta that lists them (with the parents marked closed) are durable *before* routing sends
   * anything to them, so an acknowledged record always lives in a shard the meta knows.
   */
  private reshard(plan: () => { parents: ShardMeta[]; children: Omit<ShardMeta, 'shardId' | 'index' | 'createdAt'>[] }): Promise<ShardMeta[]> {
    const run = this.metaLock.then(async () => {
      const { parents, children } = plan();
      const now = (this.opts.now ?? Date.now)();
      const created = children.map((c, i): ShardMeta => ({ ...c, shardId: shardIdFor(this.meta.nextShardIndex + i), index: this.meta.nextShardIndex + i, createdAt: now }));
      for (const c of created) await this.openLog(c.shardId);
      const next: StreamMeta = {
        ...this.meta,
        nextShardIndex: this.meta.nextShardIndex + created.length,
        shards: [...this.meta.shards.map((s) => (parents.includes(s) ? { ...s, closedAt: now } : s)), ...created],
      };
      await this.writeMeta(next);
      this.meta = next;
      this.router = new ShardRouter(this.openShards());
      for (const p of parents) {
        await this.inFlight.get(p.shardId);
        const closed = this.shard(p.shardId)!;
        closed.endPosition = this.log(p.shardId).nextPosition;
      }
      await this.writeMeta(this.meta);
      const waiters = this.reshardWaiters;
      this.reshardWaiters = [];
      for (const w of waiters) w();
      return created;
    });
    this.metaLock = run.catch(() => undefined);
    return run;
  }

  /** Change the retention period (hours) and persist it. */
  setRetentionHours(hours: number): Promise<void> {
    const run = this.metaLock.then(() => {
      this.meta = { ...this.meta, retentionHours: hours };
      return this.writeMeta(this.meta);
    });
    this.metaLock = run.catch(() => undefined);
    return run;
  }

  private saveMeta(): Promise<void> {
    return this.writeMeta(this.meta);
  }

  private writeMeta(meta: StreamMeta): Promise<void> {
    return writeFileAtomic(join(this.opts.dir, 'stream.json'), JSON.stringify(meta, null, 2));
  }

  log(shardId: string): ShardLog {
    const log = this.logs.get(shardId);
    if (!log) throw new Error(`no shard ${shardId} in stream ${this.meta.name}`);
    return log;
  }

  append(shardId: string, entries: AppendEntry[]): Promise<AppendResult[]> {
    return this.track(shardId, this.log(shardId).append(entries));
  }

  /** The hot path: append and get back the range of positions (no per-record result objects). */
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
    return p;
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
    await this.metaLock;
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    for (const w of this.reshardWaiters) w();
    this.reshardWaiters = [];
  }

  async destroy(): Promise<void> {
    await this.close();
    await rm(this.opts.dir, { recursive: true, force: true });
  }
}
