import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSplunkUpdate, createSplunkSink, describeSplunkDestination, hecFailure, hecUrl, resolveSplunkConfig, splunkLimits,
  type SplunkDestinationConfiguration,
} from '../../sinks/splunk/index.js';
import type { Sink } from '../../src/core/sink.js';
import { HEC_ERRORS, startSplunkHec, type SplunkHecDouble } from '../doubles/splunk-hec.js';
import { fakeScheduler, manualScheduler, turns } from '../helpers/fake-scheduler.js';
import { waitFor } from '../helpers/util.js';
import { BACKUP_S3, jsonRecords, perRecord, sinkRequest, TEST_SOURCE_ARN } from '../helpers/sink.js';

const ctx = { deliveryStreamName: 'test-stream', deliveryStreamArn: TEST_SOURCE_ARN };
const TOKEN = '11111111-2222-4333-8444-555555555555';

function config(url: string, extra: Partial<SplunkDestinationConfiguration> = {}): SplunkDestinationConfiguration {
  return { HECEndpoint: url, HECEndpointType: 'Raw', HECToken: TOKEN, S3Configuration: BACKUP_S3, ...extra };
}

describe('Splunk configuration', () => {
  it('applies AWS defaults and the 1-5 MiB / 0-60 s buffering', () => {
    const r = resolveSplunkConfig(config('https://splunk:8088'));
    expect(r).toMatchObject({ type: 'Raw', ackTimeoutSeconds: 180, backupMode: 'FailedEventsOnly', errorOutputType: 'splunk-failed', buffering: { SizeInMBs: 5, IntervalInSeconds: 60 } });
    expect(splunkLimits(r)).toEqual({ maxBytes: 5 * 1024 * 1024, maxRecords: undefined, intervalMs: 60_000 });
  });

  it.each([
    [{ HECAcknowledgmentTimeoutInSeconds: 179 }, 'HECAcknowledgmentTimeoutInSeconds must be an integer from 180 to 600'],
    [{ HECAcknowledgmentTimeoutInSeconds: 601 }, 'HECAcknowledgmentTimeoutInSeconds must be an integer from 180 to 600'],
    [{ BufferingHints: { SizeInMBs: 6, IntervalInSeconds: 60 } }, 'BufferingHints.SizeInMBs must be an integer from 1 to 5'],
    [{ BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 61 } }, 'BufferingHints.IntervalInSeconds must be an integer from 0 to 60'],
    [{ HECEndpointType: 'Json' as never }, 'HECEndpointType must be Raw or Event'],
    [{ HECToken: undefined }, 'HECToken is required'],
    [{ S3BackupMode: 'AllDocuments' }, 'S3BackupMode must be one of FailedEventsOnly, AllEvents'],
  ])('refuses %j naming the field', (extra, message) => {
    expect(() => resolveSplunkConfig(config('https://splunk:8088', extra))).toThrow(expect.objectContaining({ type: 'InvalidArgumentException', message: expect.stringContaining(message) }));
  });

  it('allows FailedEventsOnly → AllEvents and refuses the way back', () => {
    expect(() => checkSplunkUpdate(config('x'), config('x', { S3BackupMode: 'AllEvents' }))).not.toThrow();
    expect(() => checkSplunkUpdate(config('x', { S3BackupMode: 'AllEvents' }), config('x'))).toThrow(/AllEvents to FailedEventsOnly/);
  });

  it('describes the destination without the token', () => {
    const d = describeSplunkDestination(config('https://splunk:8088', { HECAcknowledgmentTimeoutInSeconds: 300 }));
    expect(d).toMatchObject({ HECEndpoint: 'https://splunk:8088', HECEndpointType: 'Raw', HECAcknowledgmentTimeoutInSeconds: 300, S3BackupMode: 'FailedEventsOnly', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } });
    expect(JSON.stringify(d)).not.toContain(TOKEN);
  });

  it('builds collector URLs from the base endpoint', () => {
    expect(hecUrl(new URL('https://s:8088'), 'raw', 'c').toString()).toBe('https://s:8088/services/collector/raw?channel=c');
    expect(hecUrl(new URL('https://s:8088/splunk/services/collector/event'), 'ack').toString()).toBe('https://s:8088/splunk/services/collector/ack');
  });

  it.each([
    [403, 1, 'retryable Splunk.DisabledToken'], [401, 2, 'retryable Splunk.InvalidToken'], [401, 3, 'retryable Splunk.InvalidToken'],
    [403, 4, 'retryable Splunk.InvalidToken'], [400, 5, 'rejected Splunk.InvalidDataFormat'], [400, 6, 'rejected Splunk.InvalidDataFormat'],
    [400, 7, 'rejected Splunk.InvalidIndex'], [500, 8, 'retryable Splunk.ServerError'], [503, 9, 'retryable Splunk.ServerError'],
    [400, 10, 'retryable Splunk.DisabledAck'], [400, 11, 'retryable Splunk.DisabledAck'], [400, 12, 'rejected Splunk.InvalidDataFormat'],
    [400, 13, 'rejected Splunk.InvalidDataFormat'], [400, 14, 'retryable Splunk.DisabledAck'], [400, 15, 'rejected Splunk.InvalidDataFormat'],
    [400, 16, 'retryable Splunk.InvalidToken'], [503, 18, 'retryable Splunk.ServerError'], [503, 23, 'retryable Splunk.ServerError'],
    [429, 26, 'retryable Splunk.ServerError'], [429, 27, 'retryable Splunk.ServerError'], [502, undefined, 'retryable Splunk.ServerError'],
    [404, undefined, 'retryable Splunk.InvalidEndpoint'], [400, undefined, 'rejected Splunk.InvalidDataFormat'],
  ])('HEC %i code %s → %s', (status, code, expected) => {
    const o = hecFailure(status, code, 'text');
    expect(`${o.status} ${o.errorCode}`).toBe(expected);
  });
});

