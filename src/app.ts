import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AwsError } from './core/aws-error.js';
import { awsErrorOf } from './ingest/http/aws-failure.js';
import type { HydrantConfig } from './config/config.js';
import { DeliveryStreams } from './delivery/delivery-streams.js';
import { awsJsonHandler, errorResponse, type Authenticator, type AwsOperation } from './ingest/aws-json/dispatch.js';
import { firehoseOperations } from './ingest/aws-json/firehose-ops.js';
import { HydrantServer } from './ingest/http/server.js';
import type { Route } from './ingest/http/types.js';
import { firehoseModel, kinesisModel } from './ingest/protocol/index.js';
import { kinesisOperations } from './ingest/aws-json/kinesis-ops.js';
import { KinesisStreams } from './stream/registry/kinesis-streams.js';
import { ConsumerRegistry } from './stream/efo/consumers.js';
import { efoOperations } from './ingest/aws-json/efo-ops.js';
import { createSigV4Verifier } from './ingest/auth/sigv4.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { createObjectStore } from '../sinks/s3/object-store.js';
import { createSecretResolver } from './config/secrets.js';
import type { CreateDeliveryStreamInput } from './delivery/validate-create.js';
import { restRoutes } from './ingest/rest/routes.js';
import { RedisBackend } from './stream/redis/backend.js';
import { BullmqScheduler } from './delivery/scheduler/bullmq.js';
import type { NodeRegistry } from './stream/redis/node-registry.js';
import { randomUUID } from 'node:crypto';
import { firehoseHttpRoutes } from './ingest/firehose-http/index.js';
import { TransformServices } from './delivery/transform/index.js';

export interface RunningHydrant {
  port: number;
  host: string;
  endpoint: string;
  deliveryStreams: DeliveryStreams;
  kinesisStreams: KinesisStreams;
  metrics: Metrics;
  logger: Logger;
  /** SIGTERM behaviour: stop accepting, deliver what is buffered, close. Resolves true if everything was delivered. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Stop at once without delivering buffers (they stay durable in the log). */
  close(): Promise<void>;
}

const MAX_AWS_BODY = 16 * 1024 * 1024;

