import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOpenSearchUpdate, classifyBulkFailure, classifyBulkItem, createOpenSearchSink, describeOpenSearchDestination, indexNameFor,
  openSearchLimits, resolveOpenSearchConfig, sourceLine, sundayWeekOfYear, type OpenSearchDestinationConfiguration,
} from '../../sinks/opensearch/index.js';
import type { Sink } from '../../src/core/sink.js';
import { REJECTED_EXECUTION, startOpenSearch, type OpenSearchDouble } from '../doubles/opensearch-bulk.js';
import { BACKUP_S3, jsonRecords, perRecord, sinkRequest, TEST_SOURCE_ARN } from '../helpers/sink.js';

const ctx = { deliveryStreamName: 'test-stream', deliveryStreamArn: TEST_SOURCE_ARN };
const ARRIVAL = Date.UTC(2016, 1, 25, 13, 0, 0);

function config(endpoint: string, extra: Partial<OpenSearchDestinationConfiguration> = {}): OpenSearchDestinationConfiguration {
  return { RoleARN: BACKUP_S3.RoleARN, ClusterEndpoint: endpoint, IndexName: 'myindex', S3Configuration: BACKUP_S3, ...extra };
}

describe('OpenSearch configuration', () => {
  it.each([
    ['NoRotation', 'myindex'], ['OneHour', 'myindex-2016-02-25-13'], ['OneDay', 'myindex-2016-02-25'], ['OneWeek', 'myindex-2016-w08'], ['OneMonth', 'myindex-2016-02'],
  ] as const)('%s rotation names the index %s (AWS example: 2016-02-25T13:00Z)', (rotation, name) => {
    expect(indexNameFor('myindex', rotation, ARRIVAL)).toBe(name);
  });

  it.each([
    ['2016-01-01', 0], ['2016-01-03', 1], ['2016-01-09', 1], ['2016-01-10', 2], ['2017-01-01', 1], ['2016-12-31', 52],
  ])('weeks start on Sunday (%s is week %i)', (day, week) => {
    expect(sundayWeekOfYear(new Date(`${day}T00:00:00Z`))).toBe(week);
  });

  it('applies AWS defaults, takes basic auth from the URL and the legacy flavor names its folder', () => {
    const r = resolveOpenSearchConfig(config('http://admin:s3cr%40t@localhost:9200'));
    expect(r).toMatchObject({ rotation: 'OneDay', documentIds: 'FIREHOSE_DEFAULT', retryDurationSeconds: 300, backupMode: 'FailedDocumentsOnly', errorOutputType: 'AmazonOpenSearchService-failed', auth: { username: 'admin', password: 's3cr@t' } });
    expect(r.endpoint.toString()).toBe('http://localhost:9200/');
    expect(openSearchLimits(r)).toEqual({ maxBytes: 5 * 1024 * 1024, maxRecords: undefined, intervalMs: 300_000 });
    expect(resolveOpenSearchConfig(config('https://es:9200'), 'ElasticsearchDestinationConfiguration').errorOutputType).toBe('elasticsearch-failed');
  });

  it.each([
    [{ ClusterEndpoint: undefined }, 'exactly one of DomainARN and ClusterEndpoint'],
    [{ DomainARN: 'arn:aws:es:us-east-1:123456789012:domain/logs' }, 'exactly one of DomainARN and ClusterEndpoint'],
    [{ IndexName: 'My Index' }, 'IndexName My Index is not a valid index name'],
    [{ IndexRotationPeriod: 'OneYear' as never }, 'IndexRotationPeriod must be one of'],
    [{ BufferingHints: { SizeInMBs: 101, IntervalInSeconds: 60 } }, 'BufferingHints.SizeInMBs must be an integer from 1 to 100'],
    [{ S3BackupMode: 'AllData' }, 'S3BackupMode must be one of FailedDocumentsOnly, AllDocuments'],
    [{ DocumentIdOptions: { DefaultDocumentIdFormat: 'RANDOM' as never } }, 'DefaultDocumentIdFormat must be FIREHOSE_DEFAULT or NO_DOCUMENT_ID'],
  ])('refuses %j naming the field', (extra, message) => {
    expect(() => resolveOpenSearchConfig(config('https://es:9200', extra))).toThrow(expect.objectContaining({ type: 'InvalidArgumentException', message: expect.stringContaining(message) }));
  });

  it('resolves a DomainARN through the node configuration', () => {
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/logs';
    const r = resolveOpenSearchConfig({ ...config('x'), ClusterEndpoint: undefined, DomainARN: arn }, undefined, { resolveDomainEndpoint: (a) => (a === arn ? 'https://logs.internal:9200' : undefined) });
    expect(r.endpoint.host).toBe('logs.internal:9200');
  });

  it('describes the destination with the password redacted; S3BackupMode is fixed after creation', () => {
    const d = describeOpenSearchDestination(config('https://admin:pw@es:9200', { IndexRotationPeriod: 'OneHour' }));
    expect(d).toMatchObject({ ClusterEndpoint: 'https://admin:****@es:9200/', IndexName: 'myindex', IndexRotationPeriod: 'OneHour', DocumentIdOptions: { DefaultDocumentIdFormat: 'FIREHOSE_DEFAULT' }, RetryOptions: { DurationInSeconds: 300 } });
    expect(() => checkOpenSearchUpdate(config('x'), config('x', { S3BackupMode: 'AllDocuments' }))).toThrow(/cannot be changed/);
  });

  it.each([
    [201, 'delivered'], [200, 'delivered'], [429, 'retryable'], [500, 'retryable'], [503, 'retryable'], [501, 'rejected'],
    [400, 'rejected'], [404, 'rejected'], [409, 'rejected'],
  ])('bulk item %i is %s', (status, expected) => {
    expect(classifyBulkItem({ status, error: status >= 300 ? { type: 't', reason: 'r' } : undefined }).status).toBe(expected);
  });

  it('sends a record as its own bytes without surrounding whitespace; re-serializes only multi-line JSON', () => {
    expect(String(sourceLine(Buffer.from('{"a": 1}\n')))).toBe('{"a": 1}');
    expect(String(sourceLine(Buffer.from('  {"a": 1}\r\n')))).toBe('{"a": 1}');
    expect(String(sourceLine(Buffer.from('{\n "a": 1\n}\n')))).toBe('{"a":1}');
    expect(sourceLine(Buffer.from(' \n'))).toBe('the record is empty');
  });

  it.each([[429, 'retryable'], [502, 'retryable'], [501, 'rejected'], [401, 'retryable'], [403, 'retryable'], [400, 'rejected'], [413, 'rejected']])(
    'whole-request %i is %s', (status, expected) => expect(classifyBulkFailure(status, {}).status).toBe(expected));
});

