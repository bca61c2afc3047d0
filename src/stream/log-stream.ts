import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendEntry, AppendResult, AppendedRange } from '../core/record.js';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import { evenHashRanges } from './hash.js';
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
  private constructor(private readonly opts: LogStreamOptions, public meta: StreamMeta) {}

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
    return stream;
  }

  private async openLogs(): Promise<void> {
    for (const shard of this.meta.shards) {
      this.logs.set(shard.shardId, await ShardLog.open({
        dir: join(this.opts.dir, shard.shardId),
        fsync: this.opts.fsync,
        segmentBytes: this.opts.segmentBytes,
        now: this.opts.now,
        logger: this.opts.logger,
      }));
    }
  }

  get name(): string {
    return this.meta.name;
  }

  openShards(): ShardMeta[] {
    return this.meta.shards.filter((s) => s.closedAt === undefined);
  }

  log(shardId: string): ShardLog {
    const log = this.logs.get(shardId);
    if (!log) throw new Error(`no shard ${shardId} in stream ${this.meta.name}`);
    return log;
  }

  append(shardId: string, entries: AppendEntry[]): Promise<AppendResult[]> {
    return this.log(shardId).append(entries);
  }

  /** The hot path: append and get back the range of positions (no per-record result objects). */
  appendBatch(shardId: string, entries: AppendEntry[]): Promise<AppendedRange> {
    return this.log(shardId).appendBatch(entries);
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
    await Promise.all([...this.logs.values()].map((l) => l.close()));
  }

  async destroy(): Promise<void> {
    await this.close();
    await rm(this.opts.dir, { recursive: true, force: true });
  }
}
