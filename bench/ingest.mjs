// Ingest benchmark: Firehose PutRecordBatch against Hydrant and against the floor (a bare
// Node HTTP server that parses, decodes and durably appends, see lib/floor-server.mjs), with
// the same load generator and payloads, in the same run.
//   npm run bench:ingest                 (builds first; see lib/args.mjs for options)
//   node bench/ingest.mjs --short        (CI preset)
//   node bench/ingest.mjs --floor-only   (no Hydrant needed)
//   npm run bench:ingest -- --backend redis [--nodes 1,2]   (Hydrant nodes sharing the Redis
//                                        on 127.0.0.1:6379 under a fresh key prefix, load spread over them)
// The load generator runs in this process; each server runs in a fresh child process with a
// fresh data directory, so peak RSS (VmHWM) belongs to that run alone.
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseOptions, USAGE } from './lib/args.mjs';
import { deliveredBytes, hydrantBuilt, startHydrant } from './lib/hydrant.mjs';
import { runLoad } from './lib/load.mjs';
import { buildBodies } from './lib/payload.mjs';
import { cpuSeconds, peakRssBytes } from './lib/proc.mjs';
import { freePort, startServer } from './lib/server.mjs';
import { formatFixed, formatInt, formatMiB, formatSize, summarize } from './lib/stats.mjs';
import { renderTable } from './lib/table.mjs';

const FLOOR_SERVER = join(import.meta.dirname, 'lib', 'floor-server.mjs');

/**
 * What one run measures: the floor, or a Hydrant deployment of `nodes` processes (embedded: one;
 * redis: all sharing one Redis under a fresh key prefix).
 */
function targetsOf(options) {
  if (options.floorOnly) return [{ name: 'floor' }];
  const hydrants = options.backend === 'redis'
    ? options.nodes.map((nodes) => ({ name: `redis×${nodes}`, hydrant: true, nodes, redis: true }))
    : [{ name: 'hydrant', hydrant: true, nodes: 1 }];
  return [{ name: 'floor' }, ...hydrants];
}

