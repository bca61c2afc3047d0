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
import { mkdtempSync, rmSync } from 'node:fs';
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

async function startTarget(target, port, dataDir, options) {
  const logFile = join(dataDir, `${target}.log`);
  if (target === 'hydrant') return startHydrant({ bin: options.hydrantBin, port, dataDir, logFile });
  return startServer({
    name: 'floor', args: [FLOOR_SERVER, '--port', String(port), '--data-dir', dataDir], env: process.env, port, logFile,
  });
}

/** One server, one record size: warm up, measure, read the server's figures, clean up. */
async function measure(target, payload, options) {
  const dataDir = mkdtempSync(join(tmpdir(), `hydrant-bench-${target}-`));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  let server;
  try {
    const port = await freePort();
    server = await startTarget(target, port, dataDir, options);
    const load = { agent, port, payload, connections: options.connections };
    if (options.warmupMs > 0) await runLoad({ ...load, durationMs: options.warmupMs });
    const cpuBefore = cpuSeconds(server.pid);
    const clientBefore = process.cpuUsage();
    const result = await runLoad({ ...load, durationMs: options.durationMs });
    const cpuUsed = cpuSeconds(server.pid) - cpuBefore;
    const clientUsage = process.cpuUsage(clientBefore);
    const seconds = result.elapsedMs / 1000;
    if (server.exited) throw new Error(`${target} exited during the run; log:\n${server.logTail()}`);
    return {
      ...summarize(result),
      firstError: result.firstError,
      peakRss: peakRssBytes(server.pid),
      cpuPercent: (cpuUsed / seconds) * 100,
      clientCpuPercent: ((clientUsage.user + clientUsage.system) / 1e6 / seconds) * 100,
      delivered: target === 'hydrant' ? deliveredBytes(dataDir) : NaN,
    };
  } finally {
    agent.destroy();
    await server?.stop();
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
  const targets = options.floorOnly ? ['floor'] : ['floor', 'hydrant'];
  if (!options.floorOnly && !options.hydrantBin && !hydrantBuilt()) {
    console.error('Hydrant is not built (dist/src/cli/main.js missing): run `npm run build`, or pass --floor-only.');
    process.exit(2);
  }

  console.log(`ingest bench: Firehose PutRecordBatch, ${options.recordsPerRequest} records/request, `
    + `${options.connections} connections, ${options.durationMs / 1000} s per run (+${options.warmupMs / 1000} s warm-up)`);
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); client and servers share them\n`);

  const rows = [];
  const results = new Map();
  for (const size of options.sizes) {
    const payload = buildBodies(size, options.recordsPerRequest);
    for (const target of targets) {
      process.stdout.write(`  ${formatSize(size).padEnd(7)} ${target.padEnd(8)} ...`);
      const r = await measure(target, payload, options);
      results.set(`${size}/${target}`, r);
      process.stdout.write(` ${formatInt(r.recordsPerSec)} rec/s${r.errors ? `, ${r.errors} failed requests` : ''}\n`);
      if (r.firstError) console.log(`    first error: ${r.firstError}`);
      const floor = results.get(`${size}/floor`);
      rows.push([
        formatSize(size), target, formatInt(r.recordsPerSec), formatFixed(r.mibPerSec), formatFixed(r.p50Ms, 2),
        formatFixed(r.p99Ms, 2), formatMiB(r.peakRss), formatFixed(r.cpuPercent, 0), formatFixed(r.clientCpuPercent, 0), formatInt(r.errors), formatInt(r.failedRecords),
        target === 'floor' ? '100%' : `${formatFixed((r.recordsPerSec / floor.recordsPerSec) * 100, 0)}%`,
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
    const delivered = options.sizes.map((s) => `${formatSize(s)} ${formatMiB(results.get(`${s}/hydrant`).delivered)} MiB`);
    console.log(`Hydrant delivered to s3/bench during the runs (asynchronous; 64 MiB / 60 s buffers): ${delivered.join(', ')}`);
  }
  console.log('');
  let failed = false;
  for (const size of options.sizes) {
    const floor = results.get(`${size}/floor`);
    const hydrant = results.get(`${size}/hydrant`);
    if (hydrant) {
      console.log(`${formatSize(size)}: hydrant ${formatInt(hydrant.recordsPerSec)} rec/s (${formatFixed(hydrant.mibPerSec)} MiB/s) `
        + `= ${formatFixed((hydrant.recordsPerSec / floor.recordsPerSec) * 100, 0)}% of floor`
        + ` (${formatInt(floor.recordsPerSec)} rec/s, ${formatFixed(floor.mibPerSec)} MiB/s)`);
    } else {
      console.log(`${formatSize(size)}: floor ${formatInt(floor.recordsPerSec)} rec/s (${formatFixed(floor.mibPerSec)} MiB/s)`);
    }
    for (const r of [floor, hydrant]) if (r && r.requests === 0) failed = true;
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
