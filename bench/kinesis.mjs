// Kinesis Data Streams benchmark: Hydrant against kinesalite (npm), the same AWS SDK v3 client
// and workload for both, in the same run.
//   npm run bench:kinesis                  (builds first)
//   node bench/kinesis.mjs --short         (CI preset: 3 s of writes per run)
//   node bench/kinesis.mjs --only kinesalite --size 100 --concurrency 8
// Each target runs in a fresh child process (Hydrant: fresh data dir, per-shard limits off;
// kinesalite: in memory), so its peak RSS (VmHWM) belongs to that run alone. Workload per target
// and record size: create a stream of N shards; PutRecords of 500 records from C concurrent
// callers for D seconds; then read every shard back from TRIM_HORIZON (GetRecords, Limit 10,000)
// and verify that exactly what was acknowledged came back (count, bytes, CRC32C sum).
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { positive } from './lib/args.mjs';
import { buildPool, createStream, getLoad, kinesisClient, Ledger, putLoad, summarize } from './lib/kinesis-load.mjs';
import { hydrantBuilt, startHydrantChild, startKinesaliteChild } from './lib/kinesis-servers.mjs';
import { cpuSeconds, peakRssBytes } from './lib/proc.mjs';
import { formatFixed, formatInt, formatMiB, formatSize } from './lib/stats.mjs';
import { renderTable } from './lib/table.mjs';

