/**
 * HTTP endpoint, Splunk HEC and OpenSearch destinations end to end: delivery streams created
 * with the real Firehose SDK, records put through it, received by protocol doubles (real HTTP
 * servers), failed records in the real S3 server in Firehose's failed-record format. Also a
 * Hydrant delivering to a second Hydrant's receiving route, and a user's sink plugin named by
 * path in the config file.
 */
import {
  CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand, type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpEndpointReceiver, type HttpEndpointReceiver } from '../doubles/http-endpoint-receiver.js';
import { REJECTED_EXECUTION, startOpenSearch, type OpenSearchDouble } from '../doubles/opensearch-bulk.js';
import { HEC_ERRORS, startSplunkHec, type SplunkHecDouble } from '../doubles/splunk-hec.js';
import { serveDouble } from '../doubles/serve.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const KEY = 'endpoint-access-key';
const S3_CONFIG = { endpoint: '', region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' };
/** Short backoff so retries happen within a test; retry durations stay AWS's semantics. */
const FAST_RETRIES = { retry: { baseDelayMs: 20, maxDelayMs: 200 }, retryBudget: { capacity: 1000, refillPerSecond: 1000 }, backupRetry: { baseDelayMs: 20, maxDelayMs: 200 } };

const backupS3 = (name: string) => ({
  RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup', Prefix: `${name}/`, ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
  BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
});

async function put(client: FirehoseClient, name: string, texts: string[]): Promise<void> {
  const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: texts.map((t) => ({ Data: Buffer.from(t) })) }));
  expect(out.FailedPutCount).toBe(0);
}

