/**
 * Example sink plugin: POST each batch as JSON to a webhook.
 *
 * Request: `POST <url>` with `Authorization: Bearer <token>` (when set), `Idempotency-Key: <batchId>`
 * (the same on every retry of a batch) and the body
 * `{"records":[{"id": recordId, "arrivedAt": ms, "data": base64}]}`.
 * Response: any 2xx delivers every record; a 2xx body `{"results":[{"ok":true}|{"ok":false,"retry":true|false,"error":"..."}]}`
 * gives one outcome per record; 429 and 5xx are retryable (honouring Retry-After); other 4xx are
 * rejected (the records go to the S3 backup).
 *
 * Outside this repository the import is `from 'hydrant'`; compile to JavaScript and name the
 * file in `HydrantPluginDestinationConfiguration.Module`.
 */
import { defineSink, delivered, rejected, retryable, type RecordOutcome, type Sink, type SinkRequest, type SinkResult } from '../../../src/index.js';

export interface WebhookOptions {
  url: string;
  token?: string;
  timeoutMs: number;
}

function retryAfter(header: string | null): number | undefined {
  const s = header === null ? NaN : Number(header);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

class WebhookSink implements Sink {
  constructor(private readonly opts: WebhookOptions) {}

  async send(req: SinkRequest): Promise<SinkResult> {
    const body = JSON.stringify({ records: req.records.map((r) => ({ id: r.recordId, arrivedAt: r.arrivedAt, data: r.data.toString('base64') })) });
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': req.batchId,
        ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([req.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
    });
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return perRecord(text, req.records.length);
    const message = `${res.status}: ${text.slice(0, 512)}`;
    if (res.status === 429 || res.status >= 500) return retryable(`Webhook.${res.status}`, message, retryAfter(res.headers.get('retry-after')));
    return rejected(`Webhook.${res.status}`, message);
  }

  classify(err: unknown): ReturnType<typeof retryable> {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError') return retryable('Webhook.Timeout', 'the webhook did not answer in time');
    if (name === 'AbortError') return retryable('Webhook.Aborted', 'the attempt was aborted');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return retryable('Webhook.Unreachable', `${err instanceof Error ? err.message : String(err)}${cause}`);
  }

  failedRecordFields(): Record<string, unknown> {
    return { webhookUrl: this.opts.url };
  }

  async healthcheck(signal: AbortSignal): Promise<void> {
    const res = await fetch(this.opts.url, { method: 'OPTIONS', signal });
    if (res.status >= 500) throw new Error(`the webhook answers ${res.status}`);
  }
}

/** A 2xx body with per-record results, or all delivered. */
function perRecord(text: string, n: number): SinkResult {
  let results: unknown;
  try {
    results = (JSON.parse(text) as { results?: unknown }).results;
  } catch {
    return delivered;
  }
  if (!Array.isArray(results) || results.length !== n) return delivered;
  return results.map((r: { ok?: boolean; retry?: boolean; error?: string }): RecordOutcome => {
    if (r?.ok !== false) return delivered;
    return r.retry ? retryable('Webhook.RecordFailed', r.error ?? 'the webhook asked to retry this record') : rejected('Webhook.RecordRejected', r.error ?? 'the webhook rejected this record');
  });
}

export default defineSink<WebhookOptions>({
  name: 'webhook',
  description: 'POSTs batches as JSON to a webhook, with per-record results.',
  configSchema: {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'Where batches are POSTed.', example: 'https://hooks.example.com/in' },
      token: { type: 'string', secret: true, description: 'Sent as a bearer token; never shown by DescribeDeliveryStream.' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 10_000, description: 'Per-attempt deadline.' },
    },
  },
  bufferingDefaults: { SizeInMBs: 1, IntervalInSeconds: 10 },
  create: (options) => new WebhookSink(options),
});