/** Start a Hydrant node with the given configuration (the CLI and tests both use this). */
export async function startHydrant(config: HydrantConfig, opts: { logger?: Logger; defaultMetrics?: boolean; now?: () => number } = {}): Promise<RunningHydrant> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const dataDir = resolve(config.dataDir ?? './data');
  const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const accountId = config.accountId ?? '000000000000';
  const metrics = new Metrics({ defaultMetrics: opts.defaultMetrics });

  const objectStore = createObjectStore({
    dataDir,
    endpoint: config.s3?.endpoint,
    region: config.s3?.region,
    forcePathStyle: config.s3?.forcePathStyle,
    credentials: config.s3?.accessKeyId && config.s3.secretAccessKey
      ? { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey }
      : undefined,
  });
  logger.info({ objects: objectStore.description }, `S3 destinations write to ${objectStore.description}`);

  // The Redis backend: every node of the deployment shares streams, catalogs, journals and leases.
  let redis: RedisBackend | undefined;
  let nodes: NodeRegistry | undefined;
  const rc = config.redis ?? {};
  const leaseTtlMs = rc.leaseTtlMs ?? 10_000;
  if (config.backend === 'redis') {
    redis = await RedisBackend.connect({ url: rc.url, keyPrefix: rc.keyPrefix, commandTimeoutMs: rc.commandTimeoutMs, waitAof: rc.waitAof, now: opts.now });
    nodes = redis.nodeRegistry(`node-${randomUUID()}`, leaseTtlMs);
    await nodes.start((err) => logger.warn({ err }, 'node heartbeat failed; retrying'));
    logger.info({ redis: (rc.url ?? 'redis://127.0.0.1:6379').replace(/\/\/[^@/]*@/, '//***@'), keyPrefix: redis.keys.prefix, node: nodes.nodeId, leaseTtlMs },
      'Redis backend: streams, catalogs, checkpoints and leases are shared with every node of this key prefix');
  }
  // Delivery jobs on BullMQ; a job's lock lasts a lease TTL, so a dead node's jobs move as fast as its shards.
  const scheduler = redis && rc.deliveryJobs !== 'node'
    ? new BullmqScheduler({ url: rc.url ?? 'redis://127.0.0.1:6379', keyPrefix: redis.keys.prefix, lockDurationMs: leaseTtlMs, concurrency: 2 })
    : undefined;
  const closeRedis = async () => {
    await scheduler?.close().catch((err: unknown) => logger.warn({ err }, 'closing the delivery job queues failed'));
    await nodes?.leave().catch(() => undefined);
    await redis?.close();
  };

  const kc = config.kinesis ?? {};
  const consumers = await ConsumerRegistry.open({
    dir: resolve(dataDir, 'kinesis', 'efo'),
    accountId,
    region,
    now: opts.now,
    createDelayMs: kc.createDelayMs,
    deleteDelayMs: kc.deleteDelayMs,
  });
  const kinesisStreams = await KinesisStreams.open({
    dataDir,
    region,
    accountId,
    logger: logger.child({ component: 'kinesis' }),
    now: opts.now,
    fsync: config.fsync,
    createDelayMs: kc.createDelayMs,
    updateDelayMs: kc.updateDelayMs,
    deleteDelayMs: kc.deleteDelayMs,
    shardLimit: kc.shardLimit,
    shardLimits: kc.shardLimits,
    iteratorTtlMs: kc.iteratorTtlMs,
    onDemand: kc.onDemand,
    consumers,
    redis,
    catalogSyncMs: rc.catalogSyncMs,
  });

  const transforms = new TransformServices({ ...config.transforms, functionsDir: config.functionsDir, functions: config.functions }, {
    region,
    accountId,
    onFunctionLog: (line, functionName, stream) => logger.info({ function: functionName, stream }, line),
  });
  if (config.functionsDir || config.functions) {
    logger.info({ functionsDir: config.functionsDir, functions: Object.keys(config.functions ?? {}) }, 'transformation functions are looked up here');
  }

  const deliveryStreams = await DeliveryStreams.open({
    dataDir,
    region,
    accountId,
    objectStore,
    logger,
    metrics,
    createDelayMs: config.createDelayMs,
    directPutShards: config.directPutShards,
    retentionHours: config.retentionHours,
    fsync: config.fsync,
    directPutLimits: config.directPutLimits,
    kinesisStreams,
    secrets: createSecretResolver(config.secrets),
    delivery: config.delivery,
    transforms,
    pluginBaseDir: config.pluginBaseDir,
    opensearchDomains: config.opensearchDomains,
    now: opts.now,
    redis: redis && nodes ? { backend: redis, nodes, leaseTtlMs, catalogSyncMs: rc.catalogSyncMs, scheduler } : undefined,
  });
  await applyConfiguredStreams(deliveryStreams, config.deliveryStreams ?? [], logger);

  const creds = config.auth?.credentials ?? [];
  let auth: Authenticator | undefined;
  if (creds.length > 0) {
    auth = createSigV4Verifier({ credentials: Object.fromEntries(creds.map((c) => [c.accessKeyId, c.secretAccessKey])) });
    logger.info({ keys: creds.map((c) => c.accessKeyId) }, 'SigV4 verification is on');
  } else {
    logger.warn('no access keys configured: requests are accepted with any signature (set auth.credentials or HYDRANT_AUTH_CREDENTIALS to verify SigV4)');
  }

  let draining = false;
  const awsJson = awsJsonHandler([
    { targetPrefix: 'Firehose_20150804', parser: firehoseModel, operations: lookAgainWhenNotFound(firehoseOperations(deliveryStreams), redis && (() => deliveryStreams.refresh())) },
    { targetPrefix: 'Kinesis_20131202', parser: kinesisModel, operations: lookAgainWhenNotFound(kinesisApi(kinesisStreams, consumers, logger), redis && (() => kinesisStreams.refresh())),
      cbor: true, legacyJsonEnvelope: true },
  ], auth, logger);
  const routes: Route[] = [
    { method: 'POST', path: '/', handler: awsJson, maxBody: MAX_AWS_BODY, direct: true },
    ...restRoutes({ deliveryStreams, kinesisStreams, auth, logger }),
    ...firehoseHttpRoutes({ deliveryStreams, accessKeys: config.firehoseHttp ? { keys: config.firehoseHttp.accessKeys, streams: config.firehoseHttp.streams } : undefined, logger, now: opts.now }),
    {
      method: 'GET', path: '/health', handler: () => draining
        ? { status: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"draining"}' }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' },
    },
    {
      method: 'GET', path: '/metrics', handler: async () => {
        deliveryStreams.refreshGauges();
        return { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.text() };
      },
    },
  ];
  const tls = config.tls ? { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) } : undefined;
  const server = new HydrantServer({
    routes,
    tls,
    onError: (err) => {
      logger.error({ err }, 'request failed');
      return errorResponse(awsErrorOf(err) ?? new AwsError('InternalFailure', '', 500), 'none');
    },
    notFound: (method, path) => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `No route for ${method} ${path}` }),
    }),
  });
  const host = config.host ?? '127.0.0.1';
  const { port } = await server.listen(config.port ?? 4573, host);
  const endpoint = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ endpoint, dataDir }, `Hydrant listening on ${endpoint}`);

  let closing: Promise<unknown> | undefined;
  return {
    port,
    host,
    endpoint,
    deliveryStreams,
    kinesisStreams,
    metrics,
    logger,
    drain: (timeoutMs = (config.drainTimeoutSeconds ?? 60) * 1000) => {
      draining = true;
      closing ??= (async () => {
        await server.close();
        const ok = await deliveryStreams.drain(timeoutMs);
        await transforms.close();
        await kinesisStreams.close();
        await consumers.close();
        await closeRedis();
        objectStore.close();
        return ok;
      })();
      return closing as Promise<boolean>;
    },
    close: () => {
      closing ??= (async () => {
        await server.close(0);
        await deliveryStreams.close();
        await transforms.close();
        await kinesisStreams.close();
        await consumers.close();
        await closeRedis();
        objectStore.close();
        return false;
      })();
      return closing.then(() => undefined);
    },
  };
}

