/** The example sink's own tests, and the conformance suite run against a small webhook server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSinkConformance } from '../../../src/testing/vitest.js';
import { resolvePluginDestination } from '../../../src/plugins/index.js';
import webhook from './index.js';

interface Hook {
  url: string;
  received: { headers: Record<string, unknown>; records: { id: string; data: string }[] }[];
  mode: 'ok' | 'down' | 'per-record' | 'bad-request';
  server: Server;
}

async function startHook(): Promise<Hook> {
  const hook = { received: [], mode: 'ok' } as unknown as Hook;
  hook.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hook.mode === 'down') {
        res.writeHead(503, { 'retry-after': '2' }).end('maintenance');
        return;
      }
      if (req.method !== 'POST') return void res.writeHead(204).end();
      if (hook.mode === 'bad-request') return void res.writeHead(400).end('schema mismatch');
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { records: { id: string; data: string }[] };
      hook.received.push({ headers: req.headers, records: body.records });
      const results = hook.mode === 'per-record' ? body.records.map((_, i) => (i === 0 ? { ok: false, retry: true } : i === 1 ? { ok: false, error: 'bad' } : { ok: true })) : undefined;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(results ? { results } : {}));
    });
  });
  await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/hook`;
  return hook;
}

const ctx = { deliveryStreamName: 'hooks', deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/hooks' };
const s3 = { RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::backup' };

describe('webhook example sink', () => {
  let hook: Hook;
  beforeAll(async () => {
    hook = await startHook();
  });
  afterAll(() => new Promise<void>((r) => hook.server.close(() => r())));

  it('is loaded by path and its options are validated at create time', async () => {
    const resolved = await resolvePluginDestination({ Module: './index.ts', Options: { url: hook.url, token: 't0k3n' }, S3Configuration: s3 }, { baseDir: import.meta.dirname });
    expect(resolved.plugin.name).toBe('webhook');
    expect(resolved.options).toEqual({ url: hook.url, token: 't0k3n', timeoutMs: 10_000 });
    expect(resolved.buffering).toEqual({ SizeInMBs: 1, IntervalInSeconds: 10 });
    await expect(resolvePluginDestination({ Module: './index.ts', Options: { url: 'ftp://x' }, S3Configuration: s3 }, { baseDir: import.meta.dirname }))
      .rejects.toMatchObject({ type: 'InvalidArgumentException', message: 'HydrantPluginDestinationConfiguration.Options.url must match ^https?://.' });
  });

  it('sends an idempotency key and the bearer token; per-record results become per-record outcomes', async () => {
    const sink = await webhook.create({ url: hook.url, token: 'abc', timeoutMs: 5000 }, ctx);
    hook.mode = 'per-record';
    const records = [0, 1, 2].map((i) => ({ recordId: `r${i}`, data: Buffer.from(`d${i}`), arrivedAt: 1 }));
    const out = await sink.send({ batchId: 'batch-7', attempt: 1, records, signal: new AbortController().signal });
    expect((out as { status: string }[]).map((o) => o.status)).toEqual(['retryable', 'rejected', 'delivered']);
    expect(hook.received.at(-1)!.headers).toMatchObject({ 'idempotency-key': 'batch-7', authorization: 'Bearer abc' });
    hook.mode = 'bad-request';
    expect(await sink.send({ batchId: 'b', attempt: 1, records, signal: new AbortController().signal })).toMatchObject({ status: 'rejected', errorCode: 'Webhook.400' });
    hook.mode = 'down';
    expect(await sink.send({ batchId: 'b', attempt: 1, records, signal: new AbortController().signal })).toMatchObject({ status: 'retryable', retryAfterMs: 2000 });
    hook.mode = 'ok';
  });
});

let conformanceHook: Hook;
describeSinkConformance('webhook', async () => {
  conformanceHook ??= await startHook();
  return {
    create: () => webhook.create({ url: conformanceHook.url, timeoutMs: 5000 }, ctx),
    delivered: () => conformanceHook.received.flatMap((r) => r.records.map((x) => Buffer.from(x.data, 'base64'))),
    reset: () => {
      conformanceHook.received.length = 0;
      conformanceHook.mode = 'ok';
    },
    breakDestination: () => {
      conformanceHook.mode = 'down';
    },
    restore: () => {
      conformanceHook.mode = 'ok';
    },
  };
});
afterAll(() => conformanceHook && new Promise<void>((r) => conformanceHook.server.close(() => r())));
