import type { Redis } from 'ioredis';
import type { AppendEntry, AppendResult, AppendedRange, LogRecord } from '../../core/record.js';
import { ShardClosedError, rangeResults, type LogPositions, type ReadOptions, type ShardLogBackend, type TrimResult } from '../log/backend.js';
import { unavailable } from './connection.js';
import { scriptErrorCode, type RedisArg } from './lua-script.js';
import { APPEND, POSITIONS, POSITION_AT_TIME, SEAL, TRIM } from './shard-scripts.js';
import type { TipWatcher } from './tip-watcher.js';

export interface RedisShardLogOptions {
  client: Redis;
  watcher: TipWatcher;
  /** Name of the shard (errors) and its two keys (see `RedisKeys`). */
  shardId: string;
  logKey: string;
  positionsKey: string;
  /** Clock for arrival times (epoch ms); default `Date.now`. */
  now?: () => number;
  /**
   * After each append, `WAITAOF numlocal numreplicas timeout` (Redis 7.2+): the append is
   * acknowledged only once it is fsynced to the AOF locally and/or on replicas. Default: off
   * (durability is the server's `appendfsync` setting).
   */
  waitAof?: { local: 0 | 1; replicas: number; timeoutMs: number };
}

const READ_CHUNK_MIN = 16;
const READ_CHUNK_MAX = 10_000;

/**
 * The log of one shard in Redis: one Redis Stream whose entry `<position + 1>-<arrival ms>` holds
 * a record's partition key (`k`) and data (`d`), and a hash of its positions. Every node appends
 * to and reads from the same keys; appends are one Lua script each (all-or-nothing, positions
 * assigned atomically), reads are XRANGE by id, waiting is XREAD BLOCK (see `TipWatcher`),
 * retention is XTRIM MINID.
 *
 * The position getters are this node's latest knowledge, raised by its own appends, reads and
 * wake-ups, and refreshed by `positions()`. Appends and reads never need them.
 */
export class RedisShardLog implements ShardLogBackend {
  private next = 0;
  private trim = 0;
  private closing: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly closer = new AbortController();
  private readonly now: () => number;
  /** Running average of a record's size in bytes, to size XRANGE chunks for a byte budget. */
  private avgRecordBytes = 1024;