/**
 * Redis backend: a stream another node created a moment ago may not be in this node's copy of
 * the catalog yet. An operation answering ResourceNotFoundException (which changed nothing) reads
 * the catalog and runs once more, so a stream is usable on every node as soon as CreateStream or
 * CreateDeliveryStream returned on one.
 */
function lookAgainWhenNotFound<T extends Record<string, AwsOperation>>(ops: T, refresh: (() => Promise<void>) | undefined): T {
  if (!refresh) return ops;
  const out: Record<string, AwsOperation> = {};
  for (const [name, op] of Object.entries(ops)) {
    out[name] = async (input, ctx) => {
      try {
        return await op(input, ctx);
      } catch (err) {
        if (!(AwsError.isInstance(err) && err.type === 'ResourceNotFoundException')) throw err;
        await refresh();
        return op(input, ctx);
      }
    };
  }
  return out as T;
}

/** The Kinesis operations: streams and records, then enhanced fan-out (which also tags consumers). */
function kinesisApi(streams: KinesisStreams, consumers: ConsumerRegistry, logger: Logger) {
  const streamOps = kinesisOperations(streams);
  return {
    ...streamOps,
    ...efoOperations(streams, consumers, { onError: (err, context) => logger.error({ err, ...context }, 'subscription failed') }, streamOps),
  };
}

/** Create the configured delivery streams that do not exist; update those whose destination changed. */
async function applyConfiguredStreams(ds: DeliveryStreams, streams: Record<string, unknown>[], logger: Logger): Promise<void> {
  for (const raw of streams) {
    let input: CreateDeliveryStreamInput;
    try {
      input = firehoseModel.parse('CreateDeliveryStream', raw) as CreateDeliveryStreamInput;
    } catch (err) {
      throw new Error(`config: delivery stream ${String(raw.DeliveryStreamName)}: ${(err as Error).message}`, { cause: err });
    }
    const name = input.DeliveryStreamName;
    let existing = ds.list({ Limit: 10_000 }).DeliveryStreamNames.includes(name);
    try {
      if (!existing) {
        try {
          await ds.create(input);
          logger.info({ deliveryStream: name }, 'created from the config file');
        } catch (err) {
          // Redis backend: another node starting with the same config file created it first.
          if (!(AwsError.isInstance(err) && err.type === 'ResourceInUseException' && ds.shared)) throw err;
          existing = await ds.waitFor(name);
          if (!existing) throw new Error('another node created it, but it did not come up here within 30 s', { cause: err });
        }
      }
      if (existing && await ds.applyDefinition(input)) {
        logger.info({ deliveryStream: name }, 'destination updated from the config file');
      }
    } catch (err) {
      throw new Error(`config: delivery stream ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
