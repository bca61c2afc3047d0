import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { FunctionDefinition, TransformsConfig } from '../delivery/transform/index.js';

/**
 * Hydrant's configuration. Every member is optional; the comment gives the default.
 * Delivery streams use the `CreateDeliveryStream` input shape, so AWS definitions port as-is.
 */
export interface HydrantConfig {
  /** TCP port (default 4573). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Where logs, checkpoints, the catalog and (without an S3 endpoint) objects live (default ./data). */
  dataDir?: string;
  /** Region used in ARNs (default AWS_REGION, else us-east-1). */
  region?: string;
  /** Account id used in ARNs and messages (default 000000000000). */
  accountId?: string;
  /** SigV4 verification: requests must be signed with one of these keys. None = accept any signature. */
  auth?: { credentials?: { accessKeyId: string; secretAccessKey: string }[] };
  /** S3 connection; defaults come from the standard AWS settings (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, credentials chain). */
  s3?: { endpoint?: string; region?: string; forcePathStyle?: boolean; accessKeyId?: string; secretAccessKey?: string };
  /** TLS for the API port (h2 and http/1.1 by ALPN): PEM file paths. */
  tls?: { cert: string; key: string };
  /** Delivery streams to create (or update) at start, in CreateDeliveryStream input shape. */
  deliveryStreams?: Record<string, unknown>[];
  /** Milliseconds a new delivery stream stays CREATING (default 0: ACTIVE at once). */
  createDelayMs?: number;
  /** Shards of the log behind each Direct PUT delivery stream (default 1). */
  directPutShards?: number;
  /**
   * Direct PUT quotas per delivery stream, enforced like AWS's (records/s, requests/s, bytes/s;
   * over-limit records fail with ServiceUnavailableException "Slow down."). Default: none.
   * AWS's defaults are 500,000 records/s, 2,000 requests/s and 5 MiB/s.
   */
  directPutLimits?: { recordsPerSecond?: number; requestsPerSecond?: number; bytesPerSecond?: number };
  /** Hours undelivered Direct PUT records are kept (default 24, as AWS). */
  retentionHours?: number;
  /** fdatasync before acknowledging (default true; false trades durability for speed). */
  fsync?: boolean;
  /** Seconds SIGTERM waits for buffered records to be delivered (default 60). */
  drainTimeoutSeconds?: number;
  /** pino log level (default info). */
  logLevel?: string;
  /** The Kinesis Data Streams API on the same port. */
  kinesis?: KinesisConfig;
  /**
   * Secrets referenced by `SecretsManagerConfiguration.SecretARN`, keyed by ARN or secret name;
   * each value is the secret's JSON (e.g. `{"username": "...", "password": "..."}` for Redshift).
   * `HYDRANT_SECRET_<NAME>` environment variables work too (see src/config/secrets.ts).
   */
  secrets?: Record<string, unknown>;
  /** Delivery to destinations other than S3. */
  delivery?: DeliveryConfig;
  /**
   * `POST /v1/firehose/{deliveryStream}` (deliveries from a Firehose HTTP endpoint destination):
   * the `X-Amz-Firehose-Access-Key` values accepted, node-wide (`accessKeys`) or per delivery
   * stream (`streams`). None = accept any key (the startup log says so).
   */
  firehoseHttp?: { accessKeys?: string[]; streams?: Record<string, string[]> };
  /**
   * OpenSearch destinations given by `DomainARN` (rather than `ClusterEndpoint`): each domain's
   * cluster URL, keyed by ARN.
   */
  opensearchDomains?: Record<string, string>;
  /**
   * Relative `Module` paths of `HydrantPluginDestinationConfiguration` destinations resolve from
   * here. Default: the config file's directory (with `--config`), else the working directory.
   */
  pluginBaseDir?: string;
  /**
   * Where transformation functions (`ProcessingConfiguration` Lambda processors) are found by
   * name: `DIR/NAME.mjs|.js|.cjs` or `DIR/NAME/index.mjs|.js|.cjs` (`--functions-dir`). Default: none.
   */
  functionsDir?: string;
  /**
   * Functions by name (the last segment of `LambdaArn`, qualifier ignored): a module path, or
   * `{ path, handler?, timeoutSeconds? (default 300, the most), memoryMb? (default 256), environment? }`.
   * Relative paths are resolved against the config file's directory. Looked up before `functionsDir`.
   */
  functions?: Record<string, string | FunctionDefinition>;
  /**
   * Transform workers: `lambda: { maxWorkers (default: cores, at least 2), maxWorkersPerStream
   * (default maxWorkers − 1) }`, `jq: { maxWorkers (2), timeoutSeconds (30) }`,
   * `activePartitionLimit` (dynamic partitioning, default 500 as AWS), `partitionBufferMiB`
   * (dynamic partitioning: what one delivery stream's partition buffers may hold on a node,
   * default 256), and `glue`: the tables
   * record format conversion reads its schema from (there is no Glue Data Catalog here), inline
   * as `tables: [{DatabaseName, Name, StorageDescriptor: {Columns: [{Name, Type}]}}]` and/or in
   * `tablesDir` (`DIR/<database>/<table>.json` or `DIR/<database>.<table>.json`, each what
   * `aws glue get-table` prints; relative to the config file's directory).
   */
  transforms?: Omit<TransformsConfig, 'functionsDir' | 'functions'>;
  /**
   * Where streams, catalogs, checkpoints and leases live: `embedded` (default: files under
   * `dataDir`, one node) or `redis` (shared by every node of the deployment; see `redis`).
   */
  backend?: 'embedded' | 'redis';
  /** The Redis backend's settings (used with `backend: "redis"`). */
  redis?: RedisConfig;
}