describe('OpenSearch sink against the bulk double', () => {
  let os: OpenSearchDouble;
  let sink: Sink;
  beforeAll(async () => {
    os = await startOpenSearch({ users: { firehose: 'pw' } });
  });
  afterEach(async () => {
    await sink?.close?.();
    os.failItems(undefined);
    os.bulkCalls.length = 0;
  });
  afterAll(() => os.stop());

  const endpoint = () => os.url.replace('http://', 'http://firehose:pw@');

  it('indexes every record under its rotated index with its stable id', async () => {
    sink = createOpenSearchSink(config(endpoint()), ctx);
    const records = jsonRecords(20, { arrivedAt: ARRIVAL });
    expect(perRecord(await sink.send(sinkRequest(records)), 20).every((o) => o.status === 'delivered')).toBe(true);
    const docs = os.documents('myindex-2016-02-25');
    expect(docs.size).toBe(20);
    expect(docs.get(records[3].recordId)?.source).toEqual(JSON.parse(records[3].data.toString()));
    expect(os.bulkCalls[0].headers['content-type']).toBe('application/x-ndjson');
    expect(os.bulkCalls[0].actions.every((a) => a.action === 'index')).toBe(true);
  });

  it('a mix of 201, 429 and 400: 429s retryable, 400s rejected, and the retry does not resend the 201s', async () => {
    sink = createOpenSearchSink(config(endpoint(), { IndexRotationPeriod: 'NoRotation', IndexName: 'mixed' }), ctx);
    os.failItems(({ source, attempt }) => ((source as { n: number }).n % 3 === 1 && attempt === 1 ? REJECTED_EXECUTION : undefined));
    const records = jsonRecords(9, { make: (i) => ({ n: i, price: i % 3 === 2 ? 'oops' : i }) });
    records[0] = { ...records[0], data: Buffer.from('{"n":0,"price":1.5}') }; // maps price as a number first
    const first = perRecord(await sink.send(sinkRequest(records)), 9);
    expect(first.map((o) => o.status)).toEqual(['delivered', 'retryable', 'rejected', 'delivered', 'retryable', 'rejected', 'delivered', 'retryable', 'rejected']);
    expect(first[1]).toMatchObject({ errorCode: '429', errorMessage: expect.stringContaining('es_rejected_execution_exception') });
    expect(first[2]).toMatchObject({ errorCode: '400', errorMessage: expect.stringContaining('failed to parse field [price]') });
    const retry = records.filter((_, i) => first[i].status === 'retryable');
    const second = perRecord(await sink.send(sinkRequest(retry, { attempt: 2 })), 3);
    expect(second.every((o) => o.status === 'delivered')).toBe(true);
    expect(os.bulkCalls[1].actions.map((a) => a.id)).toEqual(retry.map((r) => r.recordId));
    expect(os.documents('mixed').size).toBe(6);
    expect([...os.documents('mixed').values()].every((d) => d.version === 1)).toBe(true);
  });

  it('a whole-request 429 is retryable; a lost response retried overwrites (same ids)', async () => {
    sink = createOpenSearchSink(config(endpoint(), { IndexRotationPeriod: 'NoRotation', IndexName: 'again' }), ctx);
    os.throttleNext(1);
    const records = jsonRecords(3);
    const err = await sink.send(sinkRequest(records)).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: '429' });
    await sink.send(sinkRequest(records, { attempt: 2 }));
    await sink.send(sinkRequest(records, { attempt: 3 }));
    expect(os.documents('again').size).toBe(3);
    expect([...os.documents('again').values()].map((d) => d.version)).toEqual([2, 2, 2]);
  });

  it('NO_DOCUMENT_ID leaves ids to the cluster; TypeName goes into the action', async () => {
    sink = createOpenSearchSink(config(endpoint(), { IndexName: 'noid', IndexRotationPeriod: 'NoRotation', TypeName: '_doc', DocumentIdOptions: { DefaultDocumentIdFormat: 'NO_DOCUMENT_ID' } }), ctx);
    await sink.send(sinkRequest(jsonRecords(2)));
    expect(os.bulkCalls[0].actions.map((a) => a.id)).toEqual([undefined, undefined]);
    expect(os.documents('noid').size).toBe(2);
    expect(sink.failedRecordFields!(jsonRecords(1)[0])).toEqual({ esDocumentId: '', esIndexName: 'noid', esTypeName: '_doc' });
  });

  it('refuses records that would break the NDJSON framing; compacts pretty-printed JSON', async () => {
    sink = createOpenSearchSink(config(endpoint(), { IndexName: 'framing', IndexRotationPeriod: 'NoRotation' }), ctx);
    const base = jsonRecords(3);
    const records = [{ ...base[0], data: Buffer.from('{\n  "pretty": true\n}') }, { ...base[1], data: Buffer.from('not\njson') }, { ...base[2], data: Buffer.alloc(0) }];
    const out = perRecord(await sink.send(sinkRequest(records)), 3);
    expect(out.map((o) => o.status)).toEqual(['delivered', 'rejected', 'rejected']);
    expect(os.documents('framing').get(records[0].recordId)?.source).toEqual({ pretty: true });
  });

  it('a missing index with auto-creation off is a permanent 404 for those documents', async () => {
    os.autoCreate(false);
    try {
      sink = createOpenSearchSink(config(endpoint(), { IndexName: 'absent', IndexRotationPeriod: 'NoRotation' }), ctx);
      expect(perRecord(await sink.send(sinkRequest(jsonRecords(2))), 2)[0]).toMatchObject({ status: 'rejected', errorCode: '404', errorMessage: expect.stringContaining('index_not_found_exception') });
    } finally {
      os.autoCreate(true);
    }
  });

  it('wrong credentials are retryable 401s; the health check reaches the cluster', async () => {
    sink = createOpenSearchSink(config(os.url.replace('http://', 'http://firehose:wrong@')), ctx);
    const err = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: '401', errorMessage: expect.stringContaining('security_exception') });
    await expect(sink.healthcheck!(AbortSignal.timeout(10_000))).rejects.toThrow();
    await sink.close!();
    sink = createOpenSearchSink(config(endpoint()), ctx);
    await sink.healthcheck!(AbortSignal.timeout(10_000));
  });

  it('a cluster that does not answer in time, or closes the connection, is retryable', async () => {
    sink = createOpenSearchSink(config(endpoint()), ctx, { requestTimeoutMs: 300 });
    os.misbehaveNext('hang', 'reset');
    const hang = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(hang)).toMatchObject({ status: 'retryable', errorCode: 'OpenSearch.RequestTimeout' });
    const reset = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(reset)).toMatchObject({ status: 'retryable', errorCode: 'OpenSearch.ConnectionFailed' });
  });

  it('an unreachable cluster is a retryable connection failure', async () => {
    sink = createOpenSearchSink(config('http://127.0.0.1:1'), ctx);
    const err = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: 'OpenSearch.ConnectionFailed' });
  });

  it('failed-record fields name the intended index and id', () => {
    sink = createOpenSearchSink(config(endpoint()), ctx);
    expect(sink.failedRecordFields!(jsonRecords(1, { arrivedAt: ARRIVAL })[0])).toEqual({
      esDocumentId: '49577193928114147339600778471082492393164139877200035842.0', esIndexName: 'myindex-2016-02-25', esTypeName: '',
    });
  });
});
