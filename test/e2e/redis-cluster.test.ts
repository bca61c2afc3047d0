import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { firehoseClient, kinesisClient, waitFor } from '../helpers/hydrant.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { countIds, startCluster, type TestCluster } from '../helpers/cluster.js';
import { deletePrefix, REDIS_URL, testBackend } from '../helpers/redis.js';
import { makeRecord } from '../helpers/records.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { Queue } from 'bullmq';

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const KEYS = 8;

/** Create the Direct PUT delivery stream `clicks` and the Kinesis stream `orders` (4 shards) read by the delivery stream `orders-lake`; wait until every node sees all three. */
async function createStreams(cluster: TestCluster, bucket: string): Promise<void> {
  const fh = firehoseClient(cluster.nodes[0]!.endpoint);
  const ks = kinesisClient(cluster.nodes[1]!.endpoint, { maxAttempts: 3 });
  await fh.send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: 'clicks',
    ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${bucket}`, Prefix: 'clicks/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
  }));
  // Usable through another node as soon as the create returned.
  const other = firehoseClient(cluster.nodes[2]!.endpoint);
  const described = await other.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'clicks' }));
  expect(described.DeliveryStreamDescription?.DeliveryStreamARN).toMatch(/deliverystream\/clicks$/);
  other.destroy();
  await ks.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 4 }));
  const otherKs = kinesisClient(cluster.nodes[0]!.endpoint);
  const summary = await otherKs.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
  expect(summary.StreamDescriptionSummary?.StreamName).toBe('orders');
  otherKs.destroy();
  const arn = await waitFor(async () => {
    const d = await ks.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? d.StreamDescriptionSummary.StreamARN : undefined;
  }, 20_000, 100);
  // Created on node 1; node 2 (asked below) reads the shared catalog when it does not know the source yet.
  await firehoseClient(cluster.nodes[2]!.endpoint).send(new CreateDeliveryStreamCommand({
    DeliveryStreamName: 'orders-lake',
    DeliveryStreamType: 'KinesisStreamAsSource',
    KinesisStreamSourceConfiguration: { KinesisStreamARN: arn, RoleARN: ROLE },
    ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${bucket}`, Prefix: 'orders/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
  }));
  for (const node of cluster.nodes) {
    const f = firehoseClient(node!.endpoint);
    const k = kinesisClient(node!.endpoint, { maxAttempts: 3 });
    await waitFor(async () => {
      const [a, b] = await Promise.all(['clicks', 'orders-lake'].map((n) => f.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: n })).then(
        (d) => d.DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE', () => false)));
      const s = await k.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' })).then((d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE', () => false);
      return a && b && s;
    }, 20_000, 100);
    f.destroy();
    k.destroy();
  }
  fh.destroy();
  ks.destroy();
}

/**
 * Producers through every node: Firehose batches spread round-robin, and per partition key a
 * Kinesis producer that sends its records in order (the next only after the last was
 * acknowledged), each through the next node. A failed call is retried through the next node;
 * only acknowledged records count.
 */
class Producers {
  readonly firehoseAcked = new Set<number>();
  readonly kinesisAcked = new Set<number>();
  /** Per key, ids in the order they were acknowledged. */
  readonly keyOrder = new Map<string, number[]>();
  readonly errors: string[] = [];
  /** Kinesis records sent again after a call that was not acknowledged (they may be stored twice, as with AWS). */
  readonly resent = new Set<number>();
  private nextId = 1;
  private running = true;
  private loops: Promise<void>[] = [];

  constructor(private readonly endpoints: () => string[]) {}

