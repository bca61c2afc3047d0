import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnHydrant, tempDir, type ChildHydrant } from './hydrant.js';
import { uniquePrefix } from './redis.js';
import type { S3TestServer } from './s3-server.js';
import { parseRecords } from './records.js';

/**
 * Several `hydrant serve --backend redis` child processes on one Redis key prefix and one S3:
 * a deployment as users run it. Each node has its own data dir (nothing in it is shared).
 */
export interface TestCluster {
  prefix: string;
  nodes: (ChildHydrant | undefined)[];
  /** Start node `i` (again, after a kill). */
  start(i: number): Promise<ChildHydrant>;
  /** SIGKILL node `i`: no drain, its leases expire. */
  kill(i: number): Promise<void>;
  /** SIGTERM every live node; resolves once all exited. */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  s3: S3TestServer;
  size: number;
  leaseTtlMs?: number;
  /** Extra config file members (merged over the defaults). */
  config?: Record<string, unknown>;
}

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const prefix = uniquePrefix('cluster');
  const root = await tempDir('hydrant-cluster');
  const configPath = join(root.path, 'hydrant.json');
  await writeFile(configPath, JSON.stringify({
    directPutShards: 4,
    kinesis: { shardLimits: false, createDelayMs: 200, updateDelayMs: 200, deleteDelayMs: 200 },
    redis: { catalogSyncMs: 300, commandTimeoutMs: 2_000 },
    ...opts.config,
  }));
  const env = { AWS_ENDPOINT_URL_S3: opts.s3.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  const nodes: (ChildHydrant | undefined)[] = new Array(opts.size).fill(undefined);
  const start = async (i: number) => {
    const child = await spawnHydrant(['--port', '0', '--data-dir', join(root.path, `node-${i}`), '--config', configPath,
      '--backend', 'redis', '--redis-url', opts.redisUrl, '--redis-key-prefix', prefix, '--lease-ttl-ms', String(opts.leaseTtlMs ?? 3_000),
      ...(process.env.DEBUG_DUPES ? ['--log-level', 'debug'] : [])], env);
    nodes[i] = child;
    return child;
  };
  await Promise.all(nodes.map((_, i) => start(i)));
  const dump = async () => {
    if (!process.env.DEBUG_DUPES) return;
    await Promise.all(nodes.map((n, i) => n && writeFile(`/tmp/cluster-node-${i}.log`, n.output())));
  };
  const kill = async (i: number) => {
    await dump();
    const n = nodes[i];
    if (!n || n.proc.exitCode !== null || n.proc.signalCode !== null) return;
    n.proc.kill('SIGKILL');
    await n.exited;
    nodes[i] = undefined;
  };
  return {
    prefix,
    nodes,
    start,
    kill,
    async stop() {
      await dump();
      await Promise.all(nodes.map(async (n, i) => {
        if (!n || n.proc.exitCode !== null || n.proc.signalCode !== null) return;
        n.proc.kill('SIGTERM');
        await n.exited;
        nodes[i] = undefined;
      }));
    },
    async remove() {
      await Promise.all(nodes.map((_, i) => kill(i)));
      await root.remove();
    },
  };
}

/** How many times each record id occurs in the objects under `prefix`, and how many objects there are. */
export async function countIds(s3: S3TestServer, bucket: string, prefix: string): Promise<{ counts: Map<number, number>; objects: number }> {
  const counts = new Map<number, number>();
  const keys = await s3.listKeys(bucket, prefix);
  for (const key of keys) {
    for (const r of parseRecords(await s3.getObject(bucket, key))) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  }
  return { counts, objects: keys.length };
}