/** Start the target's servers; each node gets its own data dir under `dataDir`. */
async function startTarget(target, dataDir, options) {
  if (!target.hydrant) {
    const port = await freePort();
    return [await startServer({
      name: 'floor', args: [FLOOR_SERVER, '--port', String(port), '--data-dir', dataDir], env: process.env, port, logFile: join(dataDir, 'floor.log'),
    })];
  }
  const backendArgs = target.redis
    ? ['--backend', 'redis', '--redis-url', options.redisUrl, '--redis-key-prefix', target.keyPrefix]
    : [];
  const servers = [];
  try {
    for (let i = 0; i < target.nodes; i++) {
      const nodeDir = join(dataDir, `node-${i}`);
      mkdirSync(nodeDir, { recursive: true });
      const port = await freePort();
      servers.push(await startHydrant({
        bin: options.hydrantBin, port, dataDir: nodeDir, logFile: join(nodeDir, 'hydrant.log'), backendArgs, create: i === 0,
      }));
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return servers;
}

/** Delete every key of a bench run's deployment (the Redis is shared with other work). */
async function dropRedisKeys(url, prefix) {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    // Keys are `<prefix>:…`, or `{<prefix>:…}…` where they share a Redis Cluster hash slot.
    for (const pattern of [`${prefix}:*`, `{${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/** One target, one record size: warm up, measure, read the servers' figures, clean up. */
async function measure(target, payload, options) {
  const dataDir = mkdtempSync(join(tmpdir(), `hydrant-bench-${target.hydrant ? 'hydrant' : 'floor'}-`));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const run = target.redis ? { ...target, keyPrefix: `hydrant-bench-${process.pid}-${Date.now()}` } : target;
  let servers = [];
  try {
    servers = await startTarget(run, dataDir, options);
    const load = { agent, ports: servers.map((s) => s.port), payload, connections: options.connections };
    if (options.warmupMs > 0) await runLoad({ ...load, durationMs: options.warmupMs });
    const cpuBefore = servers.map((s) => cpuSeconds(s.pid));
    const clientBefore = process.cpuUsage();
    const result = await runLoad({ ...load, durationMs: options.durationMs });
    const cpuUsed = servers.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - cpuBefore[i], 0);
    const clientUsage = process.cpuUsage(clientBefore);
    const seconds = result.elapsedMs / 1000;
    const dead = servers.find((s) => s.exited);
    if (dead) throw new Error(`${target.name} exited during the run; log:\n${dead.logTail()}`);
    return {
      ...summarize(result),
      firstError: result.firstError,
      // The largest node's: what one machine of the deployment needs.
      peakRss: Math.max(...servers.map((s) => peakRssBytes(s.pid))),
      cpuPercent: (cpuUsed / seconds) * 100,
      clientCpuPercent: ((clientUsage.user + clientUsage.system) / 1e6 / seconds) * 100,
      delivered: target.hydrant ? servers.reduce((sum, _s, i) => sum + deliveredBytes(join(dataDir, `node-${i}`)), 0) : NaN,
    };
  } finally {
    agent.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    if (run.keyPrefix) await dropRedisKeys(options.redisUrl, run.keyPrefix).catch((error) => console.error(`could not delete the run's Redis keys: ${error.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const targets = targetsOf(options);
  if (!options.floorOnly && !options.hydrantBin && !hydrantBuilt()) {
    console.error('Hydrant is not built (dist/src/cli/main.js missing): run `npm run build`, or pass --floor-only.');
    process.exit(2);
  }

  console.log(`ingest bench: Firehose PutRecordBatch, ${options.recordsPerRequest} records/request, `
    + `${options.connections} connections, ${options.durationMs / 1000} s per run (+${options.warmupMs / 1000} s warm-up)`);
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); client and servers share them`);
  if (options.backend === 'redis') console.log(`backend redis at ${options.redisUrl} (the Redis server shares the CPUs too; its CPU is not in the servers' CPU %)`);
  console.log('');

  const rows = [];
  const results = new Map();
  for (const size of options.sizes) {
    const payload = buildBodies(size, options.recordsPerRequest);
    for (const target of targets) {
      process.stdout.write(`  ${formatSize(size).padEnd(7)} ${target.name.padEnd(8)} ...`);
      const r = await measure(target, payload, options);
      results.set(`${size}/${target.name}`, r);
      process.stdout.write(` ${formatInt(r.recordsPerSec)} rec/s${r.errors ? `, ${r.errors} failed requests` : ''}\n`);
      if (r.firstError) console.log(`    first error: ${r.firstError}`);
      const floor = results.get(`${size}/floor`);
      rows.push([
        formatSize(size), target.name, formatInt(r.recordsPerSec), formatFixed(r.mibPerSec), formatFixed(r.p50Ms, 2),
        formatFixed(r.p99Ms, 2), formatMiB(r.peakRss), formatFixed(r.cpuPercent, 0), formatFixed(r.clientCpuPercent, 0), formatInt(r.errors), formatInt(r.failedRecords),
        !target.hydrant ? '100%' : `${formatFixed((r.recordsPerSec / floor.recordsPerSec) * 100, 0)}%`,
      ]);
    }
  }

  console.log(`\n${renderTable(
    ['size', 'server', 'records/s', 'MiB/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU %', 'client CPU %', 'failed req', 'failed rec', 'of floor'], rows, 2)}`);
  console.log([
    '',
    'records/s and MiB/s (decoded record bytes) count acknowledged records only; latency is per request',
    `(the ack of ${options.recordsPerRequest} records); failed req = non-200 or malformed answers; failed rec = FailedPutCount;`,
    "CPU % is the server's (all nodes'), client CPU % the load generator's (100 = one core); peak RSS is the largest node's.",
  ].join('\n'));
  const hydrants = targets.filter((t) => t.hydrant);
  for (const t of hydrants) {
    const delivered = options.sizes.map((s) => `${formatSize(s)} ${formatMiB(results.get(`${s}/${t.name}`).delivered)} MiB`);
    console.log(`${t.name} delivered to s3/bench during the runs (asynchronous; 64 MiB / 60 s buffers): ${delivered.join(', ')}`);
  }
  console.log('');
  let failed = false;
  for (const size of options.sizes) {
    const floor = results.get(`${size}/floor`);
    if (floor.requests === 0) failed = true;
    if (hydrants.length === 0) console.log(`${formatSize(size)}: floor ${formatInt(floor.recordsPerSec)} rec/s (${formatFixed(floor.mibPerSec)} MiB/s)`);
    for (const t of hydrants) {
      const hydrant = results.get(`${size}/${t.name}`);
      if (hydrant.requests === 0) failed = true;
      console.log(`${formatSize(size)}: ${t.name} ${formatInt(hydrant.recordsPerSec)} rec/s (${formatFixed(hydrant.mibPerSec)} MiB/s) `
        + `= ${formatFixed((hydrant.recordsPerSec / floor.recordsPerSec) * 100, 0)}% of floor`
        + ` (${formatInt(floor.recordsPerSec)} rec/s, ${formatFixed(floor.mibPerSec)} MiB/s)`);
    }
  }
  if (failed) {
    console.error('\nat least one run had no successful request');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
