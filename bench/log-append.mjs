// Shard log append benchmark: concurrent callers append batches to one shard's log, and in the
// same run the floor.
//   embedded (default): ShardLog with fdatasync on; floor = raw writes of the same bytes with one
//     fdatasync per flush group.
//   --backend redis [--redis-url redis://127.0.0.1:6379]: RedisShardLog (one Lua script per
//     batch); floor = the same records as plain XADDs in one MULTI per batch (no script, no
//     position bookkeeping). Durability is the server's appendfsync setting (printed).
//   npx tsc -p tsconfig.json && node bench/log-append.mjs [--seconds 5] [--callers 16] [--batch 500]
// Imports the compiled log from dist/.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ShardLog } from '../dist/src/stream/log/index.js';
import { RedisBackend } from '../dist/src/stream/redis/backend.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const BACKEND = opt('backend', 'embedded');
const REDIS_URL = opt('redis-url', 'redis://127.0.0.1:6379');
if (!['embedded', 'redis'].includes(BACKEND)) throw new Error(`--backend must be embedded or redis, got ${BACKEND}`);
const SECONDS = arg('seconds', 5);
const CALLERS = arg('callers', 16);
const BATCH = arg('batch', 500);
const FRAME_OVERHEAD = 26; // frame header bytes (see src/stream/log/frame.ts)

let peakRss = 0;
const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const mib = (b) => b / 1024 / 1024;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function entries(recordBytes) {
  return Array.from({ length: BATCH }, (_, i) => {
    const data = Buffer.alloc(recordBytes);
    for (let j = 0; j < recordBytes; j += 64) data[j] = (i + j) & 0xff;
    return { partitionKey: `partition-key-${i % 97}`, data };
  });
}

/** Drives `append` from CALLERS concurrent callers for SECONDS; latencies of each call. */
async function drive(append) {
  const latencies = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const caller = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await append();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { elapsed, calls: latencies.length, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

async function runLog(recordBytes) {
  const dir = mkdtempSync(join(tmpdir(), 'hydrant-bench-log-'));
  const log = await ShardLog.open({ dir, logger: { warn: () => undefined } });
  const batch = entries(recordBytes);
  const run = await drive(() => log.append(batch));
  const { records, bytes, flushes } = log.stats;
  await log.destroy();
  rmSync(dir, { recursive: true, force: true });
  return {
    ...run, records, bytes, flushes,
    bytesPerFlush: bytes / flushes, buffersPerFlush: records / BATCH / flushes,
  };
}

/** RedisShardLog on a fresh key prefix (deleted afterwards); bytes = partition key + data. */
async function runRedisLog(backend, recordBytes) {
  const log = await backend.openShardLog('bench', `shard-${recordBytes}`);
  const batch = entries(recordBytes);
  const run = await drive(() => log.appendBatch(batch));
  const records = run.calls * BATCH;
  await log.destroy();
  return { ...run, records, bytes: records * batchBytes(batch) / BATCH };
}

/** The Redis floor: the same records as plain XADD (auto ids) in one MULTI per batch. */
async function runRedisFloor(backend, recordBytes) {
  const key = `${backend.keys.prefix}:floor-${recordBytes}`;
  const batch = entries(recordBytes);
  const run = await drive(() => {
    const m = backend.client.multi();
    for (const e of batch) m.xadd(key, '*', 'k', e.partitionKey, 'd', e.data);
    return m.exec();
  });
  await backend.client.del(key);
  const records = run.calls * BATCH;
  return { ...run, records, bytes: records * batchBytes(batch) / BATCH };
}

const batchBytes = (batch) => batch.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey), 0);

/** The floor: the same byte volume per flush group, written raw with one fdatasync per group. */
function runFloor(bytesPerFlush, buffersPerFlush, mode) {
  const dir = mkdtempSync(join(tmpdir(), 'hydrant-bench-floor-'));
  const fd = openSync(join(dir, 'raw.seg'), 'w');
  const n = Math.max(1, Math.round(buffersPerFlush));
  const part = Buffer.alloc(Math.ceil(bytesPerFlush / n), 7);
  const parts = Array.from({ length: n }, () => part);
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let bytes = 0;
  let flushes = 0;
  let pos = 0;
  while (performance.now() < deadline) {
    let w;
    if (mode === 'writev') w = writevSync(fd, parts, pos);
    else w = writeSync(fd, Buffer.concat(parts), 0, part.length * n, pos);
    fdatasyncSync(fd);
    pos += w;
    bytes += w;
    flushes++;
  }
  const elapsed = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return { elapsed, bytes, flushes };
}

const rows = [];
let header;
if (BACKEND === 'embedded') {
  header = `shard log append (embedded): ${CALLERS} callers x ${BATCH}-record batches, fsync on, ${SECONDS}s per run (node ${process.version})`;
  for (const recordBytes of [1024, 100]) {
    const r = await runLog(recordBytes);
    const frame = recordBytes + FRAME_OVERHEAD + 'partition-key-00'.length;
    rows.push([`ShardLog ${recordBytes} B`, fmt(r.records / r.elapsed), fmt(mib(r.bytes) / r.elapsed, 1), fmt(r.flushes / r.elapsed),
      fmt(mib(r.bytesPerFlush), 2), fmt(r.p50, 2), fmt(r.p99, 2)]);
    for (const mode of ['writev', 'concat']) {
      const f = runFloor(r.bytesPerFlush, r.buffersPerFlush, mode);
      rows.push([`  floor raw ${mode}`, fmt(f.bytes / frame / f.elapsed), fmt(mib(f.bytes) / f.elapsed, 1), fmt(f.flushes / f.elapsed),
        fmt(mib(f.bytes / f.flushes), 2), '', '']);
    }
  }
} else {
  const backend = await RedisBackend.connect({ url: REDIS_URL, keyPrefix: `hydrant-bench-${randomUUID().slice(0, 8)}` });
  const info = await backend.client.info('persistence');
  const aof = /aof_enabled:(\d)/.exec(info)?.[1] === '1' ? `AOF on, appendfsync ${(await backend.client.config('GET', 'appendfsync'))[1]}` : 'AOF off';
  const version = /redis_version:(\S+)/.exec(await backend.client.info('server'))?.[1];
  header = `shard log append (Redis ${version}, ${aof}): ${CALLERS} callers x ${BATCH}-record batches, ${SECONDS}s per run (node ${process.version})`;
  try {
    for (const recordBytes of [1024, 100]) {
      const r = await runRedisLog(backend, recordBytes);
      rows.push([`RedisShardLog ${recordBytes} B`, fmt(r.records / r.elapsed), fmt(mib(r.bytes) / r.elapsed, 1), fmt(r.calls / r.elapsed), '', fmt(r.p50, 2), fmt(r.p99, 2)]);
      const f = await runRedisFloor(backend, recordBytes);
      rows.push(['  floor MULTI of XADDs', fmt(f.records / f.elapsed), fmt(mib(f.bytes) / f.elapsed, 1), fmt(f.calls / f.elapsed), '', fmt(f.p50, 2), fmt(f.p99, 2)]);
    }
  } finally {
    await backend.close();
  }
}
clearInterval(rssTimer);

const head = ['run', 'records/s', 'MiB/s', BACKEND === 'embedded' ? 'flushes/s' : 'batches/s', BACKEND === 'embedded' ? 'MiB/flush' : '', 'p50 ms', 'p99 ms'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(header);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`peak RSS ${fmt(mib(peakRss), 0)} MiB; ` + (BACKEND === 'embedded' ? 'floor records/s = floor bytes / log frame size' : 'bytes = partition key + data'));