  start(firehoseLoops = 3): void {
    for (let p = 0; p < firehoseLoops; p++) this.loops.push(this.firehoseLoop(p));
    for (let k = 0; k < KEYS; k++) this.loops.push(this.kinesisLoop(`key-${k}`, k));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private clients = new Map<string, { fh: FirehoseClient; ks: KinesisClient }>();
  private client(i: number) {
    const eps = this.endpoints();
    const ep = eps[i % eps.length];
    let c = this.clients.get(ep);
    if (!c) this.clients.set(ep, (c = { fh: firehoseClient(ep, undefined, { maxAttempts: 1 }), ks: kinesisClient(ep, { maxAttempts: 1 }) }));
    return c;
  }

  destroy(): void {
    for (const c of this.clients.values()) {
      c.fh.destroy();
      c.ks.destroy();
    }
  }

  private async firehoseLoop(p: number): Promise<void> {
    for (let round = p; this.running; round++) {
      const ids = Array.from({ length: 50 }, () => this.nextId++);
      try {
        const out = await this.client(round).fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: ids.map((id) => ({ Data: makeRecord(id, 50 + (id % 300)) })) }));
        out.RequestResponses?.forEach((r, i) => { if (!r.ErrorCode) this.firehoseAcked.add(ids[i]); });
      } catch (err) {
        this.errors.push((err as Error).name);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async kinesisLoop(key: string, k: number): Promise<void> {
    const order: number[] = [];
    this.keyOrder.set(key, order);
    let id = this.nextId++;
    for (let round = k; this.running; round++) {
      try {
        const out = await this.client(round).ks.send(new PutRecordsCommand({ StreamName: 'orders', Records: [{ PartitionKey: key, Data: makeRecord(id, 40) }] }));
        if (out.Records?.[0]?.SequenceNumber) {
          this.kinesisAcked.add(id);
          order.push(id);
          id = this.nextId++;
        } else {
          this.errors.push(out.Records?.[0]?.ErrorCode ?? 'unknown');
        }
      } catch (err) {
        // Unacknowledged: it may or may not be stored, so the same record (same id) is sent again.
        this.errors.push((err as Error).name);
        this.resent.add(id);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** Owners of the shard leases of every delivery stream of the deployment (live grants only). */
async function leaseOwners(prefix: string): Promise<Map<string, string[]>> {
  const backend = await testBackend({ keyPrefix: prefix });
  try {
    const defs = await backend.client.hgetall(backend.keys.catalog('delivery-streams'));
    const out = new Map<string, string[]>();
    for (const [name, json] of Object.entries(defs)) {
      const { incarnation } = JSON.parse(json) as { incarnation: string };
      const snapshot = await backend.leaseStore(`delivery/${incarnation}`).snapshot();
      out.set(name, snapshot.map((l) => l.owner ?? 'free'));
    }
    return out;
  } finally {
    await backend.close();
  }
}

/** Every lease held, no owner above `max` leases of one delivery stream, and (if given) exactly `owners` owners. */
function balanced(byStream: Map<string, string[]>, max: number, owners?: number): boolean {
  const all = [...byStream.values()].flat();
  if (all.length === 0 || all.includes('free')) return false;
  for (const list of byStream.values()) {
    const n = new Map<string, number>();
    for (const o of list) n.set(o, (n.get(o) ?? 0) + 1);
    if ([...n.values()].some((c) => c > max)) return false;
  }
  return owners === undefined || new Set(all).size === owners;
}

/** A node's id in the deployment (its lease owner id), from its startup log. */
function nodeId(node: { output(): string }): string | undefined {
  return /"node":"(node-[0-9a-f-]+)"/.exec(node.output())?.[1];
}

/** Every acknowledged record of a stream is in S3 exactly once (none twice, whether acknowledged or not). */
async function expectExactlyOnce(s3: S3TestServer, bucket: string, prefix: string, acked: Set<number>, timeoutMs = 60_000, resent = new Set<number>()): Promise<void> {
  const { counts } = await waitFor(async () => {
    const c = await countIds(s3, bucket, prefix);
    for (const id of acked) if (!c.counts.has(id)) return false;
    return c;
  }, timeoutMs, 500).catch(async (err: Error) => {
    const c = await countIds(s3, bucket, prefix);
    const missing = [...acked].filter((id) => !c.counts.has(id));
    throw new Error(`${prefix}: ${missing.length} of ${acked.size} acknowledged records missing (e.g. ${missing.slice(0, 5).join(', ')}): ${err.message}`);
  });
  const twice = [...counts].filter(([id, n]) => n > 1 && !resent.has(id)).map(([id]) => id);
  if (twice.length > 0 && process.env.DEBUG_DUPES) {
    const { parseRecords } = await import('../helpers/records.js');
    for (const key of await s3.listKeys(bucket, prefix)) {
      const ids = parseRecords(await s3.getObject(bucket, key)).map((r) => r.id);
      if (ids.some((id) => twice.includes(id))) console.log('DUPE', key, ids.length, ids[0], ids[ids.length - 1], ids.filter((id) => twice.includes(id)).length);
    }
  }
  expect(twice, `${prefix} records delivered more than once`).toEqual([]);
}

/** Read every shard of `orders` through one node with GetRecords; per key, ids in the order stored (a key's records may be re-sent after an unacknowledged try). */
async function readKinesis(endpoint: string): Promise<Map<string, number[]>> {
  const ks = kinesisClient(endpoint, { maxAttempts: 3 });
  const byKey = new Map<string, number[]>();
  const { Shards } = await ks.send(new ListShardsCommand({ StreamName: 'orders' }));
  for (const shard of Shards ?? []) {
    let it = (await ks.send(new GetShardIteratorCommand({ StreamName: 'orders', ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const out = await ks.send(new GetRecordsCommand({ ShardIterator: it!, Limit: 10_000 }));
      for (const r of out.Records ?? []) {
        const list = byKey.get(r.PartitionKey!) ?? [];
        list.push(Buffer.from(r.Data!).readUInt32BE(4));
        byKey.set(r.PartitionKey!, list);
      }
      if ((out.Records ?? []).length === 0 || out.MillisBehindLatest === 0) break;
      it = out.NextShardIterator;
    }
  }
  ks.destroy();
  return byKey;
}

/** Per key, the acknowledged ids appear in acknowledgement order (unacknowledged re-sends may repeat an id in place). */
function expectKeyOrder(read: Map<string, number[]>, acked: Map<string, number[]>): void {
  for (const [key, ids] of acked) {
    const seen = [...new Set(read.get(key) ?? [])];
    const ackedSet = new Set(ids);
    expect(seen.filter((id) => ackedSet.has(id)), `order of ${key}`).toEqual(ids);
  }
}

describe('three Hydrant nodes on one Redis', () => {
  let s3: S3TestServer;
  let cluster: TestCluster | undefined;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('cluster');
    await s3.createBucket('failover');
  });
  afterAll(async () => {
    await cluster?.remove();
    if (cluster) await deletePrefix(cluster.prefix);
    await s3?.stop();
  });

  it('producers write through all three: every record lands in S3 exactly once; per-key order holds for a GetRecords consumer', async () => {
    cluster = await startCluster({ redisUrl: REDIS_URL, s3, size: 3 });
    await createStreams(cluster, 'cluster');
    const producers = new Producers(() => cluster!.nodes.filter((n) => n !== undefined).map((n) => n.endpoint));
    producers.start();
    await new Promise((r) => setTimeout(r, 6_000));
    // The 8 shards (4 Direct PUT, 4 of the Kinesis source) are shared out: per delivery stream,
    // no node holds more than ceil(4 / 3) = 2.
    await waitFor(async () => balanced(await leaseOwners(cluster!.prefix), 2), 20_000, 200);
    await producers.stop();
    producers.destroy();
    expect(producers.firehoseAcked.size).toBeGreaterThan(500);
    expect(producers.kinesisAcked.size).toBeGreaterThan(100);

    await expectExactlyOnce(s3, 'cluster', 'clicks/', producers.firehoseAcked);
    await expectExactlyOnce(s3, 'cluster', 'orders/', producers.kinesisAcked, 60_000, producers.resent);
    expectKeyOrder(await readKinesis(cluster.nodes[2]!.endpoint), producers.keyOrder);

    // Every object is a BullMQ delivery job that ran to completion (the job carries the batch
    // identity; its worker re-read the ranges), none failed.
    const objects = (await s3.listKeys('cluster', 'clicks/')).length;
    const queue = new Queue('delivery-clicks', { connection: { url: REDIS_URL }, prefix: `{${cluster.prefix}:jobs}` });
    const counts = await queue.getJobCounts('completed', 'failed');
    const sample = (await queue.getJobs(['completed'], 0, 0))[0];
    await queue.close();
    expect(counts.completed).toBeGreaterThanOrEqual(objects);
    expect(counts.failed).toBe(0);
    expect(Object.keys(sample.data).sort()).toEqual(['batchId', 'deliveryStream', 'incarnation', 'ranges']);

    await cluster.stop();
    await deletePrefix(cluster.prefix);
    cluster = undefined;
  }, 180_000);

  it('three nodes started at once with the same config file: the configured stream is created once and delivers from every node', async () => {
    cluster = await startCluster({
      redisUrl: REDIS_URL, s3, size: 3,
      config: {
        deliveryStreams: [{
          DeliveryStreamName: 'configured',
          ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::cluster', Prefix: 'configured/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
        }],
      },
    });
    const acked = new Set<number>();
    for (const [i, node] of cluster.nodes.entries()) {
      const fh = firehoseClient(node!.endpoint);
      const ids = Array.from({ length: 100 }, (_, k) => 1_000_000 + i * 1000 + k);
      const out = await fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'configured', Records: ids.map((id) => ({ Data: makeRecord(id, 64) })) }));
      expect(out.FailedPutCount).toBe(0);
      for (const id of ids) acked.add(id);
      fh.destroy();
    }
    await expectExactlyOnce(s3, 'cluster', 'configured/', acked);
    await cluster.stop();
    await deletePrefix(cluster.prefix);
    cluster = undefined;
  }, 120_000);

  it('SIGKILL of one node under load: another takes its shards within the lease timeout; nothing acknowledged lost, no duplicates', async () => {
    const leaseTtlMs = 3_000;
    cluster = await startCluster({ redisUrl: REDIS_URL, s3, size: 3, leaseTtlMs });
    await createStreams(cluster, 'failover');
    const producers = new Producers(() => cluster!.nodes.filter((n) => n !== undefined).map((n) => n.endpoint));
    producers.start();
    await new Promise((r) => setTimeout(r, 4_000));
    await waitFor(async () => balanced(await leaseOwners(cluster!.prefix), 2), 20_000, 200);
    // Kill a node that holds leases.
    const holders = new Set([...(await leaseOwners(cluster.prefix)).values()].flat());
    const victim = cluster.nodes.findIndex((n) => holders.has(nodeId(n!)));
    expect(victim).toBeGreaterThanOrEqual(0);
    await cluster.kill(victim);
    const killedAt = Date.now();
    // Within the lease TTL (and a renewal period for the survivors to notice), all 8 shards are
    // held by the two survivors, two each per delivery stream.
    await waitFor(async () => balanced(await leaseOwners(cluster!.prefix), 2, 2), 30_000, 100);
    expect(Date.now() - killedAt).toBeLessThan(leaseTtlMs * 2 + 2_000);
    // What was acknowledged before the kill must reach S3 soon: its shards move to the survivors
    // after at most a lease TTL (plus the batching interval and the renewal period).
    const beforeKill = new Set(producers.firehoseAcked);
    await expectExactlyOnce(s3, 'failover', 'clicks/', beforeKill, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await producers.stop();
    producers.destroy();

    await expectExactlyOnce(s3, 'failover', 'clicks/', producers.firehoseAcked);
    await expectExactlyOnce(s3, 'failover', 'orders/', producers.kinesisAcked, 60_000, producers.resent);
    expectKeyOrder(await readKinesis(cluster.nodes.find((n) => n !== undefined)!.endpoint), producers.keyOrder);
    await cluster.stop();
    await deletePrefix(cluster.prefix);
    cluster = undefined;
  }, 180_000);
});

describe('Redis restarted under load (AOF appendfsync always)', () => {
  let s3: S3TestServer;
  let redis: PrivateRedis;
  let cluster: TestCluster | undefined;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('restart');
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await cluster?.remove();
    await redis?.stop();
    await s3?.stop();
  });

  it('producers see retryable errors while it is down; nothing acknowledged is lost or delivered twice', async () => {
    cluster = await startCluster({ redisUrl: redis.url, s3, size: 3, leaseTtlMs: 3_000 });
    await createStreams(cluster, 'restart');
    const producers = new Producers(() => cluster!.nodes.filter((n) => n !== undefined).map((n) => n.endpoint));
    producers.start();
    await new Promise((r) => setTimeout(r, 3_000));
    await redis.kill();
    const acceptedBefore = producers.firehoseAcked.size;
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    await new Promise((r) => setTimeout(r, 4_000));
    await producers.stop();
    producers.destroy();

    expect(producers.errors.length).toBeGreaterThan(0);
    // Every failure a producer saw is one the SDKs and the KPL retry.
    expect([...new Set(producers.errors)].filter((e) => e !== 'ServiceUnavailableException' && e !== 'InternalFailure')).toEqual([]);
    // Ingest resumed after the restart.
    expect(producers.firehoseAcked.size).toBeGreaterThan(acceptedBefore);
    await expectExactlyOnce(s3, 'restart', 'clicks/', producers.firehoseAcked);
    await expectExactlyOnce(s3, 'restart', 'orders/', producers.kinesisAcked, 60_000, producers.resent);
    expectKeyOrder(await readKinesis(cluster.nodes[0]!.endpoint), producers.keyOrder);
    await cluster.stop();
    cluster = undefined;
  }, 180_000);
});
