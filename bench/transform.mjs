// Transform-side benchmarks, printed as tables (imports the compiled code from dist/):
//   1. GZIP decompression of CloudWatch Logs subscription records: zlib-sync vs node:zlib (sync and
//      the thread-pool async form), records/s and MiB/s of output — the figure that chose node:zlib.
//   2. jq (MetadataExtraction): per-record cost of a partitioning query through Hydrant's jq engine
//      (batched in a worker) and of one jq run per record.
//   3. Object compression formats on the same JSON lines: MiB/s of input and output ratio.
//   4. The Lambda runtime: records/s through a trivial handler in worker threads.
//   npm run build && node bench/transform.mjs [--seconds 2] [--short]
import { createRequire } from 'node:module';
import { gunzip, gunzipSync, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { renderTable } from './lib/table.mjs';
import { JqEngine } from '../dist/src/delivery/transform/jq/jq-engine.js';
import { LambdaRuntime } from '../dist/src/delivery/transform/lambda/lambda-runtime.js';
import { closeCodecWorkers, compress } from '../dist/sinks/s3/compress.js';
import jqWeb from 'jq-web';

const require = createRequire(import.meta.url);
const short = process.argv.includes('--short');
const argAt = process.argv.indexOf('--seconds');
const SECONDS = argAt >= 0 ? Number(process.argv[argAt + 1]) : short ? 0.5 : 2;
const MiB = 1024 * 1024;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Runs `fn` repeatedly for SECONDS; returns iterations per second. */
async function rate(fn) {
  await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

// --- 1. decompression -------------------------------------------------------------------------
function cwlPayload(events) {
  return JSON.stringify({
    messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/aws/lambda/checkout', logStream: '2026/12/02/[$LATEST]8f4e0b2c',
    subscriptionFilters: ['to-firehose'],
    logEvents: Array.from({ length: events }, (_, i) => ({
      id: String(37_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)), timestamp: 1_764_660_000_000 + i,
      message: `2026-12-02T07:18:46.${String(i % 1000).padStart(3, '0')}Z ${i % 5 ? 'INFO' : 'WARN'} request ${i} path=/api/v1/items/${i * 7} user=u${i % 113} took ${(i * 37) % 500} ms`,
    })),
  });
}
const payloads = Array.from({ length: 500 }, (_, i) => gzipSync(Buffer.from(cwlPayload(1 + (i % 60)))));
const outBytes = payloads.reduce((n, p) => n + gunzipSync(p).length, 0);
const ZlibSync = require('zlib-sync');
const zlibSyncGunzip = (p) => {
  const inflate = new ZlibSync.Inflate({ windowBits: 31 });
  inflate.push(p, ZlibSync.Z_SYNC_FLUSH);
  if (inflate.err < 0) throw new Error(inflate.msg);
  return inflate.result;
};
const gunzipAsync = promisify(gunzip);
const decompressRows = [];
for (const [name, run] of [
  ['node:zlib gunzipSync', async () => { for (const p of payloads) gunzipSync(p); }],
  ['zlib-sync Inflate', async () => { for (const p of payloads) zlibSyncGunzip(p); }],
  ['node:zlib gunzip (thread pool)', async () => { await Promise.all(payloads.map((p) => gunzipAsync(p))); }],
]) {
  const perSec = await rate(run);
  decompressRows.push([name, fmt(perSec * payloads.length), fmt((perSec * outBytes) / MiB, 1)]);
}
console.log(`\nGZIP decompression of CloudWatch Logs records (${payloads.length} records, 1–60 events each, ${fmt(outBytes / payloads.length)} B decompressed on average)\n`);
console.log(renderTable(['decoder', 'records/s', 'MiB/s out'], decompressRows));

// --- 2. jq ------------------------------------------------------------------------------------
const QUERY = '{customer_id: .customer_id, year: .ts | strftime("%Y"), month: .ts | strftime("%m")}';
const docs = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ customer_id: `c${i % 250}`, ts: 1_764_660_000 + i * 60, path: `/api/v1/items/${i}`, status: 200 + (i % 3) }));
const engine = new JqEngine({ maxWorkers: 1 });
const batchPerSec = await rate(() => engine.evaluate(QUERY, docs));
await engine.close();
const jq = await jqWeb;
const single = 300;
const singlePerSec = await rate(async () => { for (let i = 0; i < single; i++) jq.raw(docs[i], QUERY, ['-c']); });
console.log(`\njq (jq-web, jq 1.7 in WebAssembly): ${QUERY}\n`);
console.log(renderTable(['mode', 'records/s', 'µs/record'], [
  ['Hydrant jq engine (20,000 records per call, worker thread)', fmt(batchPerSec * docs.length), fmt(1e6 / (batchPerSec * docs.length), 1)],
  ['one jq run per record (main thread)', fmt(singlePerSec * single), fmt(1e6 / (singlePerSec * single), 1)],
]));

// --- 3. compression formats ---------------------------------------------------------------------
const lines = [];
let size = 0;
for (let i = 0; size < (short ? 4 : 16) * MiB; i++) {
  const line = Buffer.from(`${JSON.stringify({ i, user: `u${i % 997}`, path: `/api/v1/items/${i % 5000}`, ua: 'Mozilla/5.0 (X11; Linux x86_64)', ms: (i * 37) % 900, id: `${(i * 2654435761) >>> 0}` })}\n`);
  lines.push(line);
  size += line.length;
}
const compressRows = [];
for (const format of ['GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY', 'ZSTD']) {
  let outSize = 0;
  const perSec = await rate(async () => { outSize = Buffer.concat(await compress(format, lines)).length; });
  compressRows.push([format, fmt((perSec * size) / MiB, 1), `${fmt((100 * outSize) / size, 1)} %`]);
}
await closeCodecWorkers();
console.log(`\nObject compression of ${fmt(size / MiB, 1)} MiB of JSON lines (GZIP on the libuv pool, the others in codec workers)\n`);
console.log(renderTable(['format', 'MiB/s in', 'output/input'], compressRows));

// --- 4. Lambda runtime --------------------------------------------------------------------------
const runtime = new LambdaRuntime({ region: 'us-east-1', accountId: '000000000000', functionsDir: join(import.meta.dirname, '..', 'test', 'fixtures', 'functions') });
const records = Array.from({ length: 1000 }, (_, i) => ({ recordId: `r${i}`, approximateArrivalTimestamp: 1, data: Buffer.from(docs[i]).toString('base64') }));
const event = { invocationId: 'x', deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/b', region: 'us-east-1', records };
const invokesPerSec = await rate(async () => {
  const out = await runtime.invoke('upper', event, { key: 'bench' });
  if (!out.ok) throw new Error(out.errorMessage);
});
await runtime.close();
console.log('\nLambda runtime (worker thread, async handler that uppercases each record; 1,000 records of ~100 B per invocation)\n');
console.log(renderTable(['', 'invocations/s', 'records/s'], [['upper', fmt(invokesPerSec, 1), fmt(invokesPerSec * records.length)]]));
