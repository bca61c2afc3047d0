import { AwsError } from '../../core/aws-error.js';
import type { AppendEntry } from '../../core/record.js';
import { AwsTimestamp } from '../../core/timestamp.js';
import { MAX_HASH_KEY, partitionKeyHash } from '../hash.js';
import type { LogStream, ShardMeta } from '../log-stream.js';
import { LogUnavailableError, ShardClosedError } from '../log/index.js';
import { decodeSequenceNumber, endingSequenceNumber, positionAfter, positionAt, recordSequenceNumber, startingSequenceNumber } from '../sequence.js';
import { kinesisErrors } from './messages.js';
import { ShardThrottle, type ShardLimits } from './shard-limits.js';

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';

/** What Kinesis keeps about a stream besides its shards (persisted as `kinesis.json`). */
export interface StreamSettings {
  name: string;
  createdAt: number;
  status: StreamStatus;
  mode: StreamMode;
  tags: Record<string, string>;
  encryption: { type: 'NONE' | 'KMS'; keyId?: string };
  maxRecordSizeKiB: number;
  shardLevelMetrics: string[];
  /** Times of UpdateShardCount calls (AWS allows 10 per rolling 24 hours). */
  scalings: number[];
  warmThroughputMiBps?: number;
  /**
   * When an UPDATING transition is due to end (epoch ms). On the Redis backend, if the node doing
   * it died, another node ends it (ACTIVE) a few seconds after this.
   */
  statusUntil?: number;
}

export interface PutEntry {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

export type PutResult = { SequenceNumber: string; ShardId: string } | { ErrorCode: string; ErrorMessage: string };

export interface ApiRecord {
  SequenceNumber: string;
  ApproximateArrivalTimestamp: AwsTimestamp;
  Data: Buffer;
  PartitionKey: string;
}

export interface ChildShard {
  ShardId: string;
  ParentShards: string[];
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
}

export interface ShardRead {
  records: ApiRecord[];
  nextPosition: number;
  millisBehindLatest: number;
  /** Set when the shard is closed and read to its end: the consumer moves on to these. */
  childShards?: ChildShard[];
  bytes: number;
}

export interface KinesisStreamDeps {
  accountId: string;
  region: string;
  now: () => number;
  limits: ShardLimits | false;
}

const ITERATOR_TYPES_WITH_SEQUENCE = new Set(['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']);

/**
 * One Kinesis data stream: settings, the sharded log, routing by hash key, per-shard limits,
 * sequence numbers and positions. Control-plane changes go through `KinesisStreams`.
 */
export class KinesisStream {
  readonly arn: string;
  private readonly throttles = new Map<string, ShardThrottle>();
  private readonly deletion = new AbortController();

  constructor(public settings: StreamSettings, readonly log: LogStream, private readonly deps: KinesisStreamDeps) {
    this.arn = `arn:aws:kinesis:${deps.region}:${deps.accountId}:stream/${settings.name}`;
  }

  get name(): string {
    return this.settings.name;
  }

  get createdAt(): number {
    return this.settings.createdAt;
  }

  get status(): StreamStatus {
    return this.settings.status;
  }

  /** Aborted when the stream is deleted: consumers stop. */
  get deleted(): AbortSignal {
    return this.deletion.signal;
  }

  markDeleted(): void {
    this.deletion.abort();
  }

  get retentionHours(): number {
    return this.log.meta.retentionHours;
  }

  /** Records older than this are never returned. */
  retentionCutoff(): number {
    return this.deps.now() - this.retentionHours * 3_600_000;
  }

  throttle(shardId: string): ShardThrottle {
    let t = this.throttles.get(shardId);
    if (!t) {
      t = new ShardThrottle(this.deps.limits, this.deps.now);
      this.throttles.set(shardId, t);
    }
    return t;
  }

