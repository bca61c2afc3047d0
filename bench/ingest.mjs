// Ingest benchmark: Firehose PutRecordBatch against Hydrant and against the floor (a bare
// Node HTTP server that parses, decodes and durably appends, see lib/floor-server.mjs), with
// the same load generator and payloads, in the same run.
//   npm run bench:ingest                 (builds first; see lib/args.mjs for options)
//   node bench/ingest.mjs --short        (CI preset)
//   node bench/ingest.mjs --floor-only   (no Hydrant needed)
// The load generator runs in this process; each server runs in a fresh child process with a
// fresh data directory, so peak RSS (VmHWM) belongs to that run alone.
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
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
 * Start one target: the floor, embedded Hydrant, or `nodes` Hydrant processes on one Redis key
 * prefix (the first creates the delivery stream, the others find it in the shared catalog).
 */
async function startTarget(target, dataDir, options) {
  if (target === 'floor') {
    const port = await freePort();
    const server = await startServer({
      name: 'floor', args: [FLOOR_SERVER, '--port', String(port), '--data-dir', dataDir], env: process.env, port, logFile: join(dataDir, 'floor.log'),
    });
    return { servers: [server], ports: [port], dataDirs: [dataDir] };
  }
  const nodes = target.nodes ?? 1;
  const extraArgs = target.redisPrefix ? ['--backend', 'redis', '--redis-url', options.redisUrl, '--redis-key-prefix', target.redisPrefix] : [];
  const out = { servers: [], ports: [], dataDirs: [] };
  for (let i = 0; i < nodes; i++) {
    const port = await freePort();
    const dir = join(dataDir, `node-${i}`);
    mkdirSync(dir);
    try {
      out.servers.push(await startHydrant({ bin: options.hydrantBin, port, dataDir: dir, logFile: join(dir, 'hydrant.log'), extraArgs, create: i === 0 }));
    } catch (error) {
      await Promise.all(out.servers.map((s) => s.stop()));
      throw error;
    }
    out.ports.push(port);
    out.dataDirs.push(dir);
  }
  return out;
}