/** Failed-record documents under a prefix of the backup bucket. */
async function failedDocs(s3: S3TestServer, prefix: string): Promise<Record<string, unknown>[]> {
  const keys = await s3.listKeys('backup', prefix);
  const bodies = await Promise.all(keys.map((k) => s3.getObject('backup', k)));
  return bodies.flatMap((b) => b.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

const raw = (d: Record<string, unknown>) => Buffer.from(String(d.rawData), 'base64').toString();

describe('sink destinations through the Firehose API', () => {
  let s3: S3TestServer;
  let node: Node;
  let client: FirehoseClient;
  let receiver: HttpEndpointReceiver;
  let hec: SplunkHecDouble;
  let os: OpenSearchDouble;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('backup');
    receiver = await startHttpEndpointReceiver({ accessKey: KEY });
    hec = await startSplunkHec({ 'hec-token': { ack: true } });
    os = await startOpenSearch();
    node = await startTestHydrant({ s3: { ...S3_CONFIG, endpoint: s3.endpoint }, delivery: FAST_RETRIES });
    client = firehoseClient(node.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await Promise.all([receiver?.stop(), hec?.stop(), os?.stop()]);
    await s3?.stop();
  });

  describe('HTTP endpoint', () => {
    const http = (name: string, extra: Record<string, unknown> = {}) => ({
      DeliveryStreamName: name,
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: { Url: `${receiver.url}/${name}`, Name: 'receiver', AccessKey: KEY },
        RequestConfiguration: { ContentEncoding: 'GZIP' as const, CommonAttributes: [{ AttributeName: 'env', AttributeValue: 'test' }] },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RetryOptions: { DurationInSeconds: 60 },
        S3BackupMode: 'FailedDataOnly' as const,
        S3Configuration: backupS3(name),
        ...extra,
      },
    });

    it('delivers every record with the spec\'s headers and gzip body, reusing the requestId on every retry', async () => {
      await client.send(new CreateDeliveryStreamCommand(http('web')));
      const described = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'web' }));
      const d = described.DeliveryStreamDescription!.Destinations![0].HttpEndpointDestinationDescription!;
      expect(d.EndpointConfiguration).toEqual({ Url: `${receiver.url}/web`, Name: 'receiver' });
      expect(d.S3BackupMode).toBe('FailedDataOnly');

      receiver.enqueue({ kind: 'status', status: 503 }, { kind: 'wrong-request-id' }, { kind: 'malformed-json' });
      const texts = Array.from({ length: 50 }, (_, i) => `{"n":${i}}`);
      await put(client, 'web', texts);
      const accepted = await waitFor(() => {
        const got = receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith('/web') && x.answeredWith === 'ok');
        return got.flatMap((x) => x.records).length >= texts.length ? got : undefined;
      });
      expect(accepted.flatMap((x) => x.records.map(String))).toEqual(texts);
      const all = receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith('/web'));
      expect(all.map((x) => x.answeredWith)).toEqual(['status', 'wrong-request-id', 'malformed-json', 'ok']);
      // One batch: one requestId, reused by every attempt.
      expect(new Set(all.map((x) => x.requestId)).size).toBe(1);
      for (const x of all) {
        expect(x.problems).toEqual([]);
        expect(x.gzip).toBe(true);
        expect(x.headers['x-amz-firehose-access-key']).toBe(KEY);
        expect(JSON.parse(String(x.headers['x-amz-firehose-common-attributes']))).toEqual({ commonAttributes: { env: 'test' } });
      }
      expect(await s3.listKeys('backup', 'web-errors/')).toEqual([]);
    });

    it('does not retry a 413: the batch goes to http-endpoint-failed/ at once, in Firehose\'s format', async () => {
      await client.send(new CreateDeliveryStreamCommand(http('big')));
      receiver.enqueue({ kind: 'status', status: 413, errorMessage: 'too large' });
      await put(client, 'big', ['a', 'b']);
      const docs = await waitFor(async () => {
        const found = await failedDocs(s3, 'big-errors/http-endpoint-failed/');
        return found.length >= 2 ? found : undefined;
      });
      expect(docs.map(raw).sort()).toEqual(['a', 'b']);
      for (const doc of docs) {
        expect(doc).toMatchObject({ attemptsMade: 1, errorCode: 'HttpEndpoint.DestinationException', errorMessage: expect.stringContaining('413') });
        expect(typeof doc.arrivalTimestamp).toBe('number');
        expect(typeof doc.attemptEndingTimestamp).toBe('number');
      }
      expect(receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith('/big'))).toHaveLength(1);
    });

    it('an endpoint down longer than the retry duration: every record in the backup, the checkpoint moved on', async () => {
      await client.send(new CreateDeliveryStreamCommand(http('down', { RetryOptions: { DurationInSeconds: 1 } })));
      receiver.always({ kind: 'status', status: 500 });
      const texts = Array.from({ length: 20 }, (_, i) => `down-${i}`);
      try {
        await put(client, 'down', texts);
        const docs = await waitFor(async () => {
          const found = await failedDocs(s3, 'down-errors/http-endpoint-failed/');
          return found.length >= texts.length ? found : undefined;
        });
        expect(docs.map(raw).sort()).toEqual([...texts].sort());
        for (const doc of docs) {
          expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'dataId']);
          expect(doc.attemptsMade as number).toBeGreaterThan(1);
        }
      } finally {
        receiver.always(undefined);
      }
      // The endpoint is back: only new records are sent (the failed batch is not delivered again).
      await put(client, 'down', ['after']);
      const later = await waitFor(() => {
        const ok = receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith('/down') && x.answeredWith === 'ok');
        return ok.length > 0 ? ok : undefined;
      });
      expect(later.flatMap((x) => x.records.map(String))).toEqual(['after']);
    });
  });

  describe('Splunk HEC', () => {
    it('delivers events on one channel, counting a batch delivered once its indexer acknowledgement arrives', async () => {
      await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'siem',
        SplunkDestinationConfiguration: {
          HECEndpoint: hec.url, HECEndpointType: 'Event', HECToken: 'hec-token', HECAcknowledgmentTimeoutInSeconds: 180,
          RetryOptions: { DurationInSeconds: 60 }, S3BackupMode: 'FailedEventsOnly', S3Configuration: backupS3('siem'),
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        },
      }));
      hec.failNext(HEC_ERRORS.busy);
      const texts = Array.from({ length: 30 }, (_, i) => `{"event":"login","n":${i}}`);
      await put(client, 'siem', texts);
      const indexed = await waitFor(() => {
        const got = hec.indexed();
        return got.length >= texts.length ? got : undefined;
      });
      expect(indexed.map((e) => JSON.stringify(e.body))).toHaveLength(texts.length);
      const channels = new Set(hec.requests.filter((r) => r.path.startsWith('/services/collector/event')).map((r) => r.headers['x-splunk-request-channel']));
      expect(channels.size).toBe(1);
      expect(String([...channels][0])).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(hec.requests.some((r) => r.path === '/services/collector/ack')).toBe(true);
      expect(await s3.listKeys('backup', 'siem-errors/')).toEqual([]);
    });

    it('an invalid token is retried for the retry duration, then the events go to splunk-failed/', async () => {
      await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'siem-bad-token',
        SplunkDestinationConfiguration: {
          HECEndpoint: hec.url, HECEndpointType: 'Raw', HECToken: 'not-a-token', RetryOptions: { DurationInSeconds: 1 },
          S3Configuration: backupS3('siem-bad-token'), BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        },
      }));
      await put(client, 'siem-bad-token', ['x1', 'x2']);
      const docs = await waitFor(async () => {
        const found = await failedDocs(s3, 'siem-bad-token-errors/splunk-failed/');
        return found.length >= 2 ? found : undefined;
      });
      expect(docs.map(raw).sort()).toEqual(['x1', 'x2']);
      expect(docs[0]).toMatchObject({ errorCode: 'Splunk.InvalidToken' });
      expect(docs[0].attemptsMade as number).toBeGreaterThan(1);
    });
  });

  describe('OpenSearch', () => {
    it('indexes every document into the rotated index with stable ids; 429 items are retried, 400s backed up, 201s not sent twice', async () => {
      await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'search',
        AmazonopensearchserviceDestinationConfiguration: {
          RoleARN: ROLE, ClusterEndpoint: os.url, IndexName: 'logs', IndexRotationPeriod: 'OneDay',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, RetryOptions: { DurationInSeconds: 60 },
          S3BackupMode: 'FailedDocumentsOnly', S3Configuration: backupS3('search'),
        },
      }));
      os.failItems(({ source, attempt }) => {
        const s = source as { kind?: string };
        if (s.kind === 'flaky' && attempt < 3) return REJECTED_EXECUTION;
        if (s.kind === 'bad') return { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [n]' };
        return undefined;
      });
      try {
        const texts = [
          ...Array.from({ length: 10 }, (_, i) => JSON.stringify({ kind: 'ok', n: i })),
          JSON.stringify({ kind: 'flaky', n: 100 }), JSON.stringify({ kind: 'flaky', n: 101 }),
          JSON.stringify({ kind: 'bad', n: 200 }),
        ];
        await put(client, 'search', texts);
        const day = new Date().toISOString().slice(0, 10);
        const index = `logs-${day}`;
        const docs = await waitFor(() => {
          const d = os.documents(index);
          return d && d.size >= 12 ? d : undefined;
        });
        expect([...docs.values()].map((d) => (d.source as { n: number }).n).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101]);
        const failed = await waitFor(async () => {
          const found = await failedDocs(s3, 'search-errors/AmazonOpenSearchService-failed/');
          return found.length >= 1 ? found : undefined;
        });
        expect(failed.map(raw)).toEqual([JSON.stringify({ kind: 'bad', n: 200 })]);
        expect(failed[0]).toMatchObject({ attemptsMade: 1, errorCode: '400', esIndexName: index });
        expect(typeof failed[0].esDocumentId).toBe('string');
        // Every document was indexed once (version 1), whatever its retries.
        for (const d of docs.values()) expect(d.version).toBe(1);
        const sentOk = os.bulkCalls.flatMap((c) => c.actions.map((a, i) => ({ a, status: c.statuses[i] }))).filter((x) => (x.a.source as { kind: string }).kind === 'ok');
        expect(sentOk).toHaveLength(10);
        const flakySends = os.bulkCalls.flatMap((c) => c.actions).filter((a) => (a.source as { kind: string }).kind === 'flaky');
        expect(flakySends).toHaveLength(6);
        // FIREHOSE_DEFAULT: the same id on every attempt.
        expect(new Set(flakySends.map((a) => a.id)).size).toBe(2);
      } finally {
        os.failItems(undefined);
      }
    });
  });

  it('UpdateDestination changes a sink destination and switches an S3 stream to an HTTP endpoint', async () => {
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'switch',
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup', Prefix: 'switch-s3/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } },
    }));
    await client.send(new UpdateDestinationCommand({
      DeliveryStreamName: 'switch', CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001',
      HttpEndpointDestinationUpdate: {
        EndpointConfiguration: { Url: `${receiver.url}/switch`, Name: 'receiver', AccessKey: KEY },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, S3Update: backupS3('switch'),
      },
    }));
    await put(client, 'switch', ['s1', 's2']);
    const got = await waitFor(() => {
      const ok = receiver.deliveries.filter((x) => x.headers['x-amz-firehose-source-arn']?.endsWith('/switch') && x.answeredWith === 'ok').flatMap((x) => x.records.map(String));
      return ok.length >= 2 ? ok : undefined;
    });
    expect(got).toEqual(['s1', 's2']);
    await client.send(new UpdateDestinationCommand({
      DeliveryStreamName: 'switch', CurrentDeliveryStreamVersionId: '2', DestinationId: 'destinationId-000000000001',
      HttpEndpointDestinationUpdate: { EndpointConfiguration: { Url: `${receiver.url}/switch-2` } },
    }));
    const d = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'switch' }))).DeliveryStreamDescription!;
    expect(d.VersionId).toBe('3');
    expect(d.Destinations![0].HttpEndpointDestinationDescription!.EndpointConfiguration).toEqual({ Url: `${receiver.url}/switch-2`, Name: 'receiver' });
    await put(client, 'switch', ['s3']);
    await waitFor(() => receiver.deliveries.some((x) => x.records.some((r) => String(r) === 's3') && x.answeredWith === 'ok'));
  });

  it('refuses a bad sink configuration naming the field, and stores nothing', async () => {
    // Out of the model's range: ValidationException, as AWS.
    await expect(client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'bad-splunk',
      SplunkDestinationConfiguration: { HECEndpoint: hec.url, HECEndpointType: 'Event', HECToken: 't', S3Configuration: backupS3('x'), BufferingHints: { SizeInMBs: 6, IntervalInSeconds: 1 } },
    }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('splunkDestinationConfiguration.bufferingHints.sizeInMBs') });
    // Semantic checks: InvalidArgumentException naming the member.
    await expect(client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'bad-splunk',
      SplunkDestinationConfiguration: { HECEndpoint: hec.url, HECEndpointType: 'Event', S3Configuration: backupS3('x') },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('HECToken is required') });
    await expect(client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'bad-splunk',
      HttpEndpointDestinationConfiguration: { EndpointConfiguration: { Url: 'http://' }, S3Configuration: backupS3('x') },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('EndpointConfiguration.Url') });
    await expect(client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'bad-splunk' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('one Hydrant delivering to another', () => {
  it('an HTTP endpoint destination lands the records in the second Hydrant\'s S3 through its receiving route', async () => {
    const s3 = await startS3Server();
    await s3.createBucket('landing');
    await s3.createBucket('backup');
    const receiving = await startTestHydrant({ s3: { ...S3_CONFIG, endpoint: s3.endpoint }, firehoseHttp: { accessKeys: [KEY] } });
    const sending = await startTestHydrant({ s3: { ...S3_CONFIG, endpoint: s3.endpoint }, delivery: FAST_RETRIES });
    const rc = firehoseClient(receiving.endpoint);
    const sc = firehoseClient(sending.endpoint);
    try {
      await rc.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'landing',
        ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::landing', Prefix: 'in/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
      }));
      await sc.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'upstream',
        HttpEndpointDestinationConfiguration: {
          EndpointConfiguration: { Url: `${receiving.endpoint}/v1/firehose/landing`, Name: 'hydrant', AccessKey: KEY },
          RequestConfiguration: { ContentEncoding: 'GZIP' },
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, S3Configuration: backupS3('upstream'),
        },
      }));
      const texts = Array.from({ length: 100 }, (_, i) => `chained-${i}\n`);
      await put(sc, 'upstream', texts);
      const body = await waitFor(async () => {
        const keys = await s3.listKeys('landing', 'in/');
        const all = (await Promise.all(keys.map((k) => s3.getObject('landing', k)))).map(String).join('');
        return all.split('\n').filter(Boolean).length >= texts.length ? all : undefined;
      });
      expect(body.split('\n').filter(Boolean).sort()).toEqual(texts.map((t) => t.trim()).sort());
      expect(await s3.listKeys('backup', 'upstream-errors/')).toEqual([]);
    } finally {
      rc.destroy();
      sc.destroy();
      await sending.stop();
      await receiving.stop();
      await s3.stop();
    }
  });
});