  /**
   * A shard by id, read leniently as AWS does: the text after the first `-` (or all of it) is the
   * decimal index, so `0`, `shardId-0` and `shard-0` all name `shardId-000000000000`.
   */
  shard(shardId: string): ShardMeta | undefined {
    const index = parseShardIndex(shardId);
    return index === undefined ? undefined : this.log.meta.shards.find((s) => s.index === index);
  }

  /** Shards still within retention (a closed shard expires when its end leaves retention). */
  liveShards(): ShardMeta[] {
    const cutoff = this.retentionCutoff();
    return this.log.meta.shards.filter((s) => s.closedAt === undefined || s.closedAt >= cutoff);
  }

  shardJson(s: ShardMeta): Record<string, unknown> {
    const out: Record<string, unknown> = { ShardId: s.shardId };
    if (s.parentShardId) out.ParentShardId = s.parentShardId;
    if (s.adjacentParentShardId) out.AdjacentParentShardId = s.adjacentParentShardId;
    out.HashKeyRange = { StartingHashKey: s.startingHashKey, EndingHashKey: s.endingHashKey };
    const range: Record<string, string> = { StartingSequenceNumber: startingSequenceNumber(s) };
    if (s.closedAt !== undefined) range.EndingSequenceNumber = endingSequenceNumber(s, s.closedAt);
    out.SequenceNumberRange = range;
    return out;
  }

  childShards(shardId: string): ChildShard[] {
    const children = this.log.children(shardId);
    return children.map((c) => ({
      ShardId: c.shardId,
      ParentShards: [c.parentShardId, c.adjacentParentShardId].filter((p): p is string => p !== undefined),
      HashKeyRange: { StartingHashKey: c.startingHashKey, EndingHashKey: c.endingHashKey },
    }));
  }

  get maxRecordBytes(): number {
    return this.settings.maxRecordSizeKiB * 1024;
  }

