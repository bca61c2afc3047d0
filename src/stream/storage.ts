import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import { ShardLog, type ShardLogBackend } from './log/index.js';
import type { StreamMeta } from './log-stream.js';

/**
 * Where a `LogStream` keeps its metadata and its shards' logs. Two implementations:
 * `FileStreamStorage` (stream.json and segment directories, one process) and
 * `RedisStreamStorage` (one metadata key and one Redis Stream per shard, shared by every node).
 *
 * Metadata carries a `version` that grows with every change: `update` is a compare-and-set on
 * it, so two nodes resharding one stream at once cannot both win.
 */
export interface StreamStorage {
  /** The stored metadata, undefined if the stream does not exist. */
  load(): Promise<StreamMeta | undefined>;
  /** Store the metadata of a new stream; false when one of that name exists. */
  create(meta: StreamMeta): Promise<boolean>;
  /** Replace the metadata if its stored version is still `expectedVersion`; false otherwise (reload and retry). */
  update(meta: StreamMeta, expectedVersion: number): Promise<boolean>;
  /** The log of one shard (its data survives close; `destroy` on the log deletes it). */
  openLog(shardId: string): Promise<ShardLogBackend>;
  /**
   * Refuse every later append to a shard a reshard closed, from any node, and answer its end
   * position. Called after this node's own appends to it settled. Idempotent.
   */
  seal(shardId: string, log: ShardLogBackend): Promise<number>;
  /** Calls `onChange` when another node may have changed the metadata; returns the unsubscribe. */
  watch(onChange: () => void): () => void;
  /** Deletes the metadata (and what else the storage holds besides the logs). */
  destroy(): Promise<void>;
}

export interface FileStreamStorageOptions {
  /** Directory holding `stream.json` and one sub-directory per shard. */
  dir: string;
  fsync?: boolean;
  segmentBytes?: number;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void };
}

/**
 * The embedded storage: `stream.json` replaced atomically on every change, a `ShardLog` of
 * segment files per shard. One process owns the directory, so `update` always succeeds, nobody
 * else appends (sealing is reading the log's end) and nothing changes behind its back.
 */
export class FileStreamStorage implements StreamStorage {
  constructor(private readonly opts: FileStreamStorageOptions) {}

  load(): Promise<StreamMeta | undefined> {
    return readJsonFile<StreamMeta>(this.metaPath);
  }

  async create(meta: StreamMeta): Promise<boolean> {
    await mkdir(this.opts.dir, { recursive: true });
    await this.write(meta);
    return true;
  }

  async update(meta: StreamMeta): Promise<boolean> {
    await this.write(meta);
    return true;
  }

  openLog(shardId: string): Promise<ShardLogBackend> {
    const { fsync, segmentBytes, now, logger } = this.opts;
    return ShardLog.open({ dir: join(this.opts.dir, shardId), fsync, segmentBytes, now, logger });
  }

  seal(_shardId: string, log: ShardLogBackend): Promise<number> {
    return Promise.resolve(log.nextPosition);
  }

  watch(): () => void {
    return () => undefined;
  }

  destroy(): Promise<void> {
    return rm(this.opts.dir, { recursive: true, force: true });
  }

  private get metaPath(): string {
    return join(this.opts.dir, 'stream.json');
  }

  private write(meta: StreamMeta): Promise<void> {
    return writeFileAtomic(this.metaPath, JSON.stringify(meta, null, 2));
  }
}