/** Deletes every key of a benchmark's Redis key prefix. */
async function deleteRedisPrefix(url, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/** One target, one record size: warm up, measure, read the servers' figures, clean up. */
async function measure(target, payload, options) {
  const dataDir = mkdtempSync(join(tmpdir(), `hydrant-bench-${target.name.replace(/\W+/g, '-')}-`));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  let started;
  try {
    started = await startTarget(target, dataDir, options);
    const { servers, ports } = started;
    const load = { agent, port: ports[0], ports, payload, connections: options.connections };
    if (options.warmupMs > 0) await runLoad({ ...load, durationMs: options.warmupMs });
    const cpuBefore = servers.map((s) => cpuSeconds(s.pid));
    const clientBefore = process.cpuUsage();
    const result = await runLoad({ ...load, durationMs: options.durationMs });
    const cpuUsed = servers.reduce((n, s, i) => n + cpuSeconds(s.pid) - cpuBefore[i], 0);
    const clientUsage = process.cpuUsage(clientBefore);
    const seconds = result.elapsedMs / 1000;
    for (const s of servers) if (s.exited) throw new Error(`${target.name} exited during the run; log:\n${s.logTail()}`);
    return {
      ...summarize(result),
      firstError: result.firstError,
      // Several nodes: the sum of their peaks (what the deployment needs), and their CPU summed.
      peakRss: servers.reduce((n, s) => n + peakRssBytes(s.pid), 0),
      cpuPercent: (cpuUsed / seconds) * 100,
      clientCpuPercent: ((clientUsage.user + clientUsage.system) / 1e6 / seconds) * 100,
      delivered: target.name === 'floor' ? NaN : started.dataDirs.reduce((n, d) => n + deliveredBytes(d), 0),
    };
  } finally {
    agent.destroy();
    await Promise.all((started?.servers ?? []).map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    if (target.redisPrefix) await deleteRedisPrefix(options.redisUrl, target.redisPrefix).catch(() => undefined);
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
  const runId = randomUUID().slice(0, 8);
  const targets = options.floorOnly ? [{ name: 'floor' }]
    : options.backend === 'redis'
      ? [{ name: 'floor' }, ...options.nodes.map((n) => ({ name: `hydrant redis ×${n}`, nodes: n, redisPrefix: `hydrant-bench-${runId}-${n}` }))]
      : [{ name: 'floor' }, { name: 'hydrant' }];
  if (!options.floorOnly && !options.hydrantBin && !hydrantBuilt()) {
    console.error('Hydrant is not built (dist/src/cli/main.js missing): run `npm run build`, or pass --floor-only.');
    process.exit(2);
  }

  console.log(`ingest bench: Firehose PutRecordBatch, ${options.recordsPerRequest} records/request, `
    + `${options.connections} connections, ${options.durationMs / 1000} s per run (+${options.warmupMs / 1000} s warm-up)`);
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); client and servers share them`);
  if (options.backend === 'redis') console.log(`backend redis at ${options.redisUrl} (${await redisPersistence(options.redisUrl)}); the Redis server shares the CPUs too`);
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
        target.name === 'floor' ? '100%' : `${formatFixed((r.recordsPerSec / floor.recordsPerSec) * 100, 0)}%`,
      ]);
    }
  }

  console.log(`\n${renderTable(
    ['size', 'server', 'records/s', 'MiB/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU %', 'client CPU %', 'failed req', 'failed rec', 'of floor'], rows, 2)}`);
  console.log([
    '',
    'records/s and MiB/s (decoded record bytes) count acknowledged records only; latency is per request',
    `(the ack of ${options.recordsPerRequest} records); failed req = non-200 or malformed answers; failed rec = FailedPutCount;`,
    "CPU % is the server's, client CPU % the load generator's (100 = one core).",
  ].join('\n'));
  if (!options.floorOnly) {
    const delivered = options.sizes.flatMap((s) => targets.filter((t) => t.name !== 'floor').map((t) => `${formatSize(s)} ${t.name} ${formatMiB(results.get(`${s}/${t.name}`).delivered)} MiB`));
    console.log(`Hydrant delivered to s3/bench during the runs (asynchronous; 64 MiB / 60 s buffers): ${delivered.join(', ')}`);
  }
  console.log('');
  let failed = false;
  for (const size of options.sizes) {
    const floor = results.get(`${size}/floor`);
    const hydrants = targets.filter((t) => t.name !== 'floor').map((t) => [t.name, results.get(`${size}/${t.name}`)]);
    for (const [name, hydrant] of hydrants) {
      console.log(`${formatSize(size)}: ${name} ${formatInt(hydrant.recordsPerSec)} rec/s (${formatFixed(hydrant.mibPerSec)} MiB/s) `
        + `= ${formatFixed((hydrant.recordsPerSec / floor.recordsPerSec) * 100, 0)}% of floor`
        + ` (${formatInt(floor.recordsPerSec)} rec/s, ${formatFixed(floor.mibPerSec)} MiB/s)`);
    }
    if (hydrants.length === 0) console.log(`${formatSize(size)}: floor ${formatInt(floor.recordsPerSec)} rec/s (${formatFixed(floor.mibPerSec)} MiB/s)`);
    for (const r of [floor, ...hydrants.map(([, h]) => h)]) if (r && r.requests === 0) failed = true;
  }
  if (failed) {
    console.error('\nat least one run had no successful request');
    process.exitCode = 1;
  }
}

/** The Redis server's persistence setting, as the figures depend on it. */
async function redisPersistence(url) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const [, aof] = await redis.config('GET', 'appendonly');
    const [, fsync] = await redis.config('GET', 'appendfsync');
    return aof === 'yes' ? `appendonly yes, appendfsync ${fsync}` : 'AOF off';
  } catch (error) {
    return `persistence unknown: ${error.message}`;
  } finally {
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
