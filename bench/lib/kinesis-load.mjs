// The Kinesis workload of bench/kinesis.mjs, the same for every target: one AWS SDK v3 client
// over HTTP/1.1 keep-alive (kinesalite speaks nothing else), PutRecords of 500 records from C
// concurrent callers for a while, then every shard read back from TRIM_HORIZON with GetRecords.
//
// Verification: every record carries a unique number and its payload's pool index in its
// partition key (`<n>.<index>`); its data is a pool entry. Reading back checks each record's
// bytes against the pool, that every acknowledged number comes back exactly once and nothing
// else does, and compares the CRC32C sums of the data written and read.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { crc32c } from '@node-rs/crc32';
import { percentile } from './stats.mjs';

export const STREAM_NAME = 'bench';
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client as an HTTP/1.1 user makes it: keep-alive, `maxSockets` ≈ concurrency, no retries (errors are counted). */
export function kinesisClient(endpoint, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: agent, requestTimeout: 120_000 }),
  });
  return { client, close: () => { client.destroy(); agent.destroy(); } };
}

/** Create the stream and wait until it is ACTIVE; its shard ids. */
export async function createStream(client, shards, timeoutMs = 30_000) {
  await client.send(new CreateStreamCommand({ StreamName: STREAM_NAME, ShardCount: shards }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM_NAME }));
    const status = summary.StreamDescriptionSummary?.StreamStatus;
    if (status === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`stream ${STREAM_NAME} still ${status} after ${timeoutMs} ms`);
    await sleep(50);
  }
  const listed = await client.send(new ListShardsCommand({ StreamName: STREAM_NAME }));
  return listed.Shards.map((s) => s.ShardId);
}

/** `count` distinct random payloads of `size` bytes, with their CRC32C. */
export function buildPool(size, count) {
  const data = [];
  const crcs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    data.push(randomBytes(size));
    crcs[i] = crc32c(data[i]);
  }
  return { size, data, crcs };
}

/** What was acknowledged and what came back; numbers index a growable state array. */
export class Ledger {
  constructor(pool) {
    this.pool = pool;
    this.state = new Uint8Array(1 << 20); // 0 never acknowledged, 1 acknowledged, 2 read back
    this.next = 0;
    this.written = 0;
    this.writtenCrc = 0;
    this.read = 0;
    this.readCrc = 0;
    this.problems = [];
    this.perShard = new Map();
  }

  take() {
    const n = this.next++;
    if (n >= this.state.length) {
      const grown = new Uint8Array(this.state.length * 2);
      grown.set(this.state);
      this.state = grown;
    }
    return n;
  }

  acknowledged(n, index, shardId) {
    this.state[n] = 1;
    this.written++;
    this.writtenCrc = (this.writtenCrc + this.pool.crcs[index]) % 2 ** 48;
    this.perShard.set(shardId, (this.perShard.get(shardId) ?? 0) + 1);
  }

  problem(text) {
    if (this.problems.length < 5) this.problems.push(text);
  }

  /** Check one record read back; its bytes are compared with the pool entry its key names. */
  readBack(partitionKey, data) {
    const dot = partitionKey.indexOf('.');
    const n = Number(partitionKey.slice(0, dot));
    const index = Number(partitionKey.slice(dot + 1));
    const expected = this.pool.data[index];
    if (dot < 0 || !Number.isInteger(n) || expected === undefined) {
      this.problem(`unexpected partition key ${partitionKey}`);
      return;
    }
    if (this.state[n] !== 1) this.problem(this.state[n] === 2 ? `record ${n} returned twice` : `record ${n} was never acknowledged`);
    else this.state[n] = 2;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (!bytes.equals(expected)) this.problem(`record ${n}: data differs from what was written`);
    this.read++;
    this.readCrc = (this.readCrc + crc32c(bytes)) % 2 ** 48;
  }

