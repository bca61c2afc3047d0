import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsError, invalidArgument, limitExceeded } from '../../core/aws-error.js';
import { AwsTimestamp } from '../../core/timestamp.js';
import { readJsonFile, writeFileAtomic } from '../../util/atomic-file.js';
import { LogStream } from '../log-stream.js';
import { IteratorCodec } from '../iterator.js';
import { KinesisStream, type StreamMode, type StreamSettings, type StreamStatus } from './kinesis-stream.js';
import { kinesisErrors } from './messages.js';
import { AWS_SHARD_LIMITS, type ShardLimits } from './shard-limits.js';
import { uniformScalingPlan, pickSplitKey } from './scaling.js';
import type { RedisBackend } from '../redis/backend.js';
import { RedisCatalog } from '../redis/catalog.js';

export interface KinesisStreamsOptions {
  dataDir: string;
  region: string;
  accountId: string;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  now?: () => number;
  fsync?: boolean;
  /** CREATING → ACTIVE (AWS: tens of seconds); default 500 ms. */
  createDelayMs?: number;
  /** UPDATING → ACTIVE after a reshard, mode or encryption change; default 500 ms. */
  updateDelayMs?: number;
  /** DELETING → gone; default 500 ms. */
  deleteDelayMs?: number;
  /** Open shards allowed in the account; default 500. */
  shardLimit?: number;
  /** Per-shard throughput limits; `false` switches them off. Default: AWS's. */
  shardLimits?: Partial<ShardLimits> | false;
  /** How long a shard iterator stays valid; default 300,000 ms (AWS). */
  iteratorTtlMs?: number;
  /** ON_DEMAND scaling: how often shard load is checked and the share of a shard's write limit that counts as hot. */
  onDemand?: { checkIntervalMs?: number; hotFraction?: number };
  /** Registered enhanced fan-out consumers, for DeleteStream and ConsumerCount. */
  consumers?: { count(streamArn: string): number; deleteAllFor(streamArn: string): Promise<void> };
  /**
   * Keep settings and shard logs in Redis, shared by every node of the deployment (default:
   * files under `dataDir`, one node). Each node re-reads the catalog every `catalogSyncMs`
   * (default 1,000) to pick up streams created, changed or deleted elsewhere.
   */
  redis?: RedisBackend;
  catalogSyncMs?: number;
}

export type StreamRef = { StreamName?: string; StreamARN?: string };

const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
const TAG_CHARS = /^[\p{L}\p{N}\s_./=+\-%@]*$/u;
const MAX_CREATING = 5;
const NEXT_TOKEN_TTL_MS = 300_000;

/**
 * The Kinesis data streams of this node: their settings and logs under `<dataDir>/kinesis/`, the
 * state machine (CREATING → ACTIVE ⇄ UPDATING → DELETING), resharding, retention and on-demand
 * scaling. API handlers translate shapes; every rule AWS enforces lives here or in `KinesisStream`.
 */