// The SDK's notice that later releases need Node 22 would land in the middle of the progress lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: node bench/kinesis.mjs [options]
  --shards <n>         shards of the stream (default 4)
  --size <list>        record sizes in bytes, comma-separated (default 1024,100)
  --concurrency <n>    concurrent PutRecords callers and HTTP connections (default 16)
  --duration <s>       seconds of PutRecords per run (default 10)
  --warmup <s>         PutRecords before the measured seconds (default 1; its records are read back too)
  --records <n>        records per PutRecords (default 500, the Kinesis maximum)
  --short              CI preset: --duration 3 --warmup 0.5
  --only <target>      hydrant or kinesalite
  --no-fsync           run Hydrant with HYDRANT_FSYNC=false (kinesalite never syncs: it is in memory)
  --help`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      shards: { type: 'string', default: '4' },
      size: { type: 'string', default: '1024,100' },
      concurrency: { type: 'string', default: '16' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      records: { type: 'string', default: '500' },
      short: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-fsync': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.only !== undefined && !['hydrant', 'kinesalite'].includes(values.only)) throw new Error(`--only must be hydrant or kinesalite, got ${values.only}`);
  const records = Math.floor(positive('records', values.records));
  if (records > 500) throw new Error('--records cannot exceed 500 (the PutRecords maximum)');
  return {
    help: values.help,
    shards: Math.floor(positive('shards', values.shards)),
    sizes: values.size.split(',').map((s) => Math.floor(positive('size', s.trim()))),
    concurrency: Math.floor(positive('concurrency', values.concurrency)),
    durationMs: positive('duration', values.duration ?? (values.short ? '3' : '10')) * 1000,
    warmupMs: values.warmup === '0' ? 0 : positive('warmup', values.warmup ?? (values.short ? '0.5' : '1')) * 1000,
    recordsPerRequest: records,
    targets: values.only ? [values.only] : ['hydrant', 'kinesalite'],
    fsync: !values['no-fsync'],
  };
}

// Data dirs of runs in progress, removed however the process ends (Ctrl-C included).
const dirs = new Set();
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One target, one record size: fresh server, stream, writes, read-back, verification. */
async function measure(target, size, options) {
  const dir = mkdtempSync(join(tmpdir(), `hydrant-bench-kinesis-${target}-`));
  dirs.add(dir);
  let server;
  let connection;
  try {
    const logFile = join(dir, `${target}.log`);
    server = target === 'hydrant'
      ? await startHydrantChild({ dataDir: join(dir, 'data'), logFile, fsync: options.fsync })
      : await startKinesaliteChild({ logFile });
    connection = kinesisClient(server.endpoint, options.concurrency);
    const { client } = connection;
    const shardIds = await createStream(client, options.shards);
    const ledger = new Ledger(buildPool(size, 4 * options.recordsPerRequest));
    const load = { client, ledger, concurrency: options.concurrency, recordsPerRequest: options.recordsPerRequest };
    if (options.warmupMs > 0) await putLoad({ ...load, durationMs: options.warmupMs });

    const cpuBefore = cpuSeconds(server.pid);
    const clientBefore = process.cpuUsage();
    const put = summarize(await putLoad({ ...load, durationMs: options.durationMs }));
    const putCpu = ((cpuSeconds(server.pid) - cpuBefore) / put.seconds) * 100;
    const putClientCpu = cpuPercent(process.cpuUsage(clientBefore), put.seconds);
    const putPeakRss = peakRssBytes(server.pid);
    const getCpuBefore = cpuSeconds(server.pid);
    const getClientBefore = process.cpuUsage();
    const get = summarize(await getLoad({ client, ledger, shardIds, limit: 10_000 }));
    const getCpu = ((cpuSeconds(server.pid) - getCpuBefore) / get.seconds) * 100;
    const getClientCpu = cpuPercent(process.cpuUsage(getClientBefore), get.seconds);
    const peakRss = peakRssBytes(server.pid);
    if (server.exited) throw new Error(`${target} exited during the run; output:\n${server.logTail()}`);
    return { put, putCpu, putClientCpu, putPeakRss, get, getCpu, getClientCpu, peakRss, written: ledger.written, read: ledger.read, verification: ledger.verify() };
  } finally {
    connection?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  }
}

const cpuPercent = (usage, seconds) => ((usage.user + usage.system) / 1e6 / seconds) * 100;
/** Server CPU microseconds per record, from its CPU % over a phase and the phase's records/s. */
const serverMicrosPerRecord = (cpuPercent, recordsPerSec) => (cpuPercent / 100) * 1e6 / recordsPerSec;
const ratio = (a, b) => (Number.isFinite(a / b) ? `${formatFixed(a / b, 2)}×` : 'n/a');

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
  if (options.targets.includes('hydrant') && !hydrantBuilt()) {
    console.error('Hydrant is not built (dist/src/cli/main.js missing): run `npm run build`, or pass --only kinesalite.');
    process.exit(2);
  }

  console.log(`kinesis bench: ${options.shards} shards, PutRecords of ${options.recordsPerRequest} records from ${options.concurrency} callers `
    + `for ${options.durationMs / 1000} s (+${options.warmupMs / 1000} s warm-up), then GetRecords (Limit 10,000) of every shard from TRIM_HORIZON`);
  console.log(`AWS SDK v3 over HTTP/1.1 keep-alive; Hydrant ${options.fsync ? 'fdatasyncs before acknowledging' : 'with fsync off'}, per-shard limits off; kinesalite in memory`);
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); client and servers share them; `
    + `load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  const rows = [];
  const results = new Map();
  let failed = false;
  for (const size of options.sizes) {
    for (const target of options.targets) {
      process.stdout.write(`  ${formatSize(size).padEnd(7)} ${target.padEnd(10)} ...`);
      const r = await measure(target, size, options);
      results.set(`${size}/${target}`, r);
      const v = r.verification;
      process.stdout.write(` put ${formatInt(r.put.recordsPerSec)} rec/s, get ${formatInt(r.get.recordsPerSec)} rec/s, `
        + `${v.ok ? `verified ${formatInt(r.read)} records (crc32c sum ${v.checksum})` : 'VERIFICATION FAILED'}\n`);
      for (const p of v.problems) console.log(`    ${p}`);
      for (const [phase, s] of [['put', r.put], ['get', r.get]]) if (s.firstError) console.log(`    first ${phase} error: ${s.firstError}`);
      if (!v.ok || r.put.records === 0) failed = true;
      rows.push([
        formatSize(size), target,
        formatInt(r.put.recordsPerSec), formatFixed(r.put.mibPerSec), formatFixed(r.put.p50Ms, 1), formatFixed(r.put.p99Ms, 1),
        formatInt(r.get.recordsPerSec), formatFixed(r.get.mibPerSec), formatFixed(r.get.p50Ms, 1), formatFixed(r.get.p99Ms, 1),
        formatMiB(r.putPeakRss), formatMiB(r.peakRss), formatFixed(r.putCpu, 0), formatFixed(r.putClientCpu, 0), formatFixed(r.getCpu, 0), formatFixed(r.getClientCpu, 0),
        formatFixed(serverMicrosPerRecord(r.putCpu, r.put.recordsPerSec), 1), formatFixed(serverMicrosPerRecord(r.getCpu, r.get.recordsPerSec), 1),
        formatInt(r.put.errors + r.get.errors), formatInt(r.put.failedRecords), v.ok ? 'ok' : 'FAILED',
      ]);
    }
  }

  console.log(`\n${renderTable([
    'size', 'target', 'put rec/s', 'put MiB/s', 'put p50 ms', 'put p99 ms', 'get rec/s', 'get MiB/s', 'get p50 ms', 'get p99 ms',
    'RSS put MiB', 'RSS peak MiB', 'srv put CPU %', 'cli put CPU %', 'srv get CPU %', 'cli get CPU %', 'srv put µs/rec', 'srv get µs/rec', 'failed calls', 'failed rec', 'verified',
  ], rows, 2)}`);
  console.log([
    '',
    'put: acknowledged records (MiB/s of record data) over the write phase, latency per PutRecords call;',
    'get: records read back over the read phase, latency per GetRecords call (one iterator loop per shard);',
    "RSS put / peak: the server's VmHWM after the write phase and after the whole run; srv / cli CPU %: the server's",
    'and this process\'s (the SDK client and the checks) during each phase (100 = one core);',
    'srv µs/rec: server CPU time per record (what the server costs, whatever bounds the throughput).',
  ].join('\n'));

  if (options.targets.length === 2) {
    console.log('\nHydrant ÷ kinesalite');
    const ratioRows = options.sizes.map((size) => {
      const h = results.get(`${size}/hydrant`);
      const k = results.get(`${size}/kinesalite`);
      return [formatSize(size), ratio(h.put.recordsPerSec, k.put.recordsPerSec), ratio(h.get.recordsPerSec, k.get.recordsPerSec),
        ratio(serverMicrosPerRecord(k.putCpu, k.put.recordsPerSec), serverMicrosPerRecord(h.putCpu, h.put.recordsPerSec)),
        ratio(serverMicrosPerRecord(k.getCpu, k.get.recordsPerSec), serverMicrosPerRecord(h.getCpu, h.get.recordsPerSec)),
        ratio(h.put.p50Ms, k.put.p50Ms), ratio(h.get.p50Ms, k.get.p50Ms), ratio(h.peakRss, k.peakRss)];
    });
    console.log(renderTable(['size', 'put rec/s', 'get rec/s', 'put efficiency', 'get efficiency', 'put p50', 'get p50', 'peak RSS'], ratioRows, 1));
    console.log('(throughput and efficiency — kinesalite\'s server CPU per record ÷ Hydrant\'s — higher is better for Hydrant;');
    console.log(' latency and RSS: lower is better. The client shares the cores, so throughput is bounded by the client as well.)');
  }
  if (failed) {
    console.error('\nat least one run wrote nothing or did not read back exactly what it wrote');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exitCode = 1;
});
