import type { AppendEntry, AppendResult, AppendedRange, LogRecord } from '../../core/record.js';

export interface ReadOptions {
  /** Default 10,000 (Kinesis GetRecords). */
  maxRecords?: number;
  /** Data + partition key bytes; default 10 MiB. At least one record is returned even if larger. */
  maxBytes?: number;
}

/** What a retention or trim pass removed. */
export interface TrimResult {
  /** Storage units removed: segment files (embedded) or 0 where storage has no such unit (Redis). */
  deletedSegments: number;
  deletedRecords: number;
}

/** Where a shard's log stands, as one consistent snapshot. */
export interface LogPositions {
  /** Position the next appended record gets. */
  next: number;
  /** Every position below this is durable and readable (equal to `next` where appends are atomic). */
  durable: number;
  /** Oldest readable position. */
  trim: number;
}

/**
 * The log of one shard, as every reader and writer above `src/stream/log/` sees it. Two
 * implementations: `ShardLog` (segment files on local disk, one process) and `RedisShardLog`
 * (one Redis Stream per shard, shared by every node). Both pass `test/contract/`.
 *
 * Records of a shard have contiguous integer positions from 0; arrival times never decrease with
 * position. An append is all-or-nothing: it resolves once every record of it is durable (per the
 * backend's durability setting) or rejects with nothing of it readable.
 *
 * The position getters are synchronous so hot paths need no round trip. On the embedded log they
 * are exact; on a shared backend other nodes append too, so they are this node's latest
 * knowledge (never ahead of the truth): call `positions()` where the current tip matters (a
 * `LATEST` iterator, a `SHARD_END` decision).
 */
export interface ShardLogBackend {
  /** Position the next appended record gets (this node's latest knowledge; see above). */
  readonly nextPosition: number;
  /** All positions below this are durable and readable. */
  readonly durablePosition: number;
  /** Oldest readable position (moves forward with retention and trims). */
  readonly trimPosition: number;

  /** The current positions, read from the backing store; refreshes the getters. */
  positions(): Promise<LogPositions>;

  /** Appends records in call order; resolves once they are durable. */
  append(entries: AppendEntry[]): Promise<AppendResult[]>;
  /** Like `append`, answering with the range the records got (no per-record objects: the hot path). */
  appendBatch(entries: AppendEntry[]): Promise<AppendedRange>;

  /** Records with position >= fromPosition (or trimPosition, if later), in order; [] at the durable end. */
  read(fromPosition: number, opts?: ReadOptions): Promise<LogRecord[]>;
  /** Resolves when a record at `afterPosition` (or later) is readable, when `signal` aborts, or when the log closes. */
  waitForData(afterPosition: number, signal?: AbortSignal): Promise<void>;
  /** First position with arrivedAt >= epochMs (never below trimPosition); the durable end if none. */
  positionAtTime(epochMs: number): Promise<number>;

  /**
   * Removes records that arrived before `now - retentionMs`, oldest first. The embedded log
   * removes whole segments only (never the one being appended to), so it may keep some expired
   * records; no backend removes a record that arrived at or after the cutoff.
   */
  applyRetention(retentionMs: number, now?: number): Promise<TrimResult>;
  /**
   * Removes records below `position` that its only reader has consumed (the log behind a Direct
   * PUT stream once delivery committed past them). Storage-granular like `applyRetention`.
   */
  trimBefore(position: number): Promise<TrimResult>;

  /** Waits for in-flight appends, then releases resources; later calls reject. Data stays. */
  close(): Promise<void>;
  /** Closes the log and deletes its data. */
  destroy(): Promise<void>;
}

/** One result per record of an appended range (what `append` answers, built from `appendBatch`'s range). */
export function rangeResults(r: AppendedRange): AppendResult[] {
  const out = new Array<AppendResult>(r.count);
  for (let i = 0; i < r.count; i++) out[i] = { position: r.first + i, arrivedAt: r.arrivedAt };
  return out;
}

/**
 * Thrown when the backing store cannot be reached or refused the write: nothing of the append
 * was stored, and the same call may succeed later. The API edge answers it with a retryable
 * error (`ServiceUnavailableException`).
 */
export class LogUnavailableError extends Error {
  readonly retryable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogUnavailableError';
  }

  /** Field check, not `instanceof`, so a second copy of this module still matches. */
  static isInstance(err: unknown): err is LogUnavailableError {
    return err instanceof Error && err.name === 'LogUnavailableError' && (err as LogUnavailableError).retryable === true;
  }
}

/**
 * Thrown by an append to a shard a reshard has closed (another node sealed it after this node
 * routed the records): nothing was stored; refresh the stream's shards and route again.
 */
export class ShardClosedError extends Error {
  constructor(readonly shardId: string) {
    super(`shard ${shardId} is closed; route the records to its children`);
    this.name = 'ShardClosedError';
  }

  static isInstance(err: unknown): err is ShardClosedError {
    return err instanceof Error && err.name === 'ShardClosedError' && typeof (err as ShardClosedError).shardId === 'string';
  }
}
