import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pino } from 'pino';
import { delivered, rejected, retryable, type Sink } from '../../../src/core/sink.js';
import { S3Backup } from '../../../src/backup/s3-backup.js';
import { CheckpointJournal } from '../../../src/delivery/checkpoint/journal.js';
import { SinkDestination } from '../../../src/delivery/destinations/sink.js';
import { RetryBudget } from '../../../src/delivery/driver/retry-budget.js';
import { DeliveryPipeline } from '../../../src/delivery/pipeline.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { backupHealth } from '../../../src/backup/health.js';
import { systemClock } from '../../../src/util/clock.js';
import { LogStream } from '../../../src/stream/log-stream.js';
import { SdkObjectStore } from '../../../sinks/s3/sdk-store.js';
import type { ObjectStore, PutObjectInput } from '../../../sinks/s3/object-store.js';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../../helpers/s3-server.js';
import { tempDir, waitFor } from '../../helpers/util.js';
import { fakeScheduler } from '../../helpers/fake-scheduler.js';
import { BACKUP_S3, TEST_SOURCE_ARN } from '../../helpers/sink.js';
import { startSplunkHec } from '../../doubles/splunk-hec.js';
import { createSplunkSink, resolveSplunkConfig } from '../../../sinks/splunk/index.js';

const HEC_TOKEN = '11111111-2222-4333-8444-555555555555';

const logger = pino({ level: 'silent' });

/** An OpenSearch-like sink: per-record outcomes decided by the record's text. */
class ScriptedSink implements Sink {
  sent: string[][] = [];
  async send(req: Parameters<Sink['send']>[0]) {
    this.sent.push(req.records.map((r) => r.data.toString()));
    return req.records.map((r) => {
      const t = r.data.toString();
      if (t.startsWith('bad')) return rejected('400', 'mapper_parsing_exception: failed to parse');
      if (t.startsWith('flaky') && req.attempt < 3) return retryable('429', 'es_rejected_execution_exception');
      if (t.startsWith('dead')) return retryable('503', 'unavailable_shards_exception');
      return delivered;
    });
  }
  failedRecordFields(r: { recordId: string }) {
    return { esDocumentId: r.recordId, esIndexName: 'logs', esTypeName: '' };
  }
}

/** The S3 server's store, failing the first `failures` puts (the backup bucket "down"). */
class FlakyStore implements ObjectStore {
  readonly description = 'flaky';
  failures = 0;
  puts = 0;
  constructor(private readonly inner: ObjectStore) {}
  async put(input: PutObjectInput) {
    this.puts++;
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('We encountered an internal error'), { code: 'InternalError' });
    }
    return this.inner.put(input);
  }
  get(bucket: string, key: string) { return this.inner.get(bucket, key); }
  headBucket(bucket: string) { return this.inner.headBucket(bucket); }
  close() {}
}

