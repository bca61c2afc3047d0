#!/usr/bin/env node
// Micro-benchmark of the hot path: Firehose PutRecordBatch with 500 records of 1 KiB.
// Compares firehoseModel.parse (type checks + strict base64 decode + constraints) against the
// physical floor of the same work: JSON.parse + plain Buffer.from(base64) per record.
// Needs a build first: `npx tsc -p tsconfig.json && node scripts/bench-validate.mjs [iterations]`
// (HYDRANT_DIST=<outDir> to use another build directory).
import { randomBytes } from 'node:crypto';
const dist = process.env.HYDRANT_DIST ?? new URL('../dist', import.meta.url).pathname;
const { firehoseModel } = await import(`${dist}/src/ingest/protocol/index.js`);

const RECORDS = 500, SIZE = 1024, ITER = Number(process.argv[2] ?? 2000);
const body = JSON.stringify({
  DeliveryStreamName: 'bench-stream',
  Records: Array.from({ length: RECORDS }, () => ({ Data: randomBytes(SIZE).toString('base64') })),
});

function floor() {
  const o = JSON.parse(body);
  let n = 0;
  for (const r of o.Records) n += Buffer.from(r.Data, 'base64').length;
  return n;
}
function parse() {
  const o = firehoseModel.parse('PutRecordBatch', JSON.parse(body));
  let n = 0;
  for (const r of o.Records) n += r.Data.length;
  return n;
}
function jsonOnly() {
  return JSON.parse(body).Records.length;
}

function round(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

// Interleave the variants in rounds and report medians: allocation/GC noise hits all alike.
const variants = [['JSON.parse only', jsonOnly], ['JSON.parse + Buffer.from(base64) (floor)', floor], ['JSON.parse + firehoseModel.parse', parse]];
for (const [, fn] of variants) round(fn, 200); // warm up
const samples = variants.map(() => []);
const ROUNDS = 10;
for (let r = 0; r < ROUNDS; r++) variants.forEach(([, fn], i) => samples[i].push(round(fn, Math.ceil(ITER / ROUNDS))));
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`PutRecordBatch: ${RECORDS} records x ${SIZE} B, body ${(body.length / 1024).toFixed(0)} KiB, ${ITER} iterations`);
const [j, f, p] = samples.map(median);
variants.forEach(([label], i) => {
  const us = median(samples[i]);
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/batch  ${(RECORDS * SIZE / us / 1.048576).toFixed(0).padStart(6)} MiB/s (decoded)`);
});
console.log(`validation overhead vs floor: ${(p - f).toFixed(1)} µs/batch = ${((p - f) * 1000 / RECORDS).toFixed(0)} ns/record ` +
  `(${((p - f) / (f - j) * 100).toFixed(0)}% of the plain base64 decode cost)`);