  /**
   * Append records, each to the open shard owning its hash key. Records over a shard's limit fail
   * individually (`ProvisionedThroughputExceededException`); the others are stored. Results are in
   * input order; appends to a shard keep the input order.
   */
  async put(entries: PutEntry[]): Promise<{ results: PutResult[]; failed: number }> {
    const { accountId } = this.deps;
    const hashes = new Array<bigint>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.explicitHashKey !== undefined) {
        const h = BigInt(e.explicitHashKey);
        if (h > MAX_HASH_KEY) throw kinesisErrors.explicitHashKey(e.explicitHashKey);
        hashes[i] = h;
      } else {
        hashes[i] = partitionKeyHash(e.partitionKey);
      }
    }
    const results = new Array<PutResult>(entries.length);
    const groups = new Map<ShardMeta, { idx: number[]; entries: AppendEntry[] }>();
    let failed = 0;
    for (let i = 0; i < entries.length; i++) {
      const shard = this.log.shardFor(hashes[i]);
      const e = entries[i];
      const size = e.data.length + Buffer.byteLength(e.partitionKey);
      if (!this.throttle(shard.shardId).admitWrite(size, hashes[i])) {
        const err = kinesisErrors.writeThrottled(shard.shardId, this.name, accountId);
        results[i] = { ErrorCode: err.type, ErrorMessage: err.message };
        failed++;
        continue;
      }
      let g = groups.get(shard);
      if (!g) {
        g = { idx: [], entries: [] };
        groups.set(shard, g);
      }
      g.idx.push(i);
      g.entries.push({ partitionKey: e.partitionKey, data: e.data });
    }
    const outcomes = await Promise.allSettled([...groups].map(([shard, g]) => this.appendGroup(shard, g.idx, g.entries, hashes, results)));
    const unavailable = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (unavailable.length > 0) {
      const other = unavailable.find((o) => !LogUnavailableError.isInstance(o.reason));
      if (other) throw other.reason;
      // The log is unreachable. Nothing stored: the whole call fails (retryable). Some shards
      // stored: those records succeeded, the others fail one by one, as a throttled record does.
      if (unavailable.length === outcomes.length) throw unavailable[0].reason;
      for (let i = 0; i < results.length; i++) {
        if (results[i] !== undefined) continue;
        results[i] = { ErrorCode: 'InternalFailure', ErrorMessage: 'The record could not be stored: the storage backend is unavailable. Retry it.' };
        failed++;
      }
    }
    return { results, failed };
  }

  /**
   * Append one shard's records. On a shared backend another node may have closed the shard
   * after we routed to it: nothing was stored, the stream's shards are reloaded by then, and the
   * records are routed again (to the children), a few times at most.
   */
  private async appendGroup(shard: ShardMeta, idx: number[], entries: AppendEntry[], hashes: bigint[], results: PutResult[], attempt = 0): Promise<void> {
    let range;
    try {
      range = await this.log.appendBatch(shard.shardId, entries);
    } catch (err) {
      if (!ShardClosedError.isInstance(err) || attempt >= 3) throw err;
      const regrouped = new Map<ShardMeta, { idx: number[]; entries: AppendEntry[] }>();
      for (let k = 0; k < idx.length; k++) {
        const target = this.log.shardFor(hashes[idx[k]]);
        let g = regrouped.get(target);
        if (!g) regrouped.set(target, (g = { idx: [], entries: [] }));
        g.idx.push(idx[k]);
        g.entries.push(entries[k]);
      }
      await Promise.all([...regrouped].map(([s, g]) => this.appendGroup(s, g.idx, g.entries, hashes, results, attempt + 1)));
      return;
    }
    for (let k = 0; k < idx.length; k++) {
      results[idx[k]] = { SequenceNumber: recordSequenceNumber(shard, range.first + k, range.arrivedAt), ShardId: shard.shardId };
    }
  }

  /** Check a PutRecord `SequenceNumberForOrdering` (our numbers always increase per shard, so it only needs to be valid). */
  checkOrderingKey(seq: string): void {
    const d = decodeSequenceNumber(seq);
    if (!d || 'legacy' in d || d.shardIndex >= this.log.meta.nextShardIndex) throw kinesisErrors.orderingKey(seq, this.name, this.deps.accountId);
  }

  /** The position a GetShardIterator / SubscribeToShard StartingPosition designates. */
  async startPosition(shardId: string, type: string, sequenceNumber?: string, timestampSec?: number): Promise<{ shard: ShardMeta; position: number }> {
    const { accountId } = this.deps;
    const shard = this.shard(shardId);
    if (!shard) {
      const index = parseShardIndex(shardId);
      throw index === undefined
        ? kinesisErrors.couldNotFindShard(shardId, this.name, accountId)
        : kinesisErrors.shardNotFound(formatShardId(index), this.name, accountId);
    }
    if (ITERATOR_TYPES_WITH_SEQUENCE.has(type) !== (sequenceNumber !== undefined)) {
      throw kinesisErrors.iteratorTypeNeedsSequence(type, sequenceNumber !== undefined);
    }
    const log = this.log.log(shard.shardId);
    // The current tip (on a shared backend other nodes append too).
    const end = shard.endPosition ?? (await log.positions()).next;
    switch (type) {
      case 'TRIM_HORIZON':
        return { shard, position: await this.trimHorizon(shard) };
      case 'LATEST':
        return { shard, position: end };
      case 'AT_TIMESTAMP': {
        if (timestampSec === undefined) throw kinesisErrors.timestampMissing();
        const ms = Math.round(timestampSec * 1000);
        const now = this.deps.now();
        if (ms > now) throw kinesisErrors.timestampInFuture(ms, now);
        const at = await log.positionAtTime(Math.max(ms, this.retentionCutoff()));
        return { shard, position: Math.min(at, end) };
      }
      default: {
        const seq = sequenceNumber as string;
        const d = decodeSequenceNumber(seq);
        if (d && 'legacy' in d) {
          if (d.shardIndex === 0) throw new AwsError('InternalFailure', '', 500);
          throw kinesisErrors.sequenceOtherShard(formatShardId(d.shardIndex), shard.shardId);
        }
        if (!d) throw kinesisErrors.sequenceInvalid(seq, shard.shardId, this.name, accountId);
        if (d.shardIndex !== shard.index) throw kinesisErrors.sequenceOtherShard(formatShardId(d.shardIndex), shard.shardId);
        if (d.shardCreatedSec !== Math.floor(shard.createdAt / 1000)) throw kinesisErrors.sequenceInvalid(seq, shard.shardId, this.name, accountId, true);
        const position = type === 'AT_SEQUENCE_NUMBER' ? positionAt(d) : positionAfter(d);
        return { shard, position: Math.min(Math.max(position, log.trimPosition), end) };
      }
    }
  }

  /** First position still within retention. */
  async trimHorizon(shard: ShardMeta): Promise<number> {
    return this.log.log(shard.shardId).positionAtTime(this.retentionCutoff());
  }

  /**
   * Records from `position` on (whole records, up to `maxRecords` and about `maxBytes`), shaped for
   * the API, with the next position; at the end of a closed shard, its children instead.
   */
  async read(shardId: string, position: number, opts: { maxRecords?: number; maxBytes?: number } = {}): Promise<ShardRead> {
    const shard = this.log.shard(shardId);
    if (!shard) throw kinesisErrors.shardNotFound(shardId, this.name, this.deps.accountId);
    const log = this.log.log(shardId);
    const cutoff = this.retentionCutoff();
    const end = shard.endPosition;
    let from = Math.max(position, log.trimPosition);
    const limit = end === undefined ? Infinity : end;
    const raw = from < limit ? await log.read(from, { maxRecords: opts.maxRecords ?? 10_000, maxBytes: opts.maxBytes ?? 10 * 1024 * 1024 }) : [];
    const records: ApiRecord[] = [];
    let bytes = 0;
    let last = from - 1;
    let lastArrived: number | undefined;
    for (const r of raw) {
      if (r.position >= limit) break;
      last = r.position;
      lastArrived = r.arrivedAt;
      if (r.arrivedAt < cutoff) continue;
      records.push({
        SequenceNumber: recordSequenceNumber(shard, r.position, r.arrivedAt),
        ApproximateArrivalTimestamp: new AwsTimestamp(r.arrivedAt),
        Data: r.data,
        PartitionKey: r.partitionKey,
      });
      bytes += r.data.length + Buffer.byteLength(r.partitionKey);
    }
    from = last + 1;
    const tip = end ?? log.durablePosition;
    const millisBehindLatest = from >= tip || lastArrived === undefined ? 0 : Math.max(0, this.deps.now() - lastArrived);
    const out: ShardRead = {
      records,
      nextPosition: from,
      millisBehindLatest,
      bytes,
    };
    if (end !== undefined && from >= end) out.childShards = this.childShards(shardId);
    return out;
  }

  /**
   * The sequence number to resume after when the next position to read is `next` (EFO's
   * ContinuationSequenceNumber of an event without records): the record before `next`, with its
   * own arrival time (part of its sequence number), so it equals the number that record was read
   * with; the shard's starting number at position 0. Asked for only when needed: it may read.
   */
  async continuationBefore(shardId: string, next: number): Promise<string> {
    const shard = this.log.shard(shardId);
    if (!shard) throw kinesisErrors.shardNotFound(shardId, this.name, this.deps.accountId);
    if (next <= 0) return startingSequenceNumber(shard);
    const log = this.log.log(shardId);
    let arrived = shard.createdAt;
    if (next - 1 >= log.trimPosition) {
      const previous = await log.read(next - 1, { maxRecords: 1 });
      if (previous[0]?.position === next - 1) arrived = previous[0].arrivedAt;
    }
    return recordSequenceNumber(shard, next - 1, arrived);
  }
}

/** AWS's lenient shard-id reading; undefined when the text names no index. */
export function parseShardIndex(raw: string): number | undefined {
  const dash = raw.indexOf('-');
  const digits = dash < 0 ? raw : raw.slice(dash + 1);
  if (!/^\d{1,20}$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= 2147483647 ? n : undefined;
}

export function formatShardId(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}
