// Sink benchmark: each built-in sink's `send` (request building, the wire call, response
// classification) against a minimal local server of its protocol, and in the same run the floor:
// the same server sent a pre-built body of the same size over a raw keep-alive node:http agent
// (no per-record work). Prints records/s, MiB/s of record data, and per-attempt p50/p99.
//   npm run bench:sinks [-- --seconds 5 --batch 500 --size 1024 --senders 4]
// Imports the compiled sinks from dist/. Client and servers share this process (and the cores).
import { randomBytes } from 'node:crypto';
import { createServer, request, Agent } from 'node:http';
import { createHttpEndpointSink, buildHttpEndpointRequest, resolveHttpEndpointConfig } from '../dist/sinks/http-endpoint/index.js';
import { createOpenSearchSink, buildBulkRequest, resolveOpenSearchConfig } from '../dist/sinks/opensearch/index.js';
import { createSplunkSink, buildHecRequest, resolveSplunkConfig } from '../dist/sinks/splunk/index.js';
import { percentile, formatInt, formatFixed } from './lib/stats.mjs';
import { renderTable } from './lib/table.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', process.argv.includes('--short') ? 2 : 5);
const BATCH = arg('batch', 500);
const SIZE = arg('size', 1024);
const SENDERS = arg('senders', 4);
const S3 = { RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::backup' };
const ctx = { deliveryStreamName: 'bench', deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/bench' };

function records(batch) {
  // Hex padding: JSON as logs look (gzip takes it to about half), not a run of one byte.
  return Array.from({ length: BATCH }, (_, i) => {
    const pad = randomBytes(Math.max(0, Math.floor((SIZE - 40) / 2))).toString('hex');
    return { recordId: `${batch}.${i}`, data: Buffer.from(`{"i":${i},"b":${batch},"pad":"${pad}"}\n`), arrivedAt: Date.now() };
  });
}

/** A server that reads the body and answers with `reply(req, body)`. */
function serve(reply) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { status, body, type } = reply(req, Buffer.concat(chunks));
      res.writeHead(status, { 'content-type': type ?? 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

async function drive(label, attempt, bytesPerBatch) {
  const latencies = [];
  let batches = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let n = 0;
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await attempt(n++);
      latencies.push(performance.now() - t0);
      batches++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { label, recordsPerSec: (batches * BATCH) / seconds, mibPerSec: (batches * bytesPerBatch) / 1024 / 1024 / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
function rawPost(url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': body.length, ...headers } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const check = (out) => {
  const all = Array.isArray(out) ? out : [out];
  if (!all.every((o) => o.status === 'delivered')) throw new Error(`not delivered: ${JSON.stringify(all.find((o) => o.status !== 'delivered'))}`);
};
const recordBytes = records(0).reduce((n, r) => n + r.data.length, 0);
const rows = [];

// HTTP endpoint (with and without gzip)
{
  const { server, url } = await serve((req) => ({ status: 200, body: `{"requestId":"${req.headers['x-amz-firehose-request-id']}","timestamp":${Date.now()}}` }));
  for (const gzip of [false, true]) {
    const cfg = { EndpointConfiguration: { Url: url, AccessKey: 'k' }, RequestConfiguration: { ContentEncoding: gzip ? 'GZIP' : 'NONE' }, S3Configuration: S3 };
    const sink = createHttpEndpointSink(cfg, ctx);
    const batch = records(0);
    rows.push(await drive(`http-endpoint${gzip ? ' gzip' : ''}`, async (i) => check(await sink.send({ batchId: `b${i}`, attempt: 1, records: batch, signal: new AbortController().signal })), recordBytes));
    await sink.close();
    const req = await buildHttpEndpointRequest(resolveHttpEndpointConfig(cfg), 'b', batch, { timestamp: Date.now(), sourceArn: ctx.deliveryStreamArn });
    rows.push(await drive(`  floor (same ${gzip ? 'gzip ' : ''}body, pre-built)`, () => rawPost(url, req.body, req.headers), recordBytes));
  }
  server.close();
}

// OpenSearch _bulk
{
  const { server, url } = await serve((_req, body) => {
    let lines = 0;
    for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) lines++;
    const items = Array.from({ length: lines / 2 }, () => '{"index":{"status":201,"result":"created"}}').join(',');
    return { status: 200, body: `{"took":1,"errors":false,"items":[${items}]}` };
  });
  const cfg = { ClusterEndpoint: url, IndexName: 'bench', S3Configuration: S3 };
  const sink = createOpenSearchSink(cfg, ctx);
  const batch = records(0);
  rows.push(await drive('opensearch _bulk', async (i) => check(await sink.send({ batchId: `b${i}`, attempt: 1, records: batch, signal: new AbortController().signal })), recordBytes));
  await sink.close();
  const bulk = buildBulkRequest(resolveOpenSearchConfig(cfg), batch);
  rows.push(await drive('  floor (same NDJSON, pre-built)', () => rawPost(`${url}/_bulk`, bulk.body, { 'content-type': 'application/x-ndjson' }), recordBytes));
  server.close();
}

// Splunk HEC raw, with indexer acks granted on the first poll
{
  let ackId = 0;
  const { server, url } = await serve((req, body) => {
    if (req.url.startsWith('/services/collector/ack')) {
      const acks = Object.fromEntries(JSON.parse(body.toString()).acks.map((id) => [id, true]));
      return { status: 200, body: JSON.stringify({ acks }) };
    }
    return { status: 200, body: `{"text":"Success","code":0,"ackId":${ackId++}}` };
  });
  const cfg = { HECEndpoint: url, HECEndpointType: 'Raw', HECToken: 't', S3Configuration: S3 };
  const sink = createSplunkSink(cfg, ctx, { ackPollIntervalMs: 10 });
  const batch = records(0);
  rows.push(await drive('splunk raw + acks (10 ms poll)', async (i) => check(await sink.send({ batchId: `b${i}`, attempt: 1, records: batch, signal: new AbortController().signal })), recordBytes));
  await sink.close();
  const hec = buildHecRequest(resolveSplunkConfig(cfg), batch, '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba');
  rows.push(await drive('  floor (same body, no ack wait)', () => rawPost(hec.url, hec.body, { authorization: 'Splunk t' }), recordBytes));
  server.close();
}
agent.destroy();

console.log(`${BATCH} records of ~${SIZE} B per attempt, ${SENDERS} concurrent senders, ${SECONDS} s each\n`);
console.log(renderTable(['sink', 'records/s', 'MiB/s', 'p50 ms', 'p99 ms'],
  rows.map((r) => [r.label, formatInt(r.recordsPerSec), formatFixed(r.mibPerSec), formatFixed(r.p50), formatFixed(r.p99)])));
