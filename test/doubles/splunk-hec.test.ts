/** Keeps the HEC double honest: Splunk's own JavaScript logging library talks to it as to Splunk. */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSplunkHec, type SplunkHecDouble } from './splunk-hec.js';

const require = createRequire(import.meta.url);
interface SplunkLoggerLike {
  send(payload: unknown, cb: (err: unknown, resp: { statusCode: number }, body: unknown) => void): void;
  requestOptions: Record<string, unknown>;
  error: (err: unknown, context: unknown) => void;
}
// splunk-logging is CommonJS without types.
const { Logger } = require('splunk-logging') as { Logger: new (config: Record<string, unknown>) => SplunkLoggerLike };

function send(logger: SplunkLoggerLike, payload: unknown): Promise<{ status: number; body: unknown }> {
  logger.error = () => undefined; // its default handler prints HEC errors; the test reads them from the callback
  return new Promise((resolve, reject) => logger.send(payload, (err, resp, body) => (err ? reject(err) : resolve({ status: resp.statusCode, body }))));
}

describe('Splunk HEC double, cross-checked with splunk-logging', () => {
  let hec: SplunkHecDouble;
  beforeAll(async () => {
    hec = await startSplunkHec({ 'good-token': { ack: false }, 'off-token': { ack: false, disabled: true } });
  });
  afterAll(() => hec.stop());

  it('accepts the event envelopes splunk-logging sends to /services/collector/event/1.0', async () => {
    const logger = new Logger({ token: 'good-token', url: hec.url });
    const res = await send(logger, { message: { temperature: '70F', chickenCount: 500 }, metadata: { source: 'chicken coop', sourcetype: 'httpevent', index: 'main', host: 'farm.local' }, severity: 'info' });
    expect(res).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    expect(hec.requests.at(-1)).toMatchObject({ method: 'POST', path: '/services/collector/event/1.0', headers: { authorization: 'Splunk good-token' } });
    const event = hec.indexed().at(-1)!.body as { event: { message: unknown; severity: string }; source: string; index: string };
    expect(event).toMatchObject({ source: 'chicken coop', index: 'main', event: { message: { temperature: '70F', chickenCount: 500 }, severity: 'info' } });
  });

  it('answers splunk-logging with HEC error bodies for bad and disabled tokens', async () => {
    expect(await send(new Logger({ token: 'nope', url: hec.url }), { message: 'x' })).toEqual({ status: 403, body: { text: 'Invalid token', code: 4 } });
    expect(await send(new Logger({ token: 'off-token', url: hec.url }), { message: 'x' })).toEqual({ status: 403, body: { text: 'Token disabled', code: 1 } });
  });

  it('requires a channel and a token with acks for the ack endpoint, as Splunk does', async () => {
    const ack = await startSplunkHec({ t: { ack: true } });
    try {
      const noChannel = await fetch(`${ack.url}/services/collector/event`, { method: 'POST', headers: { authorization: 'Splunk t' }, body: '{"event":"x"}' });
      expect([noChannel.status, await noChannel.json()]).toEqual([400, { text: 'Data channel is missing', code: 10 }]);
      const badChannel = await fetch(`${ack.url}/services/collector/event?channel=abc`, { method: 'POST', headers: { authorization: 'Splunk t' }, body: '{"event":"x"}' });
      expect([badChannel.status, await badChannel.json()]).toEqual([400, { text: 'Invalid data channel', code: 11 }]);
      const ch = '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba';
      const ok = await fetch(`${ack.url}/services/collector/event`, { method: 'POST', headers: { authorization: 'Splunk t', 'x-splunk-request-channel': ch }, body: '{"event":"a"}{"event":"b"}' });
      expect(await ok.json()).toEqual({ text: 'Success', code: 0, ackId: 0 });
      const polled = await fetch(`${ack.url}/services/collector/ack?channel=${ch}`, { method: 'POST', headers: { authorization: 'Splunk t' }, body: '{"acks":[0,1]}' });
      expect(await polled.json()).toEqual({ acks: { 0: true, 1: false } });
      const again = await fetch(`${ack.url}/services/collector/ack?channel=${ch}`, { method: 'POST', headers: { authorization: 'Splunk t' }, body: '{"acks":[0]}' });
      expect(await again.json()).toEqual({ acks: { 0: false } }); // forgotten once reported
      const blank = await fetch(`${ack.url}/services/collector/event`, { method: 'POST', headers: { authorization: 'Splunk t', 'x-splunk-request-channel': ch }, body: '{"event":"a"}{"time":1}' });
      expect(await blank.json()).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 1 });
    } finally {
      await ack.stop();
    }
  });
});