describe('a sink plugin named by path in the config file', () => {
  it('receives records with the driver\'s retries, and what it rejects goes to the S3 backup', async () => {
    const s3 = await startS3Server();
    await s3.createBucket('backup');
    const received: { key: string; records: string[] }[] = [];
    let calls = 0;
    const webhook = await serveDouble((req, res, body) => {
      calls++;
      const records = (JSON.parse(body.toString()) as { records: { data: string }[] }).records.map((r) => Buffer.from(r.data, 'base64').toString());
      if (calls === 1) {
        res.writeHead(503).end('busy');
        return;
      }
      received.push({ key: String(req.headers['idempotency-key']), records });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        results: records.map((r) => (r.startsWith('reject') ? { ok: false, retry: false, error: 'unwanted record' } : { ok: true })),
      }));
    });
    const examples = new URL('../../examples/sinks/webhook/', import.meta.url).pathname;
    const node = await startTestHydrant({
      s3: { ...S3_CONFIG, endpoint: s3.endpoint },
      delivery: FAST_RETRIES,
      pluginBaseDir: examples,
      deliveryStreams: [{
        DeliveryStreamName: 'hooks',
        HydrantPluginDestinationConfiguration: {
          Module: './index.ts',
          Options: { url: `${webhook.origin}/hook`, token: 'secret-token' },
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
          RetryOptions: { DurationInSeconds: 60 },
          S3Configuration: backupS3('hooks'),
        },
      }],
    });
    const client = firehoseClient(node.endpoint);
    try {
      const d = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'hooks' }))).DeliveryStreamDescription!;
      const desc = (d.Destinations![0] as Record<string, unknown>).HydrantPluginDestinationDescription as Record<string, unknown> | undefined;
      // The SDK drops members it does not model; the raw description is checked through the API below.
      expect(desc).toBeUndefined();
      await put(client, 'hooks', ['one', 'reject-two', 'three']);
      const docs = await waitFor(async () => {
        const found = await failedDocs(s3, 'hooks-errors/webhook-failed/');
        return found.length >= 1 ? found : undefined;
      });
      expect(docs.map(raw)).toEqual(['reject-two']);
      // Attempted twice: once answered 503 (the whole batch), then rejected.
      expect(docs[0]).toMatchObject({ attemptsMade: 2, errorMessage: 'unwanted record' });
      // Retried after the 503 with the same batch identity; delivered records are not sent again.
      expect(calls).toBe(2);
      expect(received).toHaveLength(1);
      expect(received[0].records).toEqual(['one', 'reject-two', 'three']);
      const rawDescription = await fetch(node.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Firehose_20150804.DescribeDeliveryStream' },
        body: JSON.stringify({ DeliveryStreamName: 'hooks' }),
      });
      const text = await rawDescription.text();
      expect(rawDescription.status).toBe(200);
      const plugin = (JSON.parse(text) as { DeliveryStreamDescription: { Destinations: Record<string, Record<string, unknown>>[] } }).DeliveryStreamDescription.Destinations[0].HydrantPluginDestinationDescription;
      expect(plugin).toMatchObject({ Module: './index.ts', SinkName: 'webhook', Options: { url: `${webhook.origin}/hook`, token: '****' } });
      expect(text).not.toContain('secret-token');
    } finally {
      client.destroy();
      await node.stop();
      await webhook.stop();
      await s3.stop();
    }
  });
});
