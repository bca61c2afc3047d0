// Shard log append benchmark: concurrent callers append batches to one ShardLog (fsync on), and in
// the same run the floor: raw writes of the same bytes with one fdatasync per flush group.
//   npx tsc -p tsconfig.json && node bench/log-append.mjs [--seconds 5] [--callers 16] [--batch 500]
// Imports the compiled log from dist/.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardLog } from '../dist/src/stream/log/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
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

async function runLog(recordBytes) {
  const dir = mkdtempSync(join(tmpdir(), 'hydrant-bench-log-'));
  const log = await ShardLog.open({ dir, logger: { warn: () => undefined } });
  const batch = entries(recordBytes);
  const latencies = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const caller = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await log.append(batch);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const elapsed = (performance.now() - started) / 1000;
  const { records, bytes, flushes } = log.stats;
  await log.destroy();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    elapsed, records, bytes, flushes,
    p50: pct(latencies, 50), p99: pct(latencies, 99),
    bytesPerFlush: bytes / flushes, buffersPerFlush: records / BATCH / flushes,
  };
}

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
clearInterval(rssTimer);

const head = ['run', 'records/s', 'MiB/s', 'flushes/s', 'MiB/flush', 'p50 ms', 'p99 ms'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`shard log append: ${CALLERS} callers x ${BATCH}-record batches, fsync on, ${SECONDS}s per run (node ${process.version})`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`peak RSS ${fmt(mib(peakRss), 0)} MiB; floor records/s = floor bytes / log frame size`);
