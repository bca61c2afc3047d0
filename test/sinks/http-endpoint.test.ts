import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyHttpEndpointError, createHttpEndpointSink, describeHttpEndpointDestination, httpEndpointLimits, requestIdFor, resolveHttpEndpointConfig,
  type HttpEndpointDestinationConfiguration,
} from '../../sinks/http-endpoint/index.js';
import type { Sink } from '../../src/core/sink.js';
import { startHttpEndpointReceiver, type HttpEndpointReceiver } from '../doubles/http-endpoint-receiver.js';
import { BACKUP_S3, jsonRecords, perRecord, sinkRequest, TEST_SOURCE_ARN } from '../helpers/sink.js';

const ctx = { deliveryStreamName: 'test-stream', deliveryStreamArn: TEST_SOURCE_ARN };

function config(url: string, extra: Partial<HttpEndpointDestinationConfiguration> = {}): HttpEndpointDestinationConfiguration {
  return { EndpointConfiguration: { Url: url, Name: 'receiver', AccessKey: 'secret-key' }, S3Configuration: BACKUP_S3, ...extra };
}

describe('HTTP endpoint configuration', () => {
  it('applies AWS defaults and exposes the batching limits', () => {
    const r = resolveHttpEndpointConfig(config('http://localhost:8080/in'));
    expect(r).toMatchObject({ gzip: false, retryDurationSeconds: 300, backupMode: 'FailedDataOnly', buffering: { SizeInMBs: 5, IntervalInSeconds: 300 }, errorOutputType: 'http-endpoint-failed' });
    expect(httpEndpointLimits(r)).toEqual({ maxBytes: 5 * 1024 * 1024, maxRecords: 10_000, intervalMs: 300_000 });
  });

  it.each([
    [{ EndpointConfiguration: { Url: 'ftp://x' } }, 'EndpointConfiguration.Url must be an http:// or https:// URL'],
    [{ EndpointConfiguration: { Url: 'not a url' } }, 'EndpointConfiguration.Url not a url is not an absolute URL'],
    [{ BufferingHints: { SizeInMBs: 65, IntervalInSeconds: 60 } }, 'BufferingHints.SizeInMBs must be an integer from 1 to 64'],
    [{ BufferingHints: { SizeInMBs: 5 } }, 'BufferingHints.SizeInMBs and HttpEndpointDestinationConfiguration.BufferingHints.IntervalInSeconds must be given together'],
    [{ RetryOptions: { DurationInSeconds: 7201 } }, 'RetryOptions.DurationInSeconds must be an integer from 0 to 7200'],
    [{ S3BackupMode: 'AllEvents' }, 'S3BackupMode must be one of FailedDataOnly, AllData'],
    [{ RequestConfiguration: { ContentEncoding: 'BR' as never } }, 'ContentEncoding must be NONE or GZIP'],
    [{ RequestConfiguration: { CommonAttributes: [{ AttributeName: 'a', AttributeValue: '1' }, { AttributeName: 'a', AttributeValue: '2' }] } }, 'CommonAttributes.2.AttributeName a is given twice'],
    [{ S3Configuration: { RoleARN: 'r', BucketARN: 'bucket' } }, 'S3Configuration.BucketARN bucket is not an S3 bucket ARN'],
    [{ S3Configuration: undefined as never }, 'S3Configuration is required'],
    [{ SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' } }, 'is not a secret this Hydrant node knows'],
  ])('refuses %j naming the field', (extra, message) => {
    expect(() => resolveHttpEndpointConfig({ ...config('https://example.com'), ...extra } as HttpEndpointDestinationConfiguration)).toThrow(expect.objectContaining({ type: 'InvalidArgumentException', message: expect.stringContaining(message) }));
  });

  it('takes the access key from a known secret', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key';
    const r = resolveHttpEndpointConfig({ ...config('https://example.com'), SecretsManagerConfiguration: { Enabled: true, SecretARN: arn } }, { resolveSecret: (a) => (a === arn ? '{"api_key":"from-secret"}' : undefined) });
    expect(r.accessKey).toBe('from-secret');
  });

  it('describes the destination without the access key', () => {
    const d = describeHttpEndpointDestination(config('https://example.com/x', { RequestConfiguration: { ContentEncoding: 'GZIP' } }));
    expect(d).toMatchObject({
      EndpointConfiguration: { Url: 'https://example.com/x', Name: 'receiver' },
      RequestConfiguration: { ContentEncoding: 'GZIP', CommonAttributes: [] },
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
      RetryOptions: { DurationInSeconds: 300 },
      S3BackupMode: 'FailedDataOnly',
      S3DestinationDescription: { BucketARN: BACKUP_S3.BucketARN, Prefix: '', CompressionFormat: 'UNCOMPRESSED' },
    });
    expect(JSON.stringify(d)).not.toContain('secret-key');
  });
});

describe('HTTP endpoint sink against the spec receiver', () => {
  let receiver: HttpEndpointReceiver;
  let sink: Sink;
  beforeAll(async () => {
    receiver = await startHttpEndpointReceiver({ accessKey: 'secret-key' });
  });
  afterEach(async () => {
    await sink?.close?.();
    receiver.deliveries.length = 0;
    receiver.always(undefined);
  });
  afterAll(() => receiver.stop());

  it('delivers every record with the documented headers and body', async () => {
    sink = createHttpEndpointSink(config(receiver.url, {
      RequestConfiguration: { CommonAttributes: [{ AttributeName: 'env', AttributeValue: 'test' }, { AttributeName: 'team', AttributeValue: 'data' }] },
    }), ctx);
    const records = jsonRecords(25);
    const out = await sink.send(sinkRequest(records, { batchId: 'b-1' }));
    expect(perRecord(out, 25).every((o) => o.status === 'delivered')).toBe(true);
    expect(receiver.deliveries).toHaveLength(1);
    const d = receiver.deliveries[0];
    expect(d.problems).toEqual([]);
    expect(d.requestId).toBe(requestIdFor('b-1'));
    expect(d.headers['x-amz-firehose-source-arn']).toBe(TEST_SOURCE_ARN);
    expect(d.headers['x-amz-firehose-access-key']).toBe('secret-key');
    expect(JSON.parse(String(d.headers['x-amz-firehose-common-attributes']))).toEqual({ commonAttributes: { env: 'test', team: 'data' } });
    expect(d.headers['content-encoding']).toBeUndefined();
    expect(d.records.map(String)).toEqual(records.map((r) => String(r.data)));
  });

  it('gzips the whole body when asked and the receiver decodes it', async () => {
    sink = createHttpEndpointSink(config(receiver.url, { RequestConfiguration: { ContentEncoding: 'GZIP' } }), ctx);
    const records = jsonRecords(50);
    expect(perRecord(await sink.send(sinkRequest(records)), 50)[0].status).toBe('delivered');
    const d = receiver.deliveries[0];
    expect(d.gzip).toBe(true);
    expect(d.problems).toEqual([]);
    expect(d.records.map(String)).toEqual(records.map((r) => String(r.data)));
  });

  it('keeps the same requestId on every attempt of a batch', async () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    receiver.enqueue({ kind: 'status', status: 500, errorMessage: 'try later' }, { kind: 'wrong-request-id' }, { kind: 'status', status: 503 });
    const records = jsonRecords(3);
    const outcomes = [];
    for (let attempt = 1; attempt <= 4; attempt++) outcomes.push(perRecord(await sink.send(sinkRequest(records, { batchId: 'same-batch', attempt })), 3)[0]);
    expect(outcomes.map((o) => o.status)).toEqual(['retryable', 'retryable', 'retryable', 'delivered']);
    expect(outcomes[0]).toMatchObject({ errorCode: 'HttpEndpoint.DestinationException', errorMessage: expect.stringContaining('500') });
    expect(outcomes[0]).toMatchObject({ errorMessage: expect.stringContaining('try later') });
    expect(outcomes[1]).toMatchObject({ errorCode: 'HttpEndpoint.InvalidResponseFromDestination' });
    const ids = new Set(receiver.deliveries.map((d) => d.headers['x-amz-firehose-request-id']));
    expect(ids).toEqual(new Set([requestIdFor('same-batch')]));
    expect(receiver.deliveries).toHaveLength(4);
  });

  it('rejects on 413 (never retried) and reports the endpoint response', async () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    receiver.enqueue({ kind: 'status', status: 413, errorMessage: 'batch too large' });
    const o = perRecord(await sink.send(sinkRequest(jsonRecords(2))), 2);
    expect(o[0]).toMatchObject({ status: 'rejected', errorCode: 'HttpEndpoint.DestinationException', errorMessage: expect.stringContaining('413') });
  });

  it.each([
    [{ kind: 'malformed-json' } as const, 'not JSON'],
    [{ kind: 'string-timestamp' } as const, 'timestamp must be a number'],
    [{ kind: 'no-content-type' } as const, 'Content-Type is missing'],
    [{ kind: 'wrong-request-id' } as const, 'is not the request'],
  ])('treats a 200 with %j as a retryable invalid response', async (behavior, reason) => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    receiver.enqueue(behavior);
    const o = perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0];
    expect(o).toMatchObject({ status: 'retryable', errorCode: 'HttpEndpoint.InvalidResponseFromDestination', errorMessage: expect.stringContaining(reason) });
  });

  it('passes Retry-After of a 429 on to the driver', async () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    receiver.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0]).toMatchObject({ status: 'retryable', retryAfterMs: 7000 });
  });

  it('classifies a hanging endpoint as RequestTimeout and a reset as ConnectionReset', async () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx, { timeoutMs: 300 });
    receiver.enqueue({ kind: 'hang' }, { kind: 'reset' });
    const hang = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => sink.classify!(e));
    expect(hang).toMatchObject({ status: 'retryable', errorCode: 'HttpEndpoint.RequestTimeout' });
    const reset = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => sink.classify!(e));
    expect(reset).toMatchObject({ status: 'retryable', errorCode: 'HttpEndpoint.ConnectionReset' });
  });

  it('classifies a refused connection as ConnectionFailed', async () => {
    sink = createHttpEndpointSink(config('http://127.0.0.1:1/nothing-here'), ctx);
    const err = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(classifyHttpEndpointError(err)).toMatchObject({ status: 'retryable', errorCode: 'HttpEndpoint.ConnectionFailed' });
  });

  it('gives up at once when the attempt is aborted', async () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    receiver.enqueue({ kind: 'hang' });
    const ac = new AbortController();
    const pending = sink.send(sinkRequest(jsonRecords(1), { signal: ac.signal }));
    ac.abort();
    const err = await pending.then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: 'HttpEndpoint.RequestAborted' });
  });

  it('names the record in failed-record fields', () => {
    sink = createHttpEndpointSink(config(receiver.url), ctx);
    expect(sink.failedRecordFields!(jsonRecords(1)[0])).toEqual({ dataId: '49577193928114147339600778471082492393164139877200035842.0' });
  });

  it('builds a gzip body that decodes to the spec JSON', async () => {
    const { buildHttpEndpointRequest } = await import('../../sinks/http-endpoint/index.js');
    const cfg = resolveHttpEndpointConfig(config('https://x.example', { RequestConfiguration: { ContentEncoding: 'GZIP' } }));
    const req = await buildHttpEndpointRequest(cfg, 'b', jsonRecords(2), { timestamp: 1578090901599, sourceArn: TEST_SOURCE_ARN });
    expect(JSON.parse(gunzipSync(req.body).toString())).toEqual({
      requestId: req.requestId, timestamp: 1578090901599,
      records: jsonRecords(2).map((r) => ({ data: r.data.toString('base64') })),
    });
  });
});