  verify() {
    let missing = 0;
    for (let n = 0; n < this.next; n++) if (this.state[n] === 1) missing++;
    if (missing > 0) this.problem(`${missing} acknowledged records were not read back`);
    if (this.read !== this.written) this.problem(`wrote ${this.written} records, read ${this.read}`);
    if (this.readCrc !== this.writtenCrc) this.problem(`checksum written ${this.writtenCrc.toString(16)} != read ${this.readCrc.toString(16)}`);
    return { ok: this.problems.length === 0, problems: this.problems, checksum: this.writtenCrc.toString(16).padStart(12, '0') };
  }
}

/**
 * C callers, each with one PutRecords of `recordsPerRequest` records in flight, until the
 * deadline. Latency is per call; throughput counts acknowledged records only.
 */
export async function putLoad({ client, ledger, concurrency, durationMs, recordsPerRequest }) {
  const { pool } = ledger;
  const result = { calls: 0, errors: 0, records: 0, failedRecords: 0, bytes: 0, latenciesMs: [], firstError: undefined, elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  let cursor = 0;

  async function caller() {
    while (performance.now() < deadline) {
      const numbers = new Array(recordsPerRequest);
      const indexes = new Array(recordsPerRequest);
      const records = new Array(recordsPerRequest);
      for (let i = 0; i < recordsPerRequest; i++) {
        const n = ledger.take();
        const index = cursor++ % pool.data.length;
        numbers[i] = n;
        indexes[i] = index;
        records[i] = { PartitionKey: `${n}.${index}`, Data: pool.data[index] };
      }
      const t0 = performance.now();
      let out;
      try {
        out = await client.send(new PutRecordsCommand({ StreamName: STREAM_NAME, Records: records }));
      } catch (error) {
        result.errors++;
        result.firstError ??= `${error.name}: ${error.message}`;
        await sleep(10);
        continue;
      }
      result.latenciesMs.push(performance.now() - t0);
      result.calls++;
      if (out.Records?.length !== recordsPerRequest) {
        result.errors++;
        result.firstError ??= `PutRecords answered ${out.Records?.length} results for ${recordsPerRequest} records`;
        continue;
      }
      for (let i = 0; i < recordsPerRequest; i++) {
        const r = out.Records[i];
        if (r.SequenceNumber === undefined) {
          result.failedRecords++;
          result.firstError ??= `record failed: ${r.ErrorCode}: ${r.ErrorMessage}`;
          continue;
        }
        ledger.acknowledged(numbers[i], indexes[i], r.ShardId);
        result.records++;
        result.bytes += pool.size;
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, caller));
  result.elapsedMs = performance.now() - started;
  return result;
}

/**
 * Read every shard from TRIM_HORIZON, one iterator loop per shard (all shards in parallel),
 * `limit` records per GetRecords, until the shard gave back what was acknowledged for it (or
 * answered an empty page, which verification then reports).
 */
export async function getLoad({ client, ledger, shardIds, limit }) {
  const result = { calls: 0, errors: 0, records: 0, bytes: 0, latenciesMs: [], firstError: undefined, elapsedMs: 0 };
  const started = performance.now();

  async function readShard(shardId) {
    const expected = ledger.perShard.get(shardId) ?? 0;
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: STREAM_NAME, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    let got = 0;
    while (got < expected && iterator) {
      const t0 = performance.now();
      let page;
      try {
        page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      } catch (error) {
        result.errors++;
        result.firstError ??= `${error.name}: ${error.message}`;
        return;
      }
      result.latenciesMs.push(performance.now() - t0);
      result.calls++;
      if (page.Records.length === 0) return;
      for (const r of page.Records) {
        ledger.readBack(r.PartitionKey, r.Data);
        result.bytes += r.Data.byteLength;
      }
      got += page.Records.length;
      result.records += page.Records.length;
      iterator = page.NextShardIterator;
    }
  }

  await Promise.all(shardIds.map(readShard));
  result.elapsedMs = performance.now() - started;
  return result;
}

export function summarize(result) {
  const seconds = result.elapsedMs / 1000;
  const latencies = Float64Array.from(result.latenciesMs).sort();
  return {
    recordsPerSec: result.records / seconds,
    mibPerSec: result.bytes / MiB / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    calls: result.calls,
    errors: result.errors,
    failedRecords: result.failedRecords ?? 0,
    records: result.records,
    seconds,
    firstError: result.firstError,
  };
}