describe('Splunk sink against the HEC double', () => {
  let hec: SplunkHecDouble;
  let sink: Sink;
  beforeAll(async () => {
    hec = await startSplunkHec({ [TOKEN]: { ack: true, indexes: ['main'] }, 'no-ack-token': { ack: false } });
  });
  afterEach(async () => {
    await sink?.close?.();
    hec.events.length = 0;
    hec.requests.length = 0;
    hec.ackMode('grant');
  });
  afterAll(() => hec.stop());

  it('Raw: sends the concatenated records on a GUID channel and counts them delivered once acked', async () => {
    const scheduler = fakeScheduler();
    sink = createSplunkSink(config(hec.url), ctx, { scheduler });
    const records = jsonRecords(10).map((r) => ({ ...r, data: Buffer.concat([r.data, Buffer.from('\n')]) }));
    const out = perRecord(await sink.send(sinkRequest(records)), 10);
    expect(out.every((o) => o.status === 'delivered')).toBe(true);
    expect(hec.indexed().map((e) => e.body)).toEqual(records.map((r) => r.data.toString().trimEnd()));
    const data = hec.requests.find((r) => r.path === '/services/collector/raw')!;
    expect(data.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(String(data.headers['x-splunk-request-channel'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(hec.requests.some((r) => r.path === '/services/collector/ack')).toBe(true);
  });

  it('Event: sends envelopes, rejects records that are not events, and keeps the rest', async () => {
    sink = createSplunkSink(config(hec.url, { HECEndpointType: 'Event' }), ctx, { scheduler: fakeScheduler() });
    const records = jsonRecords(4, { make: (i) => (i === 2 ? { message: 'no envelope' } : { event: { n: i }, sourcetype: '_json', time: 1433188255.5 }) });
    const out = perRecord(await sink.send(sinkRequest(records)), 4);
    expect(out.map((o) => o.status)).toEqual(['delivered', 'delivered', 'rejected', 'delivered']);
    expect(out[2]).toMatchObject({ errorCode: 'Splunk.InvalidDataFormat' });
    expect(hec.indexed().map((e) => (e.body as { event: { n: number } }).event.n)).toEqual([0, 1, 3]);
  });

  it('Event: an index HEC refuses rejects that event only; the others are sent again', async () => {
    sink = createSplunkSink(config(hec.url, { HECEndpointType: 'Event' }), ctx, { scheduler: fakeScheduler() });
    const records = jsonRecords(3, { make: (i) => ({ event: `e${i}`, index: i === 1 ? 'secret' : 'main' }) });
    const first = perRecord(await sink.send(sinkRequest(records)), 3);
    expect(first.map((o) => `${o.status}${'errorCode' in o ? ` ${o.errorCode}` : ''}`)).toEqual(['retryable Splunk.InvalidIndex', 'rejected Splunk.InvalidIndex', 'retryable Splunk.InvalidIndex']);
    const second = perRecord(await sink.send(sinkRequest([records[0], records[2]], { attempt: 2 })), 2);
    expect(second.map((o) => o.status)).toEqual(['delivered', 'delivered']);
    expect(hec.indexed().map((e) => (e.body as { event: string }).event)).toEqual(['e0', 'e2']);
  });

  it('an ack that never comes times out (Splunk.AckTimeout), the batch is re-sent and times out again', async () => {
    const scheduler = fakeScheduler();
    sink = createSplunkSink(config(hec.url, { HECAcknowledgmentTimeoutInSeconds: 180 }), ctx, { scheduler, ackPollIntervalMs: 10_000 });
    hec.ackMode('withhold');
    const records = jsonRecords(3);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const o = perRecord(await sink.send(sinkRequest(records, { attempt })), 3)[0];
      expect(o).toMatchObject({ status: 'retryable', errorCode: 'Splunk.AckTimeout' });
    }
    expect(scheduler.advanced()).toBeGreaterThanOrEqual(2 * 180_000);
    // Both attempts reached HEC (the data was sent again), neither was indexed.
    expect(new Set(hec.events.map((e) => e.ackId))).toEqual(new Set([0, 1]));
    expect(hec.indexed()).toEqual([]);
  });

  it('an ack released later counts the batch delivered', async () => {
    const scheduler = manualScheduler();
    sink = createSplunkSink(config(hec.url), ctx, { scheduler, ackPollIntervalMs: 10_000 });
    hec.ackMode('manual');
    const pending = sink.send(sinkRequest(jsonRecords(2)));
    await waitFor(() => scheduler.sleepers() === 1);
    await scheduler.tick(10_000); // a poll: still false
    await waitFor(() => scheduler.sleepers() === 1);
    hec.releaseAcks();
    await scheduler.tick(10_000);
    expect(perRecord(await pending, 2)[0].status).toBe('delivered');
  });

  it('HEC busy (code 9 / 503) and 500 are retryable; a reset is ConnectionClosed', async () => {
    sink = createSplunkSink(config(hec.url), ctx, { scheduler: fakeScheduler() });
    hec.failNext(HEC_ERRORS.busy, HEC_ERRORS.internal, 'reset');
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0]).toMatchObject({ status: 'retryable', errorCode: 'Splunk.ServerError', errorMessage: expect.stringContaining('code 9') });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0]).toMatchObject({ status: 'retryable', errorCode: 'Splunk.ServerError' });
    const err = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: 'Splunk.ConnectionClosed' });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0].status).toBe('delivered');
  });

  it('HEC that does not answer in time is a retryable Splunk.ConnectionTimeout', async () => {
    sink = createSplunkSink(config(hec.url), ctx, { scheduler: fakeScheduler(), requestTimeoutMs: 300 });
    hec.failNext('hang');
    const err = await sink.send(sinkRequest(jsonRecords(1))).then(() => undefined, (e: unknown) => e);
    expect(sink.classify!(err)).toMatchObject({ status: 'retryable', errorCode: 'Splunk.ConnectionTimeout' });
  });

  it('an invalid token is a retryable Splunk.InvalidToken and fails the health check', async () => {
    sink = createSplunkSink(config(hec.url, { HECToken: 'wrong' }), ctx, { scheduler: fakeScheduler() });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0]).toMatchObject({ status: 'retryable', errorCode: 'Splunk.InvalidToken' });
    await expect(sink.healthcheck!(AbortSignal.timeout(10_000))).rejects.toThrow(/code 21/);
  });

  it('a token without indexer acknowledgement is Splunk.DisabledAck unless acks are not required', async () => {
    sink = createSplunkSink(config(hec.url, { HECToken: 'no-ack-token' }), ctx, { scheduler: fakeScheduler() });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0]).toMatchObject({ status: 'retryable', errorCode: 'Splunk.DisabledAck' });
    await sink.close!();
    sink = createSplunkSink(config(hec.url, { HECToken: 'no-ack-token' }), ctx, { requireAck: false });
    expect(perRecord(await sink.send(sinkRequest(jsonRecords(1))), 1)[0].status).toBe('delivered');
  });

  it('caps pending acks: a send waits for a free slot', async () => {
    const scheduler = manualScheduler();
    sink = createSplunkSink(config(hec.url), ctx, { scheduler, maxPendingAcks: 1, ackPollIntervalMs: 10_000 });
    hec.ackMode('manual');
    const first = sink.send(sinkRequest(jsonRecords(1), { batchId: 'a' }));
    const second = sink.send(sinkRequest(jsonRecords(1), { batchId: 'b' }));
    await waitFor(() => scheduler.sleepers() === 1);
    await turns(20);
    expect(hec.events).toHaveLength(1); // the second request waits for the first one's ack
    hec.releaseAcks();
    await scheduler.tick(10_000);
    expect(perRecord(await first, 1)[0].status).toBe('delivered');
    await waitFor(() => hec.events.length === 2 && scheduler.sleepers() === 1);
    hec.releaseAcks();
    await scheduler.tick(10_000);
    expect(perRecord(await second, 1)[0].status).toBe('delivered');
  });

  it('passes the health check and names EventId in failed records', async () => {
    sink = createSplunkSink(config(hec.url), ctx);
    await sink.healthcheck!(AbortSignal.timeout(10_000));
    expect(sink.failedRecordFields!(jsonRecords(1)[0])).toEqual({ EventId: '49577193928114147339600778471082492393164139877200035842.0' });
  });
});
