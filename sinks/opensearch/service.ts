/** The one call of the OpenSearch sink, through the official client (retries off: the driver owns them). */
import { Client, errors } from '@opensearch-project/opensearch';
import type { ResolvedOpenSearchConfig } from './config.js';

/** Per bulk request. */
export const OPENSEARCH_REQUEST_TIMEOUT_MS = 120_000;

export class OpenSearchService {
  private readonly client: Client;
  private closing: Promise<void> | undefined;

  constructor(cfg: ResolvedOpenSearchConfig, opts: { requestTimeoutMs?: number } = {}) {
    this.client = new Client({
      node: cfg.endpoint.toString(),
      auth: cfg.auth,
      maxRetries: 0,
      requestTimeout: opts.requestTimeoutMs ?? OPENSEARCH_REQUEST_TIMEOUT_MS,
      sniffOnStart: false,
      compression: undefined,
    });
  }

  /** `POST /_bulk` with an NDJSON body; resolves with the parsed response body (throws the client's errors). */
  async bulk(body: Buffer, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw new errors.RequestAbortedError('the attempt was aborted before it started', undefined as never);
    // The client takes a pre-built NDJSON Buffer as is (its types only describe the array form).
    const call = this.client.bulk({ body: body as unknown as Parameters<Client['bulk']>[0]['body'] }, { headers: { 'content-type': 'application/x-ndjson' } });
    const abort = () => call.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      return (await call).body;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** `GET /`: cluster information. */
  async info(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new errors.RequestAbortedError('the health check was aborted before it started', undefined as never);
    const call = this.client.info();
    const abort = () => call.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await call;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Close the client's connections (idempotent). */
  close(): Promise<void> {
    this.closing ??= this.client.close();
    return this.closing;
  }
}