describe('SinkDestination: any Sink behind the driver, with the S3 backup', () => {
  let s3: S3TestServer;
  let store: SdkObjectStore;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('backup');
    store = new SdkObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, forcePathStyle: true });
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(opts: { backupAll: boolean; flaky?: FlakyStore; interval?: number; sink?: Sink; errorOutputType?: string }) {
    const dir = (await tempDir('sink-dest')).path;
    const stream = await LogStream.create({ dir: join(dir, 'log'), fsync: false }, { name: 'logs', shardCount: 2, retentionHours: 24 });
    const journal = await CheckpointJournal.open(join(dir, 'delivery'));
    const metrics = new Metrics({ defaultMetrics: false });
    const scripted = new ScriptedSink();
    const sink = opts.sink ?? scripted;
    const objects = opts.flaky ?? store;
    const prefix = `t-${Math.random().toString(36).slice(2)}/`;
    const backup = new S3Backup({
      streamName: 'logs',
      current: () => ({ config: { RoleARN: 'r', BucketARN: 'arn:aws:s3:::backup', Prefix: prefix, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: opts.interval ?? 0 } }, version: 1 }),
      store: objects,
      clock: systemClock,
      backoff: { baseMs: 5, capMs: 20 },
      health: backupHealth('logs', logger, metrics),
    });
    const destination = new SinkDestination({
      streamName: 'logs', kind: 'test-sink', sink, metricName: 'AmazonOpenSearchService',
      limits: () => ({ maxBytes: 1e6, intervalMs: 0 }),
      retry: { durationMs: () => 300, window: 'from-first-attempt', backoff: { baseMs: 5, capMs: 20 } },
      budget: new RetryBudget(), errorOutputType: opts.errorOutputType ?? 'AmazonOpenSearchService-failed', backupAll: () => opts.backupAll,
      backup, metrics, logger,
    });
    const pipeline = new DeliveryPipeline({ name: 'logs', incarnation: 'inc', stream, journal, destination, logger, retentionMs: () => 86_400_000 });
    cleanups.push(async () => {
      await pipeline.stop();
      await stream.close();
    });
    await pipeline.start();
    return { stream, journal, sink: scripted, metrics, prefix, pipeline };
  }

  it('retries the retryable records, backs up rejected and exhausted ones in the failed-record format, and commits', async () => {
    const { stream, journal, sink, metrics, prefix } = await setup({ backupAll: false });
    const texts = ['ok-1', 'bad-2', 'flaky-3', 'dead-4', 'ok-5'];
    await stream.append(stream.meta.shards[0].shardId, texts.slice(0, 3).map((t) => ({ partitionKey: '', data: Buffer.from(t) })));
    await stream.append(stream.meta.shards[1].shardId, texts.slice(3).map((t) => ({ partitionKey: '', data: Buffer.from(t) })));
    const keys = await waitFor(async () => {
      const k = await s3.listKeys('backup', `${prefix}AmazonOpenSearchService-failed/`);
      return k.length >= 1 && journal.pending().length === 0 ? k : undefined;
    });
    expect(keys[0]).toMatch(new RegExp(`^${prefix}AmazonOpenSearchService-failed/\\d{4}/\\d\\d/\\d\\d/\\d\\d/logs-1-\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d-[0-9a-f-]{36}$`));
    const docs = (await Promise.all(keys.map((k) => s3.getObject('backup', k)))).flatMap((b) => b.toString().trim().split('\n').map((l) => JSON.parse(l)));
    const byData = Object.fromEntries(docs.map((d) => [Buffer.from(d.rawData, 'base64').toString(), d]));
    expect(Object.keys(byData).sort()).toEqual(['bad-2', 'dead-4']);
    expect(Object.keys(byData['bad-2'])).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'esDocumentId', 'esIndexName', 'esTypeName']);
    expect(byData['bad-2']).toMatchObject({ attemptsMade: 1, errorCode: '400', errorMessage: 'mapper_parsing_exception: failed to parse', esIndexName: 'logs' });
    expect(byData['dead-4'].errorCode).toBe('503');
    expect(byData['dead-4'].attemptsMade).toBeGreaterThan(1);
    // Delivered records were sent once; the flaky one until it went through.
    const sends = sink.sent.flat();
    for (const t of ['ok-1', 'ok-5', 'bad-2']) expect(sends.filter((s) => s === t)).toHaveLength(1);
    expect(sends.filter((s) => s === 'flaky-3')).toHaveLength(3);
    expect(journal.committed(stream.meta.shards[0].shardId)).toBe(3);
    expect(journal.committed(stream.meta.shards[1].shardId)).toBe(2);
    const text = await metrics.text();
    expect(text).toMatch(/DeliveryToAmazonOpenSearchService_Records\{DeliveryStreamName="logs"\} 3/);
    expect(text).toMatch(/DeliveryFailedRecords\{DeliveryStreamName="logs"\} 2/);
    // Record ids: the batch identity and the record's place in the batch.
    expect(byData['dead-4'].esDocumentId).toMatch(/^[0-9a-f]{32}\.\d+$/);
  });

  it('Splunk: a batch whose indexer ack never comes is re-sent after the ack timeout, then backed up as Splunk.AckTimeout', async () => {
    const hec = await startSplunkHec({ [HEC_TOKEN]: { ack: true } });
    cleanups.push(() => hec.stop());
    hec.ackMode('withhold');
    const scheduler = fakeScheduler();
    const splunk = createSplunkSink(resolveSplunkConfig({
      HECEndpoint: hec.url, HECEndpointType: 'Raw', HECToken: HEC_TOKEN, HECAcknowledgmentTimeoutInSeconds: 180, S3Configuration: BACKUP_S3,
    }), { deliveryStreamName: 'logs', deliveryStreamArn: TEST_SOURCE_ARN }, { scheduler, ackPollIntervalMs: 10_000 });
    const { stream, journal, prefix } = await setup({ backupAll: false, sink: splunk, errorOutputType: 'splunk-failed' });
    await stream.append(stream.meta.shards[0].shardId, ['e1\n', 'e2\n'].map((t) => ({ partitionKey: '', data: Buffer.from(t) })));
    const keys = await waitFor(async () => {
      const k = await s3.listKeys('backup', `${prefix}splunk-failed/`);
      return k.length >= 1 && journal.pending().length === 0 ? k : undefined;
    });
    const docs = (await Promise.all(keys.map((k) => s3.getObject('backup', k)))).flatMap((b) => b.toString().trim().split('\n').map((l) => JSON.parse(l)));
    expect(docs.map((d) => Buffer.from(d.rawData, 'base64').toString()).sort()).toEqual(['e1\n', 'e2\n']);
    for (const d of docs) expect(d).toMatchObject({ errorCode: 'Splunk.AckTimeout', errorMessage: expect.stringContaining('acknowledgement timeout') });
    // Sent at least twice (each attempt waited out the 180 s timeout on the scheduler's clock), never indexed.
    expect(new Set(hec.events.map((e) => e.ackId)).size).toBeGreaterThanOrEqual(2);
    expect(docs[0].attemptsMade).toBe(new Set(hec.events.map((e) => e.ackId)).size);
    expect(scheduler.advanced()).toBeGreaterThanOrEqual(2 * 180_000);
    expect(hec.indexed()).toEqual([]);
    expect(journal.committed(stream.meta.shards[0].shardId)).toBe(2);
  });

  it('with "all" backup every record is also in S3 as it is; a failing backup pauses the checkpoint until it succeeds', async () => {
    const flaky = new FlakyStore(store);
    flaky.failures = 3;
    const { stream, journal, metrics, prefix } = await setup({ backupAll: true, flaky });
    await stream.append(stream.meta.shards[0].shardId, ['a', 'b', 'bad-c'].map((t) => ({ partitionKey: '', data: Buffer.from(t + '\n') })));
    await waitFor(async () => journal.pending().length === 0 && (await s3.listKeys('backup', prefix)).length === 2);
    expect(flaky.puts).toBeGreaterThanOrEqual(5);
    const keys = await s3.listKeys('backup', prefix);
    const raw = keys.find((k) => !k.includes('-failed/'))!;
    expect(raw).toMatch(new RegExp(`^${prefix}\\d{4}/\\d\\d/\\d\\d/\\d\\d/logs-1-`));
    expect((await s3.getObject('backup', raw)).toString()).toBe('a\nb\nbad-c\n');
    const text = await metrics.text();
    expect(text).toMatch(/BackupWriteFailures\{DeliveryStreamName="logs"\} 3/);
    expect(text).toMatch(/DeliveryPausedForBackup\{DeliveryStreamName="logs"\} 0/);
  });
});