  private constructor(private readonly o: RedisShardLogOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Opens the shard's log (creating nothing until the first append) and learns its positions. */
  static async open(opts: RedisShardLogOptions): Promise<RedisShardLog> {
    const log = new RedisShardLog(opts);
    await log.positions();
    return log;
  }

  get shardId(): string {
    return this.o.shardId;
  }

  get nextPosition(): number {
    return this.next;
  }

  /** Appends are atomic: everything below `next` is readable. */
  get durablePosition(): number {
    return this.next;
  }

  get trimPosition(): number {
    return this.trim;
  }

  async positions(): Promise<LogPositions> {
    this.checkOpen();
    let reply: number[];
    try {
      reply = (await POSITIONS.run(this.o.client, this.keys, [])) as number[];
    } catch (err) {
      throw unavailable(err);
    }
    this.learn(Number(reply[0]), Number(reply[1]));
    return { next: this.next, durable: this.next, trim: this.trim };
  }

  append(entries: AppendEntry[]): Promise<AppendResult[]> {
    return this.appendBatch(entries).then(rangeResults);
  }

  appendBatch(entries: AppendEntry[]): Promise<AppendedRange> {
    if (this.closing) return Promise.reject(this.closedError());
    if (entries.length === 0) return Promise.resolve({ first: this.next, count: 0, arrivedAt: this.now() });
    const p = this.doAppend(entries);
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async doAppend(entries: AppendEntry[]): Promise<AppendedRange> {
    const args = new Array<RedisArg>(1 + 2 * entries.length);
    args[0] = this.now();
    for (let i = 0; i < entries.length; i++) {
      args[1 + 2 * i] = entries[i].partitionKey;
      args[2 + 2 * i] = entries[i].data;
    }
    let reply: number[];
    try {
      reply = (await APPEND.run(this.o.client, this.keys, args)) as number[];
    } catch (err) {
      if (scriptErrorCode(err) === 'SHARD_CLOSED') throw new ShardClosedError(this.o.shardId);
      throw unavailable(err, `append to shard ${this.o.shardId} failed`);
    }
    const first = Number(reply[0]);
    const range = { first, count: entries.length, arrivedAt: Number(reply[1]) };
    if (this.o.waitAof) await this.waitAof(this.o.waitAof);
    this.learn(first + entries.length, this.trim);
    return range;
  }

  private async waitAof(w: { local: 0 | 1; replicas: number; timeoutMs: number }): Promise<void> {
    let acked: unknown;
    try {
      acked = await this.o.client.call('WAITAOF', w.local, w.replicas, w.timeoutMs);
    } catch (err) {
      throw unavailable(err, `WAITAOF after an append to shard ${this.o.shardId} failed (the records may be stored; a retry can store them twice)`);
    }
    const [local, replicas] = (acked as number[]).map(Number);
    if (local < w.local || replicas < w.replicas) {
      throw unavailable(new Error(`fsynced by ${local} local and ${replicas} replica AOFs, ${w.local} and ${w.replicas} required`),
        `append to shard ${this.o.shardId} not durable in time (the records may be stored; a retry can store them twice)`);
    }
  }

  async read(fromPosition: number, opts: ReadOptions = {}): Promise<LogRecord[]> {
    this.checkOpen();
    const maxRecords = Math.max(1, opts.maxRecords ?? 10_000);
    const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    const out: LogRecord[] = [];
    let bytes = 0;
    let from = Math.max(0, fromPosition);
    for (;;) {
      const want = maxRecords - out.length;
      const budget = Math.floor((maxBytes - bytes) / this.avgRecordBytes) + 1;
      const count = Math.max(READ_CHUNK_MIN, Math.min(want, READ_CHUNK_MAX, budget));
      let entries: [Buffer, Buffer[]][];
      try {
        entries = await this.o.client.xrangeBuffer(this.o.logKey, String(from + 1), '+', 'COUNT', count);
      } catch (err) {
        throw unavailable(err, `read of shard ${this.o.shardId} failed`);
      }
      let chunkBytes = 0;
      for (const [id, fields] of entries) {
        const record = toRecord(id, fields);
        const size = recordBytes(fields);
        chunkBytes += size;
        if (out.length > 0 && bytes + size > maxBytes) return this.finish(out, fromPosition);
        out.push(record);
        bytes += size;
        if (out.length >= maxRecords) return this.finish(out, fromPosition);
      }
      if (entries.length > 0) this.avgRecordBytes = Math.max(1, Math.round((this.avgRecordBytes + chunkBytes / entries.length) / 2));
      if (entries.length < count) return this.finish(out, fromPosition);
      from = out[out.length - 1].position + 1;
    }
  }

  /** What a read teaches: the tip is past its last record, and a gap before its first was trimmed. */
  private finish(out: LogRecord[], from: number): LogRecord[] {
    if (out.length > 0) this.learn(out[out.length - 1].position + 1, out[0].position > from ? out[0].position : this.trim);
    return out;
  }

  async waitForData(afterPosition: number, signal?: AbortSignal): Promise<void> {
    if (this.next > afterPosition || this.closing || signal?.aborted) return;
    const stop = signal ? AbortSignal.any([signal, this.closer.signal]) : this.closer.signal;
    const found = await this.o.watcher.waitFor(this.o.logKey, afterPosition, stop);
    if (found !== undefined) this.learn(found + 1, this.trim);
  }

  async positionAtTime(epochMs: number): Promise<number> {
    this.checkOpen();
    let reply: number[];
    try {
      reply = (await POSITION_AT_TIME.run(this.o.client, this.keys, [Math.floor(epochMs)])) as number[];
    } catch (err) {
      throw unavailable(err);
    }
    this.learn(Number(reply[1]), Number(reply[2]));
    return Number(reply[0]);
  }

  applyRetention(retentionMs: number, now = this.now()): Promise<TrimResult> {
    return this.runTrim('time', Math.floor(now - retentionMs));
  }

  trimBefore(position: number): Promise<TrimResult> {
    return this.runTrim('position', Math.floor(position));
  }

  private async runTrim(kind: 'time' | 'position', value: number): Promise<TrimResult> {
    this.checkOpen();
    let reply: number[];
    try {
      reply = (await TRIM.run(this.o.client, this.keys, [kind, value])) as number[];
    } catch (err) {
      throw unavailable(err, `trim of shard ${this.o.shardId} failed`);
    }
    const deleted = Number(reply[0]);
    this.trim = Math.max(this.trim, Number(reply[1]));
    this.learn(Number(reply[2]), this.trim);
    return { deletedSegments: 0, deletedRecords: deleted };
  }

  /**
   * Refuse every later append, from any node, and answer the end position: the records below it
   * are the shard's for good. Used by a reshard; idempotent.
   */
  async seal(): Promise<number> {
    let end: number;
    try {
      end = Number(await SEAL.run(this.o.client, this.keys, []));
    } catch (err) {
      throw unavailable(err, `closing shard ${this.o.shardId} failed`);
    }
    this.learn(end, this.trim);
    return end;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      this.closer.abort();
    })();
    return this.closing;
  }

  /** Closes the log and deletes its keys. */
  async destroy(): Promise<void> {
    await this.close();
    try {
      await this.o.client.del(this.o.logKey, this.o.positionsKey);
    } catch (err) {
      throw unavailable(err, `deleting shard ${this.o.shardId} failed`);
    }
  }

  private get keys(): [string, string] {
    return [this.o.logKey, this.o.positionsKey];
  }

  /** Raise the cached positions (they only move forward). */
  private learn(next: number, trim: number): void {
    if (next > this.next) this.next = next;
    if (trim > this.trim) this.trim = trim;
  }

  private checkOpen(): void {
    if (this.closing) throw this.closedError();
  }

  private closedError(): Error {
    return new Error(`shard log ${this.o.shardId} is closed`);
  }
}

/** A stream entry (`<position + 1>-<arrival ms>`, fields k, d) as a log record. */
function toRecord(id: Buffer, fields: Buffer[]): LogRecord {
  const s = id.toString('latin1');
  const dash = s.indexOf('-');
  let partitionKey = '';
  let data: Buffer = Buffer.alloc(0);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name.length === 1 && name[0] === 0x6b) partitionKey = fields[i + 1].toString('utf8');
    else if (name.length === 1 && name[0] === 0x64) data = fields[i + 1];
  }
  return { position: Number(s.slice(0, dash)) - 1, arrivedAt: Number(s.slice(dash + 1)), partitionKey, data };
}

/** Partition key + data bytes of an entry's fields (the unit of a read's byte budget). */
function recordBytes(fields: Buffer[]): number {
  let n = 0;
  for (let i = 1; i < fields.length; i += 2) n += fields[i].length;
  return n;
}