/** Settings of `backend: "redis"`. */
export interface RedisConfig {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (default redis://127.0.0.1:6379). */
  url?: string;
  /** Prefix of every key this deployment writes; deployments with different prefixes share one Redis (default `hydrant`). */
  keyPrefix?: string;
  /** How long a shard lease (and a node heartbeat) lasts without renewal: a dead node's shards move after this (default 10,000 ms). */
  leaseTtlMs?: number;
  /** How long one Redis command may take before ingest answers ServiceUnavailableException (default 5,000 ms). */
  commandTimeoutMs?: number;
  /** How often each node re-reads the stream catalogs for streams created, changed or deleted on other nodes (default 1,000 ms). */
  catalogSyncMs?: number;
  /**
   * Who delivers a cut batch: `bullmq` (default) makes it a BullMQ job carrying the batch's
   * identity, run by any node's worker (attempts, backoff, stalled-job recovery); `node`: the
   * node that cut it (or, after it died, the node that takes over its shard).
   */
  deliveryJobs?: 'bullmq' | 'node';
  /**
   * Acknowledge an append only once WAITAOF confirms it is fsynced (Redis 7.2+): `local` 1 = this
   * server's AOF, `replicas` = how many replicas' AOFs. Default off (the server's appendfsync decides).
   */
  waitAof?: { local: 0 | 1; replicas: number; timeoutMs?: number };
}

/** Retry behaviour of the delivery driver and Redshift loads. */
export interface DeliveryConfig {
  /**
   * Backoff between retries of a failed delivery attempt: the first retry waits up to
   * `baseDelayMs` (full jitter), doubling per retry up to `maxDelayMs`. Default 1,000 / 60,000.
   * The retry duration itself is each destination's `RetryOptions.DurationInSeconds`.
   */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /**
   * The per-destination retry budget: at most `capacity` retries at once, then `refillPerSecond`
   * retries per second across all batches of the destination. Default 20 / 2.
   */
  retryBudget?: { capacity?: number; refillPerSecond?: number };
  /** Backoff between retries of a failed S3 backup write (delivery pauses meanwhile). Default 500 / 30,000 ms. */
  backupRetry?: { baseDelayMs?: number; maxDelayMs?: number };
  redshift?: {
    /**
     * The table in the destination database where Hydrant records each loaded manifest, in the
     * same transaction as its COPY, so a batch retried after a crash is never loaded twice.
     * Created when missing. Default `hydrant_loaded_manifests` (the user's search path).
     */
    bookkeepingTable?: string;
    /** An attempt (connect, COPY, commit) running longer than this is aborted and retried. Default 900,000 ms. */
    attemptTimeoutMs?: number;
  };
}

export interface KinesisConfig {
  /** Milliseconds a new stream stays CREATING (default 500; AWS takes tens of seconds). */
  createDelayMs?: number;
  /** Milliseconds a reshard, mode or encryption change keeps the stream UPDATING (default 500). */
  updateDelayMs?: number;
  /** Milliseconds a deleted stream stays DELETING (default 500). */
  deleteDelayMs?: number;
  /** Open shards allowed across all streams (default 500). */
  shardLimit?: number;
  /**
   * Per-shard throughput limits (default AWS's: writes 1 MiB/s and 1,000 records/s, reads 5
   * GetRecords/s and 2 MiB/s). `false` switches them off for raw speed.
   */
  shardLimits?: false | { writeBytesPerSecond?: number; writeRecordsPerSecond?: number; readCallsPerSecond?: number; readBytesPerSecond?: number };
  /** Lifetime of a shard iterator in ms (default 300,000, as AWS). */
  iteratorTtlMs?: number;
  /** ON_DEMAND scaling: check interval in ms (default 10,000) and the share of a shard's write limit that makes it hot (default 0.5). */
  onDemand?: { checkIntervalMs?: number; hotFraction?: number };
}

export async function loadConfigFile(path: string): Promise<HydrantConfig> {
  const text = await readFile(resolve(path), 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`config file ${path} must hold a JSON object`);
  const config = parsed as HydrantConfig;
  // Function paths are relative to the config file, wherever Hydrant is started from.
  const dir = dirname(resolve(path));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  if (typeof config.functionsDir === 'string') config.functionsDir = at(config.functionsDir);
  const glue = config.transforms?.glue;
  if (glue && typeof glue.tablesDir === 'string') glue.tablesDir = at(glue.tablesDir);
  if (config.functions && typeof config.functions === 'object') {
    for (const [name, def] of Object.entries(config.functions)) {
      if (typeof def === 'string') config.functions[name] = at(def);
      else if (def && typeof def.path === 'string') config.functions[name] = { ...def, path: at(def.path) };
    }
  }
  return { ...config, pluginBaseDir: resolve(dir, config.pluginBaseDir ?? '.') };
}

/** Environment settings that override nothing given explicitly. */
export function configFromEnv(env: NodeJS.ProcessEnv): HydrantConfig {
  const out: HydrantConfig = {};
  if (env.HYDRANT_DATA_DIR) out.dataDir = env.HYDRANT_DATA_DIR;
  if (env.HYDRANT_FUNCTIONS_DIR) out.functionsDir = env.HYDRANT_FUNCTIONS_DIR;
  if (env.HYDRANT_PORT) out.port = Number(env.HYDRANT_PORT);
  if (env.HYDRANT_HOST) out.host = env.HYDRANT_HOST;
  if (env.HYDRANT_ACCOUNT_ID) out.accountId = env.HYDRANT_ACCOUNT_ID;
  if (env.HYDRANT_AUTH_CREDENTIALS) {
    out.auth = {
      credentials: env.HYDRANT_AUTH_CREDENTIALS.split(',').filter(Boolean).map((pair) => {
        const i = pair.indexOf(':');
        return { accessKeyId: pair.slice(0, i), secretAccessKey: pair.slice(i + 1) };
      }),
    };
  }
  if (env.HYDRANT_FSYNC) out.fsync = env.HYDRANT_FSYNC !== 'false' && env.HYDRANT_FSYNC !== '0';
  if (env.HYDRANT_CREATE_DELAY_MS) out.createDelayMs = Number(env.HYDRANT_CREATE_DELAY_MS);
  if (env.HYDRANT_FIREHOSE_ACCESS_KEYS) out.firehoseHttp = { accessKeys: env.HYDRANT_FIREHOSE_ACCESS_KEYS.split(',').filter(Boolean) };
  if (env.HYDRANT_BACKEND) out.backend = parseBackend(env.HYDRANT_BACKEND);
  if (env.HYDRANT_REDIS_URL || env.HYDRANT_REDIS_KEY_PREFIX || env.HYDRANT_LEASE_TTL_MS) {
    out.redis = {
      ...(env.HYDRANT_REDIS_URL ? { url: env.HYDRANT_REDIS_URL } : {}),
      ...(env.HYDRANT_REDIS_KEY_PREFIX ? { keyPrefix: env.HYDRANT_REDIS_KEY_PREFIX } : {}),
      ...(env.HYDRANT_LEASE_TTL_MS ? { leaseTtlMs: Number(env.HYDRANT_LEASE_TTL_MS) } : {}),
    };
  }
  if (env.HYDRANT_KINESIS_SHARD_LIMITS === 'off') out.kinesis = { ...out.kinesis, shardLimits: false };
  return out;
}

/** `embedded` or `redis`; anything else is a configuration error naming the choices. */
export function parseBackend(value: string): 'embedded' | 'redis' {
  if (value === 'embedded' || value === 'redis') return value;
  throw new Error(`unknown backend ${JSON.stringify(value)}: use embedded or redis`);
}
