// Sequence number and shard iterator micro-benchmark: ns per call of what GetRecords does per
// record (render a sequence number) and per call (decode one iterator, encode the next).
//   npx tsc -p tsconfig.json && node bench/sequence.mjs [--n 2000000]
// Imports the compiled modules from dist/.
import { randomBytes } from 'node:crypto';
import { decodeSequenceNumber, recordSequenceNumber } from '../dist/src/stream/sequence.js';
import { IteratorCodec } from '../dist/src/stream/iterator.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 2_000_000);
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const shard = { index: 3, createdAt: T0 };

/** Runs `fn(i)` n times after a warm-up; returns ns per call. `sink` keeps results alive. */
let sink = 0;
function measure(n, fn) {
  for (let i = 0; i < Math.min(n, 100_000); i++) sink += fn(i).length;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn(i).length;
  return Number(process.hrtime.bigint() - t) / n;
}

const rows = [];
// A GetRecords batch: consecutive positions, arrival times a few ms apart (one new second per ~250 records).
rows.push(['recordSequenceNumber, batch pattern', measure(N, (i) => recordSequenceNumber(shard, 1_000_000 + i, T0 + i * 4))]);
// Worst case: every call in a different second than the last, so the per-second cache never hits.
rows.push(['recordSequenceNumber, new second each call', measure(N / 4, (i) => recordSequenceNumber(shard, i, T0 + i * 1000))]);
// Large positions (counter near 2^53).
rows.push(['recordSequenceNumber, position ~2^52', measure(N, (i) => recordSequenceNumber(shard, 2 ** 52 + i, T0))]);

const seqs = Array.from({ length: 1024 }, (_, i) => recordSequenceNumber(shard, i * 7919, T0 + i * 1000));
rows.push(['decodeSequenceNumber', measure(N / 4, (i) => { sink += decodeSequenceNumber(seqs[i & 1023]).shardIndex; return ''; })]);

const codec = new IteratorCodec(randomBytes(32));
const state = { streamName: 'orders-stream', streamCreatedAt: T0, shardId: 'shardId-000000000003', position: 123_456, issuedAt: T0 };
rows.push(['IteratorCodec.encode', measure(N / 20, (i) => codec.encode({ ...state, position: i }))]);
const tokens = Array.from({ length: 1024 }, (_, i) => codec.encode({ ...state, position: i }));
rows.push(['IteratorCodec.decode', measure(N / 20, (i) => codec.decode(tokens[i & 1023]).shardId)]);

for (const [name, ns] of rows) console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns/op`);
const batch = rows[0][1];
console.log(`=> ${((batch * 10_000) / 1e6).toFixed(2)} ms of sequence numbers per 10,000-record GetRecords (sink ${sink % 10})`);