export class KinesisStreams {
  private readonly streams = new Map<string, KinesisStream>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly limits: ShardLimits | false;
  readonly now: () => number;
  readonly accountId: string;
  readonly region: string;
  readonly iterators: IteratorCodec;
  readonly iteratorTtlMs: number;
  private closed = false;
  private scaleTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Serializes control-plane changes so checks and effects do not interleave. */
  private lock: Promise<unknown> = Promise.resolve();
  /** The shared catalog of the Redis backend (undefined: settings are files under dataDir). */
  private readonly catalog: RedisCatalog<StreamSettings> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: KinesisStreamsOptions, iterators: IteratorCodec) {
    this.now = opts.now ?? Date.now;
    this.accountId = opts.accountId;
    this.region = opts.region;
    this.iterators = iterators;
    this.iteratorTtlMs = opts.iteratorTtlMs ?? 300_000;
    this.limits = opts.shardLimits === false ? false : { ...AWS_SHARD_LIMITS, ...(opts.shardLimits ?? {}) };
    this.catalog = opts.redis ? new RedisCatalog<StreamSettings>(opts.redis, 'kinesis-streams') : undefined;
  }

  private get root(): string {
    return join(this.opts.dataDir, 'kinesis');
  }

  private streamDir(name: string): string {
    return join(this.root, 'streams', name);
  }

  static async open(opts: KinesisStreamsOptions): Promise<KinesisStreams> {
    const iterators = opts.redis
      ? new IteratorCodec(await opts.redis.sharedSecret(opts.redis.keys.iteratorSecret))
      : await IteratorCodec.load(join(opts.dataDir, 'kinesis'));
    const ks = new KinesisStreams(opts, iterators);
    if (ks.catalog) await ks.syncCatalog();
    else await ks.loadFiles();
    if (ks.catalog) {
      ks.syncTimer = setInterval(() => void ks.serialize(() => ks.syncCatalog()).catch((err: unknown) => {
        opts.logger.warn({ err }, 'reading the shared Kinesis stream catalog failed; retrying');
      }), opts.catalogSyncMs ?? 1_000);
      ks.syncTimer.unref();
    }
    ks.scaleTimer = setInterval(() => void ks.scaleOnDemand(), opts.onDemand?.checkIntervalMs ?? 10_000);
    ks.scaleTimer.unref();
    ks.retentionTimer = setInterval(() => void ks.applyRetention(), 60_000);
    ks.retentionTimer.unref();
    return ks;
  }

  /**
   * Redis backend: take in what other nodes changed in the shared catalog. New streams are
   * opened (their shard logs are shared), changed settings replace the local copy, streams gone
   * from the catalog are dropped here (the node that deleted them deleted their data).
   */
  private async syncCatalog(): Promise<void> {
    if (!this.catalog || this.closed) return;
    const all = await this.catalog.loadAll();
    for (const [name, settings] of all) {
      // Its creating node died before turning it ACTIVE: any node finishes the transition.
      if (settings.status === 'CREATING' && this.now() > settings.createdAt + (this.opts.createDelayMs ?? 500) + 5_000) {
        settings.status = 'ACTIVE';
        await this.catalog.save(name, settings);
      }
      // Its node died during a reshard's UPDATING window (the change is done by the node that was
      // asked, and is lost with it, as a restart of one node loses it): the stream is usable again.
      if (settings.status === 'UPDATING' && settings.statusUntil !== undefined && this.now() > settings.statusUntil + 5_000) {
        const { statusUntil: _expired, ...rest } = settings;
        await this.catalog.save(name, { ...rest, status: 'ACTIVE' });
        this.opts.logger.warn({ stream: name }, 'a stream left UPDATING by a node that is gone is ACTIVE again; its pending change was not applied');
        continue; // read again next round
      }
      const local = this.streams.get(name);
      if (local && local.createdAt === settings.createdAt) {
        if (JSON.stringify(local.settings) !== JSON.stringify(settings)) local.settings = settings;
        continue;
      }
      if (local) this.dropLocal(local);
      if (settings.status === 'DELETING') continue;
      const log = await LogStream.open(this.logOptions(name, settings.createdAt));
      if (!log) continue; // its creator has not stored the shards yet: next round
      this.streams.set(name, new KinesisStream(settings, log, this.streamDeps()));
    }
    for (const s of [...this.streams.values()]) if (!all.has(s.name)) this.dropLocal(s);
  }

  /** Redis backend: read the shared catalog now (e.g. before answering that a stream does not exist). */
  refresh(): Promise<void> {
    return this.catalog ? this.serialize(() => this.syncCatalog()) : Promise.resolve();
  }

  /** Forget a stream another node deleted (its data is that node's to delete). */
  private dropLocal(stream: KinesisStream): void {
    this.streams.delete(stream.name);
    stream.markDeleted();
    void stream.log.close().catch(() => undefined);
  }

  private async loadFiles(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(join(this.root, 'streams'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      const dir = this.streamDir(name);
      const settings = await readJsonFile<StreamSettings>(join(dir, 'kinesis.json'));
      const log = settings ? await LogStream.open(this.logOptions(name, settings.createdAt)) : undefined;
      if (!settings || !log || settings.status === 'DELETING') {
        await log?.close();
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      // A transition cut short by a restart completes now.
      if (settings.status !== 'ACTIVE') settings.status = 'ACTIVE';
      this.streams.set(name, new KinesisStream(settings, log, this.streamDeps()));
    }
  }

  /** Where a stream's shards live: files, or (Redis backend) keys named by the stream and its creation time, so a re-created stream never sees the old one's records. */
  private logOptions(name: string, createdAt?: number) {
    const storage = this.opts.redis && createdAt !== undefined ? this.opts.redis.streamStorage(`kinesis/${name}/${createdAt}`) : undefined;
    return { dir: join(this.streamDir(name), 'log'), fsync: this.opts.fsync, now: this.opts.now, logger: this.opts.logger, storage };
  }

  private streamDeps() {
    return { accountId: this.accountId, region: this.region, now: this.now, limits: this.limits };
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => {
      if (this.closed) throw new AwsError('ServiceUnavailableException', 'Hydrant is shutting down.', 503);
      return fn();
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private later(ms: number, fn: () => Promise<void> | void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.closed) return;
      Promise.resolve(fn()).catch((err: unknown) => this.opts.logger.error({ err }, 'a delayed stream change failed'));
    }, ms);
    this.timers.add(t);
  }

  private save(stream: KinesisStream): Promise<void> {
    if (this.catalog) return this.catalog.save(stream.name, stream.settings);
    return writeFileAtomic(join(this.streamDir(stream.name), 'kinesis.json'), JSON.stringify(stream.settings, null, 2));
  }

  private async setStatus(stream: KinesisStream, status: StreamStatus): Promise<void> {
    const { statusUntil: _previous, ...rest } = stream.settings;
    stream.settings = status === 'UPDATING' ? { ...rest, status, statusUntil: this.now() + (this.opts.updateDelayMs ?? 500) } : { ...rest, status };
    await this.save(stream);
  }

  // ---- lookup -------------------------------------------------------------------------------

  /** A stream named by `StreamName` and/or `StreamARN` (which must agree); ResourceNotFound otherwise. */
  require(ref: StreamRef): KinesisStream {
    const name = this.nameOf(ref);
    const stream = this.streams.get(name);
    if (!stream) throw kinesisErrors.streamNotFound(name, this.accountId);
    return stream;
  }

  find(name: string): KinesisStream | undefined {
    return this.streams.get(name);
  }

  byArn(arn: string): KinesisStream | undefined {
    const name = arnStreamName(arn);
    const s = name === undefined ? undefined : this.streams.get(name);
    return s && s.arn === arn ? s : undefined;
  }

  all(): KinesisStream[] {
    return [...this.streams.values()];
  }

  private nameOf(ref: StreamRef): string {
    if (ref.StreamARN !== undefined) {
      const name = arnStreamName(ref.StreamARN);
      if (name === undefined) throw invalidArgument(`Invalid StreamARN ${ref.StreamARN}.`);
      if (ref.StreamName !== undefined && ref.StreamName !== name) {
        throw invalidArgument(`StreamARN ${ref.StreamARN} and StreamName ${ref.StreamName} do not identify the same stream.`);
      }
      return name;
    }
    if (ref.StreamName === undefined) throw invalidArgument('Either StreamName or StreamARN should be provided.');
    return ref.StreamName;
  }

  /** A stream that accepts reads and writes (ACTIVE or UPDATING); CREATING or DELETING streams are "not found" as in AWS. */
  requireWritable(ref: StreamRef): KinesisStream {
    const s = this.require(ref);
    if (s.status === 'CREATING' || s.status === 'DELETING') throw kinesisErrors.streamNotFound(s.name, this.accountId);
    return s;
  }

  private requireActive(ref: StreamRef): KinesisStream {
    const s = this.require(ref);
    if (s.status !== 'ACTIVE') throw kinesisErrors.notActive(s.name, this.accountId, s.status);
    return s;
  }

  openShardCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.log.openShards().length;
    return n;
  }

  private checkShardLimit(extra: number): void {
    const limit = this.opts.shardLimit ?? 500;
    const current = this.openShardCount();
    if (current + extra > limit) throw kinesisErrors.shardLimit(this.accountId, this.region, current, limit, extra);
  }

  // ---- control plane ------------------------------------------------------------------------

  create(input: { StreamName: string; ShardCount?: number; StreamModeDetails?: { StreamMode: string }; Tags?: Record<string, string>; MaxRecordSizeInKiB?: number; WarmThroughputMiBps?: number }): Promise<void> {
    return this.serialize(async () => {
      const name = input.StreamName;
      if (!STREAM_NAME.test(name)) throw invalidArgument(`Stream name ${name} is invalid.`);
      if (this.streams.has(name)) throw kinesisErrors.streamExists(name, this.accountId);
      const asked = input.StreamModeDetails?.StreamMode;
      if (asked === 'PROVISIONED' && input.ShardCount === undefined) throw invalidArgument('ShardCount is required for a stream in PROVISIONED capacity mode.');
      const mode: StreamMode = asked === 'ON_DEMAND' || input.ShardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED';
      if (mode === 'ON_DEMAND' && input.ShardCount !== undefined) {
        throw invalidArgument('ShardCount cannot be specified for a stream in ON_DEMAND capacity mode.');
      }
      const shardCount = mode === 'ON_DEMAND' ? 4 : input.ShardCount as number;
      if (input.Tags) checkTags(input.Tags, name, this.accountId, 0);
      if ([...this.streams.values()].filter((s) => s.status === 'CREATING').length >= MAX_CREATING) {
        throw limitExceeded(`Rate exceeded: the account ${this.accountId} already has ${MAX_CREATING} streams in CREATING state.`);
      }
      this.checkShardLimit(shardCount);
      const now = this.now();
      const settings: StreamSettings = {
        name,
        createdAt: now,
        status: 'CREATING',
        mode,
        tags: { ...(input.Tags ?? {}) },
        encryption: { type: 'NONE' },
        maxRecordSizeKiB: input.MaxRecordSizeInKiB ?? 1024,
        shardLevelMetrics: [],
        scalings: [],
        ...(input.WarmThroughputMiBps !== undefined ? { warmThroughputMiBps: input.WarmThroughputMiBps } : {}),
      };
      if (this.catalog) {
        // Another node may have created it since our last look at the catalog.
        await this.syncCatalog();
        if (this.streams.has(name)) throw kinesisErrors.streamExists(name, this.accountId);
      } else {
        await rm(this.streamDir(name), { recursive: true, force: true });
      }
      const log = await LogStream.create(this.logOptions(name, now), { name, shardCount, retentionHours: 24 });
      const stream = new KinesisStream(settings, log, this.streamDeps());
      if (this.catalog && !(await this.catalog.create(name, settings))) {
        await log.destroy();
        throw kinesisErrors.streamExists(name, this.accountId);
      }
      await this.save(stream);
      this.streams.set(name, stream);
      this.later(this.opts.createDelayMs ?? 500, () => this.settle(stream, 'CREATING'));
      this.opts.logger.info({ stream: name, shards: shardCount, mode }, 'Kinesis stream created');
    });
  }

  private async settle(stream: KinesisStream, from: StreamStatus): Promise<void> {
    await this.serialize(async () => {
      if (this.streams.get(stream.name) === stream && stream.status === from) await this.setStatus(stream, 'ACTIVE');
    });
  }

  delete(input: StreamRef & { EnforceConsumerDeletion?: boolean }): Promise<void> {
    return this.serialize(async () => {
      const stream = this.require(input);
      const consumers = this.opts.consumers?.count(stream.arn) ?? 0;
      if (consumers > 0 && !input.EnforceConsumerDeletion) {
        throw new AwsError('ResourceInUseException', `Stream ${stream.name} under account ${this.accountId} has registered consumers. Deregister them or call DeleteStream with EnforceConsumerDeletion.`);
      }
      if (stream.status === 'DELETING') return;
      await this.setStatus(stream, 'DELETING');
      this.later(this.opts.deleteDelayMs ?? 500, () => this.serialize(async () => {
        if (this.streams.get(stream.name) !== stream) return;
        this.streams.delete(stream.name);
        stream.markDeleted();
        await this.opts.consumers?.deleteAllFor(stream.arn);
        if (this.catalog) {
          await this.catalog.remove(stream.name);
          await stream.log.destroy();
        } else {
          await stream.log.close();
          await rm(this.streamDir(stream.name), { recursive: true, force: true });
        }
        this.opts.logger.info({ stream: stream.name }, 'Kinesis stream deleted');
      }));
    });
  }

  describe(input: StreamRef & { Limit?: number; ExclusiveStartShardId?: string }): Record<string, unknown> {
    const s = this.require(input);
    let shards = s.status === 'CREATING' ? [] : s.liveShards();
    if (input.ExclusiveStartShardId !== undefined) shards = shards.filter((sh) => sh.shardId > input.ExclusiveStartShardId!);
    const limit = Math.min(input.Limit ?? 100, 100);
    const desc: Record<string, unknown> = {
      StreamName: s.name,
      StreamARN: s.arn,
      StreamStatus: s.status,
      StreamModeDetails: { StreamMode: s.settings.mode },
      Shards: shards.slice(0, limit).map((sh) => s.shardJson(sh)),
      HasMoreShards: shards.length > limit,
      RetentionPeriodHours: s.retentionHours,
      StreamCreationTimestamp: new AwsTimestamp(Math.floor(s.createdAt / 1000) * 1000),
      EnhancedMonitoring: [{ ShardLevelMetrics: s.settings.shardLevelMetrics }],
      EncryptionType: s.settings.encryption.type,
    };
    if (s.settings.encryption.keyId) desc.KeyId = s.settings.encryption.keyId;
    return { StreamDescription: desc };
  }

  describeSummary(input: StreamRef): Record<string, unknown> {
    const s = this.require(input);
    const summary: Record<string, unknown> = {
      StreamName: s.name,
      StreamARN: s.arn,
      StreamStatus: s.status,
      StreamModeDetails: { StreamMode: s.settings.mode },
      RetentionPeriodHours: s.retentionHours,
      StreamCreationTimestamp: new AwsTimestamp(Math.floor(s.createdAt / 1000) * 1000),
      EnhancedMonitoring: [{ ShardLevelMetrics: s.settings.shardLevelMetrics }],
      EncryptionType: s.settings.encryption.type,
      OpenShardCount: s.status === 'CREATING' ? 0 : s.log.openShards().length,
      ConsumerCount: this.opts.consumers?.count(s.arn) ?? 0,
      MaxRecordSizeInKiB: s.settings.maxRecordSizeKiB,
    };
    if (s.settings.encryption.keyId) summary.KeyId = s.settings.encryption.keyId;
    if (s.settings.warmThroughputMiBps !== undefined) summary.WarmThroughput = { TargetMiBps: s.settings.warmThroughputMiBps, CurrentMiBps: s.settings.warmThroughputMiBps };
    return { StreamDescriptionSummary: summary };
  }

  list(input: { Limit?: number; ExclusiveStartStreamName?: string; NextToken?: string }): Record<string, unknown> {
    let after = input.ExclusiveStartStreamName;
    if (input.NextToken !== undefined) {
      const token = this.readToken(input.NextToken);
      after = String(token.after);
    }
    const limit = input.Limit ?? 100;
    const names = [...this.streams.keys()].sort().filter((n) => after === undefined || n > after);
    const page = names.slice(0, limit);
    const out: Record<string, unknown> = {
      StreamNames: page,
      HasMoreStreams: names.length > limit,
      StreamSummaries: page.map((n) => {
        const s = this.streams.get(n)!;
        return { StreamName: n, StreamARN: s.arn, StreamStatus: s.status, StreamModeDetails: { StreamMode: s.settings.mode }, StreamCreationTimestamp: new AwsTimestamp(Math.floor(s.createdAt / 1000) * 1000) };
      }),
    };
    if (names.length > limit) out.NextToken = this.makeToken({ after: page[page.length - 1] });
    return out;
  }

  listShards(input: StreamRef & { NextToken?: string; ExclusiveStartShardId?: string; MaxResults?: number; StreamCreationTimestamp?: number; ShardFilter?: { Type: string; ShardId?: string; Timestamp?: number } }): Record<string, unknown> {
    let ref: StreamRef = input;
    let after = input.ExclusiveStartShardId;
    let filter = input.ShardFilter;
    if (input.NextToken !== undefined) {
      if (input.StreamName !== undefined || input.ExclusiveStartShardId !== undefined || input.StreamCreationTimestamp !== undefined) {
        throw invalidArgument('NextToken and StreamName cannot be provided together.');
      }
      const token = this.readToken(input.NextToken);
      ref = { StreamName: String(token.stream) };
      after = String(token.after);
      filter = token.filter as typeof filter;
    } else if (input.StreamName === undefined && input.StreamARN === undefined) {
      throw invalidArgument('Either NextToken or StreamName should be provided.');
    }
    const s = this.require(ref);
    if (s.status === 'CREATING') throw kinesisErrors.notActive(s.name, this.accountId, s.status);
    let shards = s.liveShards();
    const now = this.now();
    const cutoff = s.retentionCutoff();
    switch (filter?.Type) {
      case undefined:
      case 'FROM_TRIM_HORIZON':
        break;
      case 'AFTER_SHARD_ID':
        if (filter.ShardId === undefined) throw invalidArgument('ShardId must be provided for ShardFilter type AFTER_SHARD_ID.');
        shards = shards.filter((sh) => sh.shardId > filter!.ShardId!);
        break;
      case 'AT_TRIM_HORIZON':
        shards = shards.filter((sh) => sh.createdAt <= cutoff ? (sh.closedAt === undefined || sh.closedAt >= cutoff) : !shards.some((p) => p.shardId === sh.parentShardId || p.shardId === sh.adjacentParentShardId));
        break;
      case 'AT_LATEST':
        shards = shards.filter((sh) => sh.closedAt === undefined);
        break;
      case 'AT_TIMESTAMP':
      case 'FROM_TIMESTAMP': {
        if (filter.Timestamp === undefined) throw invalidArgument(`Timestamp must be provided for ShardFilter type ${filter.Type}.`);
        const t = Math.max(Math.round(filter.Timestamp * 1000), cutoff);
        if (t > now) throw invalidArgument(`The Timestamp ${filter.Timestamp} in ShardFilter cannot be in the future.`);
        shards = filter.Type === 'AT_TIMESTAMP'
          ? shards.filter((sh) => (sh.createdAt <= t || !shards.some((p) => p.shardId === sh.parentShardId)) && (sh.closedAt === undefined || sh.closedAt >= t))
          : shards.filter((sh) => sh.closedAt === undefined || sh.closedAt >= t);
        break;
      }
      default:
        throw invalidArgument(`Unknown ShardFilter type ${String((filter as { Type: string }).Type)}.`);
    }
    if (after !== undefined) shards = shards.filter((sh) => sh.shardId > after!);
    const max = Math.min(input.MaxResults ?? 1000, 1000);
    const page = shards.slice(0, max);
    const out: Record<string, unknown> = { Shards: page.map((sh) => s.shardJson(sh)) };
    if (shards.length > max) out.NextToken = this.makeToken({ stream: s.name, after: page[page.length - 1].shardId, filter });
    return out;
  }

  private makeToken(body: Record<string, unknown>): string {
    return Buffer.from(JSON.stringify({ ...body, at: this.now() })).toString('base64');
  }

  private readToken(token: string): Record<string, unknown> {
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (!body || typeof body.at !== 'number' || body.after === undefined) throw invalidArgument(`Invalid NextToken.`);
    if (this.now() - body.at > NEXT_TOKEN_TTL_MS) throw new AwsError('ExpiredNextTokenException', `The timestamp of the NextToken ${token} is too old.`);
    return body;
  }

  async setRetention(input: StreamRef & { RetentionPeriodHours: number }, direction: 'increase' | 'decrease'): Promise<void> {
    return this.serialize(async () => {
      const s = this.require(input);
      const h = input.RetentionPeriodHours;
      if (h < 24) throw kinesisErrors.retentionTooShort(h);
      if (h > 8760) throw kinesisErrors.retentionTooLong(h);
      if (s.status !== 'ACTIVE') throw kinesisErrors.notActive(s.name, this.accountId, s.status);
      const cur = s.retentionHours;
      if (direction === 'increase' && h < cur) throw kinesisErrors.retentionNotLonger(h, s.name, cur);
      if (direction === 'decrease' && h > cur) throw kinesisErrors.retentionNotShorter(h, s.name, cur);
      await s.log.setRetentionHours(h);
    });
  }

  addTags(input: StreamRef & { Tags: Record<string, string> }): Promise<void> {
    return this.serialize(async () => {
      const s = this.require(input);
      const existing = Object.keys(s.settings.tags).length;
      const added = Object.keys(input.Tags).filter((k) => !(k in s.settings.tags)).length;
      checkTags(input.Tags, s.name, this.accountId, existing + added - Object.keys(input.Tags).length);
      if (existing + added > 50) throw kinesisErrors.tooManyTags(s.name, this.accountId);
      s.settings = { ...s.settings, tags: { ...s.settings.tags, ...input.Tags } };
      await this.save(s);
    });
  }

  removeTags(input: StreamRef & { TagKeys: string[] }): Promise<void> {
    return this.serialize(async () => {
      const s = this.require(input);
      const tags = { ...s.settings.tags };
      for (const k of input.TagKeys) delete tags[k];
      s.settings = { ...s.settings, tags };
      await this.save(s);
    });
  }

  listTags(input: StreamRef & { ExclusiveStartTagKey?: string; Limit?: number }): Record<string, unknown> {
    const s = this.require(input);
    const keys = Object.keys(s.settings.tags).sort().filter((k) => input.ExclusiveStartTagKey === undefined || k > input.ExclusiveStartTagKey);
    const limit = input.Limit ?? 50;
    return { Tags: keys.slice(0, limit).map((k) => ({ Key: k, Value: s.settings.tags[k] })), HasMoreTags: keys.length > limit };
  }

  setEncryption(input: StreamRef & { EncryptionType: string; KeyId: string }, on: boolean): Promise<void> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      if (input.EncryptionType !== 'KMS') throw invalidArgument(`Invalid EncryptionType ${input.EncryptionType}: only KMS is supported.`);
      if (!on && s.settings.encryption.type === 'KMS' && s.settings.encryption.keyId !== input.KeyId) {
        throw invalidArgument(`KeyId ${input.KeyId} does not match the key the stream ${s.name} is encrypted with.`);
      }
      s.settings = { ...s.settings, encryption: on ? { type: 'KMS', keyId: input.KeyId } : { type: 'NONE' } };
      await this.setStatus(s, 'UPDATING');
      this.later(this.opts.updateDelayMs ?? 500, () => this.settle(s, 'UPDATING'));
    });
  }

  setShardLevelMetrics(input: StreamRef & { ShardLevelMetrics: string[] }, enable: boolean): Promise<Record<string, unknown>> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      const all = ['IncomingBytes', 'IncomingRecords', 'OutgoingBytes', 'OutgoingRecords', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'IteratorAgeMilliseconds'];
      const asked = input.ShardLevelMetrics.includes('ALL') ? all : input.ShardLevelMetrics;
      const current = s.settings.shardLevelMetrics;
      const desired = enable ? [...new Set([...current, ...asked])] : current.filter((m) => !asked.includes(m));
      s.settings = { ...s.settings, shardLevelMetrics: all.filter((m) => desired.includes(m)) };
      await this.save(s);
      return { StreamName: s.name, StreamARN: s.arn, CurrentShardLevelMetrics: current, DesiredShardLevelMetrics: s.settings.shardLevelMetrics };
    });
  }

  updateMaxRecordSize(input: StreamRef & { MaxRecordSizeInKiB: number }): Promise<void> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      s.settings = { ...s.settings, maxRecordSizeKiB: input.MaxRecordSizeInKiB };
      await this.save(s);
    });
  }

  updateStreamMode(input: StreamRef & { StreamModeDetails: { StreamMode: string } }): Promise<void> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      const mode = input.StreamModeDetails.StreamMode as StreamMode;
      if (mode === s.settings.mode) throw invalidArgument(`Stream ${s.name} under account ${this.accountId} is already in ${mode} mode.`);
      s.settings = { ...s.settings, mode };
      await this.setStatus(s, 'UPDATING');
      this.later(this.opts.updateDelayMs ?? 500, () => this.settle(s, 'UPDATING'));
    });
  }

  // ---- resharding ---------------------------------------------------------------------------

  split(input: StreamRef & { ShardToSplit: string; NewStartingHashKey: string }): Promise<void> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      if (s.settings.mode === 'ON_DEMAND') throw kinesisErrors.provisionedOnly('SplitShard', s.name, this.accountId);
      const shard = this.openShardFor(s, input.ShardToSplit);
      const key = BigInt(input.NewStartingHashKey);
      const start = BigInt(shard.startingHashKey);
      const end = BigInt(shard.endingHashKey);
      if (!(key > start + 1n && key < end)) {
        throw kinesisErrors.splitKey(input.NewStartingHashKey, shard.shardId, s.name, this.accountId, shard.startingHashKey, shard.endingHashKey);
      }
      this.checkShardLimit(1);
      await this.reshardLater(s, async () => {
        await s.log.split(shard.shardId, key);
      });
    });
  }

  merge(input: StreamRef & { ShardToMerge: string; AdjacentShardToMerge: string }): Promise<void> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      if (s.settings.mode === 'ON_DEMAND') throw kinesisErrors.provisionedOnly('MergeShards', s.name, this.accountId);
      const a = this.openShardFor(s, input.ShardToMerge);
      const b = this.openShardFor(s, input.AdjacentShardToMerge);
      if (BigInt(a.endingHashKey) + 1n !== BigInt(b.startingHashKey)) {
        throw kinesisErrors.notAdjacent(a.shardId, b.shardId, s.name, this.accountId);
      }
      await this.reshardLater(s, async () => {
        await s.log.merge(a.shardId, b.shardId);
      });
    });
  }

  updateShardCount(input: StreamRef & { TargetShardCount: number; ScalingType: string }): Promise<Record<string, unknown>> {
    return this.serialize(async () => {
      const s = this.requireActive(input);
      if (s.settings.mode === 'ON_DEMAND') throw kinesisErrors.provisionedOnly('UpdateShardCount', s.name, this.accountId);
      const current = s.log.openShards().length;
      const target = input.TargetShardCount;
      if (target > current * 2) throw invalidArgument(`UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: ${current} Target shard count: ${target}`);
      if (target * 2 < current) throw invalidArgument(`UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: ${current} Target shard count: ${target}`);
      const now = this.now();
      const recent = s.settings.scalings.filter((t) => now - t < 86_400_000);
      if (recent.length >= 10) throw limitExceeded(`Stream ${s.name} under account ${this.accountId} has already been scaled 10 times in the last 24 hours.`);
      const plan = uniformScalingPlan(s.log.openShards(), target);
      this.checkShardLimit(Math.max(0, plan.peakExtraShards));
      s.settings = { ...s.settings, scalings: [...recent, now] };
      await this.reshardLater(s, async () => {
        for (const step of plan.steps) {
          const open = s.log.openShards();
          if (step.kind === 'split') {
            const shard = open.find((sh) => BigInt(sh.startingHashKey) < step.at && step.at <= BigInt(sh.endingHashKey));
            if (shard && BigInt(shard.startingHashKey) !== step.at) await s.log.split(shard.shardId, step.at);
          } else {
            const inRange = open
              .filter((sh) => BigInt(sh.startingHashKey) >= step.start && BigInt(sh.endingHashKey) <= step.end)
              .sort((x, y) => (BigInt(x.startingHashKey) < BigInt(y.startingHashKey) ? -1 : 1));
            let acc = inRange[0];
            for (const next of inRange.slice(1)) acc = await s.log.merge(acc.shardId, next.shardId);
          }
        }
      });
      return { StreamName: s.name, CurrentShardCount: current, TargetShardCount: target, StreamARN: s.arn };
    });
  }

  private openShardFor(s: KinesisStream, raw: string) {
    const shard = s.shard(raw);
    if (!shard) throw kinesisErrors.couldNotFindShard(raw, s.name, this.accountId);
    if (shard.closedAt !== undefined) {
      throw invalidArgument(`Shard ${shard.shardId} in stream ${s.name} under account ${this.accountId} has already been merged or split, and thus is not eligible for merging or splitting.`);
    }
    return shard;
  }

  /** The stream is UPDATING for `updateDelayMs`, then the change happens and it is ACTIVE again. */
  private async reshardLater(s: KinesisStream, change: () => Promise<void>): Promise<void> {
    await this.setStatus(s, 'UPDATING');
    this.later(this.opts.updateDelayMs ?? 500, async () => {
      try {
        await change();
      } finally {
        await this.settle(s, 'UPDATING');
      }
    });
  }

  describeLimits(): Record<string, unknown> {
    const onDemand = [...this.streams.values()].filter((s) => s.settings.mode === 'ON_DEMAND').length;
    return { ShardLimit: this.opts.shardLimit ?? 500, OpenShardCount: this.openShardCount(), OnDemandStreamCount: onDemand, OnDemandStreamCountLimit: 50 };
  }

  // ---- background work ----------------------------------------------------------------------

  /**
   * ON_DEMAND capacity: split the shards that ran hot since the last check (over `hotFraction` of
   * a write limit, or throttled), at most doubling the open shards per check. Splits happen
   * where the shard's recent keys are (their median hash), so traffic actually divides.
   */
  async scaleOnDemand(): Promise<number> {
    if (this.closed) return 0;
    const interval = this.opts.onDemand?.checkIntervalMs ?? 10_000;
    const hot = this.opts.onDemand?.hotFraction ?? 0.5;
    const limits = this.limits || AWS_SHARD_LIMITS;
    let splits = 0;
    for (const s of this.streams.values()) {
      const usages = s.log.openShards().map((sh) => ({ sh, u: s.throttle(sh.shardId).takeUsage() }));
      if (s.settings.mode !== 'ON_DEMAND' || s.status !== 'ACTIVE') continue;
      const seconds = interval / 1000;
      const hotShards = usages.filter(({ u }) => u.throttled > 0 || u.bytes / seconds > hot * limits.writeBytesPerSecond || u.records / seconds > hot * limits.writeRecordsPerSecond);
      for (const { sh, u } of hotShards) {
        const key = pickSplitKey(sh, u.hashes);
        if (key === undefined) continue;
        try {
          await this.serialize(async () => {
            if (s.status !== 'ACTIVE' || this.streams.get(s.name) !== s) return;
            this.checkShardLimit(1);
            await s.log.split(sh.shardId, key);
          });
          splits++;
          this.opts.logger.info({ stream: s.name, shardId: sh.shardId }, 'on-demand scaling split a hot shard');
        } catch (err) {
          this.opts.logger.warn({ err, stream: s.name, shardId: sh.shardId }, 'on-demand scaling could not split a shard');
        }
      }
    }
    return splits;
  }

  /** Delete whole segments past every stream's retention period. */
  async applyRetention(now = this.now()): Promise<number> {
    let n = 0;
    for (const s of this.streams.values()) {
      try {
        n += await s.log.applyRetention(now);
      } catch (err) {
        this.opts.logger.warn({ err, stream: s.name }, 'applying retention failed');
      }
    }
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.scaleTimer) clearInterval(this.scaleTimer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.lock;
    await Promise.all([...this.streams.values()].map((s) => s.log.close()));
  }
}

function arnStreamName(arn: string): string | undefined {
  const m = /^arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream\/([a-zA-Z0-9_.-]+)$/.exec(arn);
  return m ? m[1] : undefined;
}

function checkTags(tags: Record<string, string>, name: string, account: string, existing: number): void {
  for (const [k, v] of Object.entries(tags)) {
    if (!TAG_CHARS.test(k) || !TAG_CHARS.test(v)) throw kinesisErrors.tagChars();
  }
  if (existing + Object.keys(tags).length > 50) throw kinesisErrors.tooManyTags(name, account);
}
