import { randomUUID, createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { LogUnavailableError } from '../stream/log/backend.js';
import { AwsError, logUnavailable, invalidArgument, limitExceeded, resourceInUse, resourceNotFound, serviceUnavailable } from '../core/aws-error.js';
import type { AppendEntry } from '../core/record.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { LogStream } from '../stream/log-stream.js';
import { latestCheckpoints } from '../stream/consumer/checkpoint.js';
import { expandAggregate } from '../stream/consumer/kpl.js';
import { InProcessLeaseStore } from '../stream/consumer/lease.js';
import type { KinesisStream } from '../stream/registry/kinesis-stream.js';
import type { KinesisStreams } from '../stream/registry/kinesis-streams.js';
import { DeliveryStreamCatalog, destinationType, type DeliveryStreamDefinition, type DestinationDefinition, type KinesisSourceDefinition, type Tag } from './catalog.js';
import { CheckpointJournal, type DeliveryJournal } from './checkpoint/journal.js';
import { RedisDeliveryJournal } from './checkpoint/redis-journal.js';
import type { RedisBackend } from '../stream/redis/backend.js';
import { RedisCatalog } from '../stream/redis/catalog.js';
import { RedisLeaseBalancer } from '../stream/redis/lease-balancer.js';
import type { NodeRegistry } from '../stream/redis/node-registry.js';
import type { LeaseStore } from '../stream/consumer/lease.js';
import type { DeliveryScheduler } from './scheduler/scheduler.js';
import { describeDeliveryStream } from './describe.js';
import { mergeS3Update, type ExtendedS3DestinationConfiguration } from './destinations/s3-config.js';
import type { ObjectStore } from '../../sinks/s3/object-store.js';
import { RedshiftLoader } from '../../sinks/redshift/loader.js';
import { mergeRedshiftUpdate, type RedshiftDestinationConfiguration, type RedshiftDestinationUpdate } from '../../sinks/redshift/config.js';
import type { DeliveryConfig } from '../config/config.js';
import { createSecretResolver, type SecretResolver } from '../config/secrets.js';
import { backupBackoff, createDestination } from './destination-factory.js';
import type { KinesisSourcedRecord } from './destination.js';
import { withProcessing } from './destinations/processing.js';
import { checkDynamicPartitioningUpdate } from './partitioning/dynamic-partitioning.js';
import { checkConversionTable } from './destinations/s3-conversion.js';
import { backupHealth } from '../backup/health.js';
import { systemClock } from '../util/clock.js';
import type { TransformServices } from './transform/index.js';
import { DeliveryPipeline, type PipelineOptions } from './pipeline.js';
import { DirectPutLimiter, type DirectPutLimits } from './limits/direct-put.js';
import { checkCreateInput, checkDestination, checkSource, type CheckContext, type CreateDeliveryStreamInput, type KinesisStreamSourceConfiguration } from './validate-create.js';
import { sinkMemberOfUpdate, updatedSinkDestination, type ResolvedSinkDestination } from './destinations/sink-kinds.js';

export interface DeliveryStreamsOptions {
  dataDir: string;
  region: string;
  accountId: string;
  objectStore: ObjectStore;
  logger: Logger;
  metrics: Metrics;
  /** How long a new delivery stream stays CREATING before it turns ACTIVE. */
  createDelayMs?: number;
  /** Shards of the hidden log behind each Direct PUT delivery stream. */
  directPutShards?: number;
  /** Retention of undelivered Direct PUT data (AWS: 24 h). */
  retentionHours?: number;
  fsync?: boolean;
  maxStreams?: number;
  /** Direct PUT quotas per stream (AWS: 500,000 records/s, 2,000 requests/s, 5 MiB/s); none by default. */
  directPutLimits?: DirectPutLimits;
  /** The Kinesis data streams `KinesisStreamAsSource` delivery streams read. */
  kinesisStreams?: KinesisStreams;
  /** Resolves `SecretsManagerConfiguration.SecretARN` (default: `HYDRANT_SECRET_*` environment variables only). */
  secrets?: SecretResolver;
  /** Retry, backup and Redshift settings of the delivery driver. */
  delivery?: DeliveryConfig;
  /** The node's Lambda runtime and jq engine, for `ProcessingConfiguration` (shared by every stream). */
  transforms?: TransformServices;
  /** Relative plugin module paths in destinations resolve from here (default: the working directory). */
  pluginBaseDir?: string;
  /** `DomainARN` → cluster URL of OpenSearch domains named by ARN. */
  opensearchDomains?: Record<string, string>;
  now?: () => number;
  /** The Redis backend: definitions, backing logs, journals and leases shared by every node. */
  redis?: SharedDelivery;
}

/** How delivery streams are shared between the nodes of a Redis deployment. */
export interface SharedDelivery {
  backend: RedisBackend;
  /** This node in the deployment (its heartbeat; its id is the lease owner). */
  nodes: NodeRegistry;
  /** Shard lease lifetime; leases are renewed every third of it. */
  leaseTtlMs: number;
  /** How often the catalog is re-read for other nodes' changes (default 1,000 ms). */
  catalogSyncMs?: number;
  /** Delivery jobs (BullMQ): batches are delivered by whichever node's worker takes the job. */
  scheduler?: DeliveryScheduler;
}

/** What a put stored: record ids of the stored prefix, in input order; the rest were throttled. */
export interface PutOutcome {
  ids: string[];
  throttled: number;
}

interface Live {
  def: DeliveryStreamDefinition;
  /** The log delivery reads: the hidden one of a Direct PUT stream, or the source Kinesis stream's (not ours to trim or close). */
  stream: LogStream;
  /** Absent only for a Kinesis-sourced stream whose source was gone at start. */
  pipeline?: DeliveryPipeline;
  /** Set while a create is still setting the stream up. */
  placeholder?: true;
  /** Set while its pipeline is being started (the catalog pass leaves it alone meanwhile). */
  starting?: true;
  /** Round-robin cursor over the backing stream's shards. */
  nextShard: number;
  recordIdPrefixes: string[];
  limiter?: DirectPutLimiter;
  journal: DeliveryJournal;
  /** Redis backend: the pipeline's lease store (deleted with the stream). */
  leases?: { destroy(): Promise<void> };
}

const DESTINATION_ID = 'destinationId-000000000001';

/**
 * How a pipeline reads a Kinesis source: the stream's own log (never trimmed here: only the
 * stream's retention deletes), from the start checkpoints taken at creation, expanding KPL
 * aggregates, and until the stream is deleted. Undelivered records wait as long as the stream
 * keeps them.
 */
function kinesisReading(src: KinesisSourceDefinition, source: KinesisStream): Partial<PipelineOptions> {
  return {
    retentionMs: () => source.retentionHours * 3_600_000,
    initialCheckpoint: (shard) => src.startCheckpoints[shard.shardId] ?? 0,
    // Each record keeps its shard and place in its aggregate (the transform event's kinesisRecordMetadata).
    expand: (record, shardId) => expandAggregate(record).map((r, subsequenceNumber): KinesisSourcedRecord => ({ ...r, kinesisSource: { shardId, subsequenceNumber } })),
    sourceGone: source.deleted,
  };
}

/**
 * The delivery streams of this node: their definitions (control plane) and, for each, the
 * hidden backing log and the delivery pipeline that consumes it.
 */
export class DeliveryStreams {
  private readonly live = new Map<string, Live>();
  private readonly catalog: DeliveryStreamCatalog | SharedCatalog;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Shard leases of every pipeline of this node (each pipeline keys them by its incarnation). */
  private readonly leases = new InProcessLeaseStore();
  private readonly leaseOwner: string;
  private readonly secrets: SecretResolver;
  /** One loader for every Redshift destination of the node. */
  private readonly redshiftLoader: RedshiftLoader;

  private constructor(private readonly opts: DeliveryStreamsOptions) {
    this.catalog = opts.redis ? new SharedCatalog(opts.redis.backend) : DeliveryStreamCatalog.open(opts.dataDir);
    this.leaseOwner = opts.redis?.nodes.nodeId ?? `hydrant-${randomUUID()}`;
    this.now = opts.now ?? Date.now;
    this.secrets = opts.secrets ?? createSecretResolver();
    this.redshiftLoader = new RedshiftLoader({ store: opts.objectStore, bookkeepingTable: opts.delivery?.redshift?.bookkeepingTable ?? 'hydrant_loaded_manifests' });
  }

  static async open(opts: DeliveryStreamsOptions): Promise<DeliveryStreams> {
    const ds = new DeliveryStreams(opts);
    if (opts.redis) {
      await ds.syncCatalog();
      ds.syncTimer = setInterval(() => void ds.sync(), opts.redis.catalogSyncMs ?? 1_000);
      ds.syncTimer.unref();
    }
    for (const def of opts.redis ? [] : await ds.catalog.loadAll()) {
      if (def.status === 'DELETING') {
        await ds.purge(def.name);
        continue;
      }
      if (def.status === 'CREATING') def.status = 'ACTIVE';
      await ds.bringUp(def, false);
    }
    ds.retentionTimer = setInterval(() => void ds.applyRetention(), 10_000);
    ds.retentionTimer.unref();
    return ds;
  }

  /** One catalog pass at a time; a failed pass is retried at the next tick. */
  private sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncCatalog()).catch((err: unknown) => {
      this.opts.logger.warn({ err }, 'reading the shared delivery stream catalog failed; retrying');
    });
    return this.syncing;
  }

  /**
   * Redis backend: take in other nodes' changes to the shared catalog. A new stream starts its
   * pipeline here too (its shards are shared out by leases); a changed definition replaces the
   * local one (a new destination type restarts delivery); a stream gone from the catalog stops.
   */
  private async syncCatalog(): Promise<void> {
    const all = await (this.catalog as SharedCatalog).loadAllByName();
    for (const [name, def] of all) {
      const local = this.live.get(name);
      if (local?.placeholder || local?.starting) continue;
      if (local && local.def.incarnation === def.incarnation && local.def.status === 'DELETING') continue; // our own delete is running
      if (local && local.def.incarnation === def.incarnation && !local.pipeline && def.kinesisSource && this.kinesisSourceOf(def.kinesisSource)) {
        // Its source Kinesis stream reached this node's catalog only now.
        this.live.delete(name);
        await this.bringUp(def, false);
        continue;
      }
      if (local && local.def.incarnation === def.incarnation) {
        if (def.status === 'DELETING') {
          await this.stopLocal(name, local);
          continue;
        }
        if (isDeepStrictEqual(local.def, def)) continue;
        const typeChanged = destinationType(def.destination) !== destinationType(local.def.destination);
        local.def = def;
        if (!local.pipeline) continue;
        if (!typeChanged) local.pipeline.refreshLimits();
        else {
          await local.pipeline.stop();
          await this.startPipeline(local);
        }
        continue;
      }
      if (local) await this.stopLocal(name, local);
      if (def.status === 'DELETING') continue;
      if (def.status === 'CREATING' && def.createdAt + (this.opts.createDelayMs ?? 0) <= this.now()) def.status = 'ACTIVE';
      await this.bringUp(def, false);
    }
    for (const [name, l] of [...this.live]) if (!l.placeholder && !l.starting && !all.has(name)) await this.stopLocal(name, l);
  }

  /** Stop this node's part of a stream another node deleted (that node deletes its data). */
  private async stopLocal(name: string, live: Live): Promise<void> {
    this.live.delete(name);
    await live.pipeline?.stop();
    if (live.stream && !live.def.kinesisSource) await live.stream.close();
    this.opts.metrics.removeStream(name);
  }

  /** What checking a destination needs. */
  private get checkContext(): CheckContext {
    return { secrets: this.secrets, pluginBaseDir: this.opts.pluginBaseDir ?? process.cwd(), opensearchDomains: this.opts.opensearchDomains };
  }

  private get retentionMs(): number {
    return (this.opts.retentionHours ?? 24) * 3_600_000;
  }

  private streamDir(name: string): string {
    return join(this.opts.dataDir, 'firehose', name);
  }

  private async bringUp(def: DeliveryStreamDefinition, fresh: boolean): Promise<Live | undefined> {
    const source = def.kinesisSource && this.kinesisSourceOf(def.kinesisSource);
    if (def.kinesisSource && !source) return this.bringUpWithoutSource(def, def.kinesisSource);
    // Redis backend: the backing log is named by the incarnation, so a stream created again under its name starts empty.
    const storage = this.opts.redis?.backend.streamStorage(`firehose/${def.name}/${def.incarnation}`);
    const logOpts = { dir: join(this.streamDir(def.name), 'log'), fsync: this.opts.fsync, now: this.opts.now, logger: this.opts.logger, storage };
    let stream = source ? source.log : fresh ? undefined : await LogStream.open(logOpts);
    // Another node's stream whose log is not stored yet is picked up at the next catalog pass.
    if (!stream && !fresh && storage) return undefined;
    stream ??= await LogStream.create(logOpts, { name: def.name, shardCount: def.shardCount, retentionHours: this.opts.retentionHours ?? 24 });
    const prefixes = stream.meta.shards.map((s) => createHash('sha256').update(`${def.incarnation}/${s.shardId}`).digest('hex').slice(0, 24));
    const limits = this.opts.directPutLimits;
    const limiter = limits && (limits.recordsPerSecond || limits.requestsPerSecond || limits.bytesPerSecond) ? new DirectPutLimiter(limits, this.opts.now) : undefined;
    const live: Live = { def, stream, nextShard: 0, recordIdPrefixes: prefixes, limiter, starting: true } as Live;
    this.live.set(def.name, live);
    try {
      await this.startPipeline(live, source);
    } finally {
      delete live.starting;
    }
    return live;
  }

  /** Start (or, after the destination changed type, restart) the delivery pipeline of a stream. */
  private async startPipeline(live: Live, source = live.def.kinesisSource && this.kinesisSourceOf(live.def.kinesisSource), resolvedSink?: ResolvedSinkDestination): Promise<void> {
    const def = live.def;
    const stream = live.stream;
    const shared = this.opts.redis;
    let leases: LeaseStore = this.leases;
    let sharing: Partial<PipelineOptions> = {};
    if (shared) {
      // One lease group per delivery stream, balanced over the live nodes.
      const store = shared.backend.leaseStore(`delivery/${def.incarnation}`, shared.leaseTtlMs);
      leases = store;
      live.leases = store;
      const renewEveryMs = Math.max(1, Math.floor(shared.leaseTtlMs / 3));
      // A partitioned stream keeps one buffer per partition, which a delivery job cannot wait out
      // (it holds a worker until its batch is durable): the node holding a shard delivers what it
      // cut, and a node taking the shard over replays the shared journal. Whether a stream is
      // partitioned never changes (UpdateDestination cannot switch it).
      const partitioned = def.destination.ExtendedS3?.DynamicPartitioningConfiguration?.Enabled === true;
      sharing = { renewEveryMs, leaseRetryMs: Math.min(5_000, renewEveryMs), balancer: new RedisLeaseBalancer(store, shared.nodes), scheduler: partitioned ? undefined : shared.scheduler };
    }
    const current = () => {
      const l = this.live.get(def.name);
      return l && l.def.incarnation === def.incarnation ? l.def : def;
    };
    const logger = this.opts.logger.child({ deliveryStream: def.name });
    let destination;
    try {
      destination = withProcessing(await createDestination({
        current,
        store: this.opts.objectStore,
        metrics: this.opts.metrics,
        logger,
        secrets: this.secrets,
        redshiftLoader: this.redshiftLoader,
        delivery: this.opts.delivery,
        pluginBaseDir: this.checkContext.pluginBaseDir,
        opensearchDomains: this.opts.opensearchDomains,
        resolvedSink,
        activePartitionLimit: this.opts.transforms?.activePartitionLimit,
        partitionBufferBytes: this.opts.transforms?.partitionBufferBytes,
        conversion: this.opts.transforms && { converter: this.opts.transforms.converter, tables: this.opts.transforms.tables, region: this.opts.region, accountId: this.opts.accountId },
      }), {
        current,
        services: this.opts.transforms,
        region: this.opts.region,
        accountId: this.opts.accountId,
        store: this.opts.objectStore,
        logger,
        clock: systemClock,
        backoff: backupBackoff(this.opts.delivery),
        health: backupHealth(def.name, logger, this.opts.metrics),
        sourceShard: source ? (shardId) => source.log.shard(shardId) : undefined,
        metrics: this.opts.metrics,
      });
    } catch (err) {
      live.pipeline = undefined;
      if (resolvedSink) throw err;
      // E.g. a plugin module that no longer loads after a restart: the stream keeps accepting
      // records (they wait in its log) and delivers once UpdateDestination gives a working destination.
      this.opts.logger.error({ err, deliveryStream: def.name }, 'the destination could not be set up: records are kept and delivered once it is fixed');
      return;
    }
    const journal: DeliveryJournal = shared
      ? await RedisDeliveryJournal.open(shared.backend, `delivery/${def.incarnation}`)
      : await CheckpointJournal.open(join(this.streamDir(def.name), 'delivery'));
    const pipeline = new DeliveryPipeline({
      name: def.name,
      incarnation: def.incarnation,
      stream,
      journal,
      destination,
      logger: this.opts.logger.child({ deliveryStream: def.name }),
      retentionMs: () => this.retentionMs,
      now: this.opts.now,
      onExpired: (n) => this.opts.metrics.recordsExpired.labels(def.name).inc(n),
      leases,
      leaseOwner: this.leaseOwner,
      ...sharing,
      ...(source && def.kinesisSource ? kinesisReading(def.kinesisSource, source) : {}),
    });
    live.pipeline = pipeline;
    live.journal = journal;
    await pipeline.start();
  }

  /** A Kinesis-sourced delivery stream whose source is gone: it can be described, updated and deleted, and reads nothing. */
  private bringUpWithoutSource(def: DeliveryStreamDefinition, src: KinesisSourceDefinition): Live {
    this.opts.logger.warn({ deliveryStream: def.name, kinesisStream: src.KinesisStreamARN }, 'the source Kinesis stream no longer exists: nothing is delivered');
    const live = { def } as Live;
    this.live.set(def.name, live);
    return live;
  }

  /** The Kinesis stream a definition reads, if it still exists (the same stream, not a new one of that name). */
  private kinesisSourceOf(src: KinesisSourceDefinition): KinesisStream | undefined {
    const stream = this.opts.kinesisStreams?.byArn(src.KinesisStreamARN);
    if (!stream || stream.status === 'DELETING' || stream.deleted.aborted || stream.createdAt !== src.streamCreatedAt) return undefined;
    return stream;
  }

  /** Check the source of a new `KinesisStreamAsSource` stream and take its start checkpoints (LATEST, now). */
  private kinesisSourceFor(cfg: KinesisStreamSourceConfiguration): KinesisSourceDefinition {
    const stream = this.opts.kinesisStreams?.byArn(cfg.KinesisStreamARN);
    const name = cfg.KinesisStreamARN.slice(cfg.KinesisStreamARN.lastIndexOf('/') + 1);
    if (!stream || stream.status === 'DELETING') throw invalidArgument(`Stream ${name} under account ${this.opts.accountId} not found.`);
    if (stream.status === 'CREATING') {
      throw invalidArgument(`Stream ${name} under account ${this.opts.accountId} is in state CREATING; it can be the source of a delivery stream once it is ACTIVE.`);
    }
    return {
      KinesisStreamARN: cfg.KinesisStreamARN,
      RoleARN: cfg.RoleARN,
      deliveryStartedAt: this.now(),
      streamCreatedAt: stream.createdAt,
      startCheckpoints: latestCheckpoints(stream.log),
    };
  }

  private notFound(name: string): AwsError {
    return resourceNotFound(`Firehose ${name} under account ${this.opts.accountId} not found.`);
  }

  private get(name: string): Live {
    const l = this.live.get(name);
    if (!l || l.def.status === 'DELETING') throw this.notFound(name);
    return l;
  }

  /** A stream whose pipeline runs (not one still being set up by a concurrent create). */
  private getRunning(name: string): Live {
    const l = this.get(name);
    if (l.placeholder) throw resourceInUse(`Firehose ${name} under account ${this.opts.accountId} is still being created; try again shortly.`);
    return l;
  }

  async create(input: CreateDeliveryStreamInput): Promise<{ DeliveryStreamARN: string }> {
    const name = input.DeliveryStreamName;
    const destination = await checkCreateInput(input, this.checkContext);
    await checkConversionTable(destination.ExtendedS3, this.opts.transforms?.tables);
    const source = checkSource(input);
    if (this.opts.redis && !this.live.has(name)) await this.sync();
    if (this.live.has(name)) throw resourceInUse(`Firehose ${name} under account ${this.opts.accountId} already exists.`);
    if (this.live.size >= (this.opts.maxStreams ?? 5000)) throw limitExceeded(`You have already consumed your firehose quota of ${this.opts.maxStreams ?? 5000} hoses. Firehose names: ${[...this.live.keys()].slice(0, 10).join(', ')}...`);
    // A Kinesis stream created on another node may not have reached this node's catalog yet.
    if (source.type === 'KinesisStreamAsSource' && this.opts.redis) await this.opts.kinesisStreams?.refresh();
    const kinesisSource = source.type === 'KinesisStreamAsSource' ? this.kinesisSourceFor(source.kinesis) : undefined;
    const arn = `arn:aws:firehose:${this.opts.region}:${this.opts.accountId}:deliverystream/${name}`;
    const delay = this.opts.createDelayMs ?? 0;
    const def: DeliveryStreamDefinition = {
      name,
      arn,
      type: source.type,
      status: delay > 0 ? 'CREATING' : 'ACTIVE',
      incarnation: randomUUID(),
      versionId: 1,
      createdAt: this.now(),
      destinationId: DESTINATION_ID,
      destination,
      directPutSource: kinesisSource ? undefined : input.DirectPutSourceConfiguration,
      kinesisSource,
      tags: input.Tags ?? [],
      shardCount: kinesisSource ? 0 : this.opts.directPutShards ?? 1,
    };
    // Reserve the name synchronously so concurrent creates of one name cannot both pass.
    const placeholder = { def, placeholder: true } as Live;
    this.live.set(name, placeholder);
    try {
      if (this.catalog instanceof SharedCatalog) {
        if (!(await this.catalog.create(def))) throw resourceInUse(`Firehose ${name} under account ${this.opts.accountId} already exists.`);
      } else {
        await rm(this.streamDir(name), { recursive: true, force: true });
        await this.catalog.save(def);
      }
      await this.bringUp(def, true);
    } catch (err) {
      this.live.delete(name);
      throw err;
    }
    if (delay > 0) {
      setTimeout(() => {
        const l = this.live.get(name);
        if (l && l.def.incarnation === def.incarnation && l.def.status === 'CREATING') {
          l.def = { ...l.def, status: 'ACTIVE' };
          void this.catalog.save(l.def);
        }
      }, delay).unref();
    }
    this.opts.logger.info({
      deliveryStream: name,
      destination: destination.Redshift
        ? destination.Redshift.ClusterJDBCURL
        : destination.sink
          ? destination.sink.member
          : `s3://${destination.ExtendedS3!.BucketARN.replace(/^arn:[^:]*:s3:::/, '')}/${destination.ExtendedS3!.Prefix ?? ''}`,
      ...(kinesisSource ? { source: kinesisSource.KinesisStreamARN } : {}),
    }, 'delivery stream created');
    return { DeliveryStreamARN: arn };
  }

  /** True with the Redis backend (the catalog is shared with other nodes). */
  get shared(): boolean {
    return this.opts.redis !== undefined;
  }

  /** Redis backend: read the shared catalog now (e.g. before answering that a stream does not exist). */
  refresh(): Promise<void> {
    return this.opts.redis ? this.sync() : Promise.resolve();
  }

  /** Redis backend: until a stream created on another node runs here too (false after 30 s). */
  async waitFor(name: string, timeoutMs = 30_000): Promise<boolean> {
    const until = this.now() + timeoutMs;
    for (;;) {
      await this.sync();
      const l = this.live.get(name);
      if (l && !l.placeholder && !l.starting) return true;
      if (this.now() > until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The stored definition (undefined when unknown). */
  definition(name: string): DeliveryStreamDefinition | undefined {
    return this.live.get(name)?.def;
  }

  describe(name: string): Record<string, unknown> {
    return { DeliveryStreamDescription: describeDeliveryStream(this.get(name).def) };
  }

  list(input: { Limit?: number; DeliveryStreamType?: string; ExclusiveStartDeliveryStreamName?: string }): { DeliveryStreamNames: string[]; HasMoreDeliveryStreams: boolean } {
    const limit = input.Limit ?? 10;
    const names = [...this.live.values()]
      .filter((l) => !input.DeliveryStreamType || l.def.type === input.DeliveryStreamType)
      .map((l) => l.def.name)
      .sort()
      .filter((n) => input.ExclusiveStartDeliveryStreamName === undefined || n > input.ExclusiveStartDeliveryStreamName);
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  async delete(name: string): Promise<void> {
    const live = this.getRunning(name);
    if (live.def.status === 'CREATING') throw resourceInUse(`Firehose ${name} under account ${this.opts.accountId} is in state CREATING; it can be deleted once it is ACTIVE.`);
    live.def.status = 'DELETING';
    await this.catalog.save(live.def);
    // Like AWS, buffered data of a deleted stream is discarded.
    await live.pipeline?.stop();
    // A Kinesis source's log belongs to the Kinesis stream.
    if (this.opts.redis) {
      if (!live.def.kinesisSource && live.stream) await live.stream.destroy();
      if (live.journal instanceof RedisDeliveryJournal) await live.journal.destroy();
      await live.leases?.destroy();
    } else if (!live.def.kinesisSource) await live.stream.close();
    await this.purge(name);
    this.live.delete(name);
    this.opts.metrics.removeStream(name);
  }

  private async purge(name: string): Promise<void> {
    if (!this.opts.redis) await rm(this.streamDir(name), { recursive: true, force: true });
    await this.catalog.remove(name);
  }

  async updateDestination(input: {
    DeliveryStreamName: string; CurrentDeliveryStreamVersionId: string; DestinationId: string;
    ExtendedS3DestinationUpdate?: Partial<ExtendedS3DestinationConfiguration>; S3DestinationUpdate?: Partial<ExtendedS3DestinationConfiguration>;
    RedshiftDestinationUpdate?: RedshiftDestinationUpdate;
    [other: string]: unknown;
  }): Promise<void> {
    const live = this.getRunning(input.DeliveryStreamName);
    const def = live.def;
    if (input.CurrentDeliveryStreamVersionId !== String(def.versionId)) {
      throw new AwsError('ConcurrentModificationException', `Cannot update firehose: ${def.name} since the current version id: ${def.versionId} and the specified version id: ${input.CurrentDeliveryStreamVersionId} do not match`);
    }
    if (input.DestinationId !== def.destinationId) throw invalidArgument(`Destination Id ${input.DestinationId} not found for Firehose ${def.name}.`);
    const updates = Object.keys(input).filter((k) => k.endsWith('DestinationUpdate') && input[k] !== undefined);
    if (updates.length !== 1) throw invalidArgument('Exactly one destination update is required.');
    await this.replaceDestination(live, updatedDestination(def.destination, updates[0], input[updates[0]]));
  }

  /**
   * Apply a delivery stream definition from the config file to an existing stream: its
   * destination replaces the current one (a new VersionId) when it differs.
   */
  async applyDefinition(input: CreateDeliveryStreamInput): Promise<boolean> {
    const live = this.getRunning(input.DeliveryStreamName);
    const wanted = await checkCreateInput(input, this.checkContext);
    if (isDeepStrictEqual(wanted, live.def.destination)) return false;
    await this.replaceDestination(live, wanted);
    return true;
  }

  /** Check, save and switch to a new destination; a change of destination type restarts delivery. */
  private async replaceDestination(live: Live, next: DestinationDefinition): Promise<void> {
    const def = live.def;
    const partitioningChange = checkDynamicPartitioningUpdate(
      def.destination.ExtendedS3?.DynamicPartitioningConfiguration?.Enabled === true,
      next.ExtendedS3 ? next.ExtendedS3.DynamicPartitioningConfiguration?.Enabled === true : false,
    );
    if (partitioningChange) throw invalidArgument(partitioningChange);
    if (def.destination.ExtendedS3?.S3BackupMode === 'Enabled' && next.ExtendedS3 && next.ExtendedS3.S3BackupMode !== 'Enabled') {
      throw invalidArgument('S3BackupMode cannot be changed from Enabled to Disabled.');
    }
    const resolvedSink = await checkDestination(next, this.checkContext);
    await checkConversionTable(next.ExtendedS3, this.opts.transforms?.tables);
    // Saved first, swapped in after: a failed save leaves memory and disk agreeing.
    const updated: DeliveryStreamDefinition = { ...def, destination: next, versionId: def.versionId + 1, lastUpdatedAt: this.now() };
    await this.catalog.save(updated);
    live.def = updated;
    const source = def.kinesisSource && this.kinesisSourceOf(def.kinesisSource);
    if (!live.pipeline) {
      // Its destination could not be set up before (or its source is gone).
      if (live.stream && (!def.kinesisSource || source)) await this.startPipeline(live, source, resolvedSink);
      return;
    }
    // A sink's resolution is fixed for its life: any change builds it anew.
    if (destinationType(next) === destinationType(def.destination) && !next.sink) {
      live.pipeline.refreshLimits();
      return;
    }
    // Batches in flight stay pending in the journal and are planned anew for the new destination.
    await live.pipeline.stop();
    await this.startPipeline(live, source, resolvedSink);
    this.opts.logger.info({ deliveryStream: def.name, from: destinationType(def.destination), to: destinationType(next) }, 'destination type changed: delivery restarted');
  }

  async tag(name: string, tags: Tag[]): Promise<void> {
    const live = this.get(name);
    const byKey = new Map(live.def.tags.map((t) => [t.Key, t]));
    for (const t of tags) byKey.set(t.Key, t);
    if (byKey.size > 50) throw limitExceeded(`A Firehose stream can have at most 50 tags; this request would give ${name} ${byKey.size}.`);
    const next = { ...live.def, tags: [...byKey.values()] };
    await this.catalog.save(next);
    live.def = next;
  }

  async untag(name: string, keys: string[]): Promise<void> {
    const live = this.get(name);
    const drop = new Set(keys);
    const next = { ...live.def, tags: live.def.tags.filter((t) => !drop.has(t.Key)) };
    await this.catalog.save(next);
    live.def = next;
  }

  listTags(name: string, input: { ExclusiveStartTagKey?: string; Limit?: number }): { Tags: Tag[]; HasMoreTags: boolean } {
    const live = this.get(name);
    const sorted = [...live.def.tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
    const start = input.ExclusiveStartTagKey === undefined ? 0 : sorted.findIndex((t) => t.Key > input.ExclusiveStartTagKey!);
    const rest = start < 0 ? [] : sorted.slice(start);
    const limit = input.Limit ?? 50;
    return { Tags: rest.slice(0, limit).map((t) => (t.Value === undefined ? { Key: t.Key } : t)), HasMoreTags: rest.length > limit };
  }

  /**
   * The hot path: append records durably to the stream's log. Returns the record ids in input
   * order once every record is durable (with quotas on, only a prefix may be stored). All records
   * of one call go to one shard, so one call costs one group-committed write. `allBytes` is the
   * callers' sum of the data sizes (they already needed it for the batch limit).
   */
  async put(name: string, all: Buffer[], allBytes: number): Promise<PutOutcome> {
    const live = this.live.get(name);
    if (!live || live.def.status === 'DELETING') throw this.notFound(name);
    if (live.def.type === 'KinesisStreamAsSource') throw invalidArgument('This operation is not permitted on KinesisStreamAsSource delivery stream type.');
    if (!live.stream) throw this.notFound(name);
    if (live.def.status !== 'ACTIVE') {
      throw resourceNotFound(`Firehose ${name} under account ${this.opts.accountId} is in state ${live.def.status}; it accepts records once it is ACTIVE.`);
    }
    let data = all;
    let bytes = allBytes;
    if (live.limiter) {
      const admitted = live.limiter.admit(all);
      if (admitted <= 0) {
        this.opts.metrics.throttledRecords.labels(name).inc(all.length);
        throw serviceUnavailable('Slow down.');
      }
      if (admitted < all.length) {
        this.opts.metrics.throttledRecords.labels(name).inc(all.length - admitted);
        data = all.slice(0, admitted);
        bytes = 0;
        for (const d of data) bytes += d.length;
      }
    }
    const shards = live.stream.meta.shards;
    const shardIndex = live.nextShard;
    live.nextShard = (shardIndex + 1) % shards.length;
    const entries: AppendEntry[] = new Array(data.length);
    for (let i = 0; i < data.length; i++) entries[i] = { partitionKey: '', data: data[i] };
    let range;
    try {
      range = await live.stream.appendBatch(shards[shardIndex].shardId, entries);
    } catch (err) {
      // Nothing of the request was stored (the log rolled back): a retryable error, as AWS's throttle is.
      this.opts.logger.error({ err, deliveryStream: name }, 'append to the log failed');
      if (LogUnavailableError.isInstance(err)) throw logUnavailable();
      throw serviceUnavailable('The records could not be stored durably; retry the request.');
    }
    const prefix = live.recordIdPrefixes[shardIndex];
    const ids: string[] = new Array(range.count);
    for (let i = 0; i < range.count; i++) ids[i] = prefix + (range.first + i).toString(16).padStart(16, '0');
    this.opts.metrics.incomingBytes.labels(name).inc(bytes);
    this.opts.metrics.incomingRecords.labels(name).inc(data.length);
    this.opts.metrics.incomingPutRequests.labels(name).inc();
    return { ids, throttled: all.length - data.length };
  }

  /** Update per-stream gauges (called when /metrics is scraped). */
  refreshGauges(): void {
    for (const l of this.live.values()) {
      if (!l.pipeline) continue;
      const age = l.pipeline.oldestUndeliveredAge() / 1000;
      this.opts.metrics.deliveryToS3DataFreshness.labels(l.def.name).set(age);
      if (l.def.destination.Redshift) this.opts.metrics.destination('Redshift').dataFreshness.labels(l.def.name).set(age);
    }
  }

  /**
   * Every 10 s: drop log segments delivery has committed past (the backing log of a Direct PUT
   * stream has no other reader, so delivered data does not wait 24 h on disk), and enforce the
   * retention period on what is left undelivered.
   */
  private async applyRetention(): Promise<void> {
    for (const l of this.live.values()) {
      try {
        // A Kinesis source's log is trimmed only by the Kinesis stream's own retention.
        if (!l.stream || !l.journal || l.def.kinesisSource) continue;
        // Shared: a node trims only the shards it holds (its journal knows their every pending batch).
        const mine = this.opts.redis ? new Set(l.pipeline?.runningShards() ?? []) : undefined;
        for (const shard of l.stream.meta.shards) {
          if (mine && !mine.has(shard.shardId)) continue;
          await l.stream.trimBefore(shard.shardId, l.journal.committed(shard.shardId));
        }
        await l.stream.applyRetention(this.now());
      } catch (err) {
        this.opts.logger.warn({ err, deliveryStream: l.def.name }, 'retention pass failed');
      }
    }
  }

  /** Deliver what is buffered (SIGTERM), then close every log. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.syncing;
    const results = await Promise.all([...this.live.values()].map((l) => l.pipeline?.drain(timeoutMs) ?? true));
    await Promise.all([...this.live.values()].filter((l) => l.stream && !l.def.kinesisSource).map((l) => l.stream.close()));
    return results.every(Boolean);
  }

  /** Stop at once (tests, fatal errors): nothing more is delivered, the logs are closed. */
  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.syncing;
    await Promise.all([...this.live.values()].map((l) => l.pipeline?.stop()));
    await Promise.all([...this.live.values()].filter((l) => l.stream && !l.def.kinesisSource).map((l) => l.stream.close()));
  }
}

/**
 * The destination after an UpdateDestination member: the same destination type merges
 * member-wise; another type replaces the destination, so the update must hold every member the
 * new type requires (AWS's rule).
 */
function updatedDestination(current: DestinationDefinition, member: string, update: unknown): DestinationDefinition {
  if (member === 'ExtendedS3DestinationUpdate' || member === 'S3DestinationUpdate') {
    const u = update as Partial<ExtendedS3DestinationConfiguration>;
    if (current.ExtendedS3) return { ...current, ExtendedS3: mergeS3Update(current.ExtendedS3, u) };
    requireMembers(member, u, ['RoleARN', 'BucketARN']);
    return { ExtendedS3: u as ExtendedS3DestinationConfiguration, ...(member === 'S3DestinationUpdate' ? { legacyS3: true } : {}) };
  }
  if (member === 'RedshiftDestinationUpdate') {
    const u = update as RedshiftDestinationUpdate;
    if (current.Redshift) {
      const merged = mergeRedshiftUpdate(current.Redshift, u);
      if (typeof merged === 'string') throw invalidArgument(merged);
      return { Redshift: merged };
    }
    requireMembers(member, u, ['RoleARN', 'ClusterJDBCURL', 'CopyCommand', 'S3Update']);
    requireMembers(`${member}.S3Update`, u.S3Update!, ['RoleARN', 'BucketARN']);
    requireMembers(`${member}.CopyCommand`, u.CopyCommand!, ['DataTableName']);
    const { S3Update, S3BackupUpdate, ...rest } = u;
    return { Redshift: { ...rest, S3Configuration: S3Update, ...(S3BackupUpdate ? { S3BackupConfiguration: S3BackupUpdate } : {}) } as RedshiftDestinationConfiguration };
  }
  const sinkMember = sinkMemberOfUpdate(member);
  if (sinkMember) {
    if (typeof update !== 'object' || update === null || Array.isArray(update)) throw invalidArgument(`${member} must be a structure.`);
    return { sink: updatedSinkDestination(current.sink, sinkMember, update as Record<string, unknown>) };
  }
  throw invalidArgument(`${member} is not supported by this Hydrant version.`);
}

function requireMembers(where: string, value: object, members: string[]): void {
  for (const m of members) {
    if ((value as Record<string, unknown>)[m] === undefined) {
      throw invalidArgument(`${where}.${m} is required when UpdateDestination changes the destination type (the new destination replaces the old one).`);
    }
  }
}

/** The delivery stream catalog of the Redis backend: one hash of definitions shared by every node. */
class SharedCatalog {
  private readonly hash: RedisCatalog<DeliveryStreamDefinition>;

  constructor(backend: RedisBackend) {
    this.hash = new RedisCatalog<DeliveryStreamDefinition>(backend, 'delivery-streams');
  }

  loadAllByName(): Promise<Map<string, DeliveryStreamDefinition>> {
    return this.hash.loadAll();
  }

  async loadAll(): Promise<DeliveryStreamDefinition[]> {
    return [...(await this.hash.loadAll()).values()];
  }

  /** False when another node created a stream of that name first. */
  create(def: DeliveryStreamDefinition): Promise<boolean> {
    return this.hash.create(def.name, def);
  }

  save(def: DeliveryStreamDefinition): Promise<void> {
    return this.hash.save(def.name, def);
  }

  remove(name: string): Promise<void> {
    return this.hash.remove(name);
  }
}
