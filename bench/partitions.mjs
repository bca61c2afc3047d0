// Dynamic partitioning benchmark (imports the compiled code from dist/): 1 KiB records spread
// evenly over N partitions go through the S3 destination, and the objects it writes are counted
// (an in-memory store: this measures object count and size, not S3). 1 MiB source batches are
// routed into one buffer per partition, written when a buffer is full, when the memory cap
// (`transforms.partitionBufferMiB`, one run per `--cap`) is exceeded, or at the end (drain).
//   npm run build && node bench/partitions.mjs [--mib 512] [--partitions 500] [--cap 256,1024]
import { renderTable } from './lib/table.mjs';
import { S3Destination } from '../dist/src/delivery/destinations/s3.js';
import { resolveS3Destination } from '../dist/src/delivery/destinations/s3-config.js';
import { Metrics } from '../dist/src/observability/metrics.js';

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : dflt;
};
const TOTAL_MIB = Number(arg('--mib', 512));
const PARTS = Number(arg('--partitions', 500));
const CAPS = String(arg('--cap', '256,1024')).split(',').map(Number);
const REC = 1024;
const MiB = 1024 * 1024;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function run(capMiB) {
  const cfg = {
    RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::b', Prefix: 'd/c=!{partitionKeyFromQuery:c}/', ErrorOutputPrefix: 'e/',
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 }, DynamicPartitioningConfiguration: { Enabled: true },
  };
  const sizes = [];
  const store = { description: 'memory', put: async (o) => { sizes.push(o.body.reduce((n, b) => n + b.length, 0)); }, close() {} };
  const d = new S3Destination({
    streamName: 's', current: () => ({ config: resolveS3Destination(cfg), version: 1 }), store, metrics: new Metrics({ defaultMetrics: false }),
    partitionBufferBytes: capMiB * MiB,
  });
  const batchBytes = d.limits().maxBytes;
  const perBatch = batchBytes / REC;
  const t0 = Date.now();
  const receipts = [];
  let n = 0;
  let peakRss = 0;
  for (let b = 0; b < (TOTAL_MIB * MiB) / batchBytes; b++) {
    const records = [];
    const keys = [];
    for (let i = 0; i < perBatch; i++, n++) {
      records.push({ position: n, arrivedAt: t0, partitionKey: '', data: Buffer.alloc(REC, 97) });
      keys.push({ query: { c: `p${n % PARTS}` } });
    }
    const plan = d.plan({ id: `batch-${b}`, ranges: [{ shardId: 's', first: b, last: b }], records, oldestArrival: t0, bytes: batchBytes });
    const encoded = await d.encode(plan, records, { transformed: { sources: records, origin: records.map((_r, i) => i), partitionKeys: keys } });
    const receipt = await d.deliver(plan, encoded, new AbortController().signal);
    if (receipt) receipts.push(receipt.durable);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  await d.flush();
  await Promise.all(receipts);
  await d.close();
  const total = sizes.reduce((a, b) => a + b, 0);
  return [`buffers, cap ${capMiB} MiB`, fmt(sizes.length), fmt(total / sizes.length / 1024), fmt(Math.max(...sizes) / 1024), fmt(peakRss / MiB), fmt(Date.now() - t0)];
}

const rows = [];
for (const cap of CAPS) rows.push(await run(cap));
console.log(`${TOTAL_MIB} MiB of 1 KiB records over ${PARTS} partitions, BufferingHints 64 MiB / 900 s`);
console.log(renderTable(['mode', 'objects', 'avg KiB', 'max KiB', 'peak RSS MiB', 'ms'], rows));
