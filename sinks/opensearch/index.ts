/**
 * The OpenSearch (and Elasticsearch) sink: one `_bulk` request per attempt, one outcome per
 * document. A retry carries only the documents that were retryable, with the same ids, so
 * documents that landed are not sent twice. The driver retries and writes what is left to S3
 * under `AmazonOpenSearchService-failed/` (or `elasticsearch-failed/`).
 */
import type { SinkContext } from '../../src/core/plugin-api.js';
import type { FailedOutcome, RecordOutcome, Sink, SinkRecord, SinkRequest, SinkResult } from '../../src/core/sink.js';
import { resolveOpenSearchConfig, type OpenSearchDestinationConfiguration, type OpenSearchFlavor, type ResolvedOpenSearchConfig } from './config.js';
import { buildBulkRequest, documentTarget } from './request.js';
import { bulkOutcomes, classifyOpenSearchError } from './retry.js';
import { OpenSearchService } from './service.js';

export * from './config.js';
export { buildBulkRequest, documentTarget, sourceLine, type BulkRequest } from './request.js';
export { bulkOutcomes, classifyBulkFailure, classifyBulkItem, classifyOpenSearchError, OPENSEARCH_ERRORS, type BulkItemResult } from './retry.js';

export interface OpenSearchSinkOptions {
  /** Per bulk request (default 120,000 ms). */
  requestTimeoutMs?: number;
}

class OpenSearchSink implements Sink {
  private readonly service: OpenSearchService;

  constructor(private readonly cfg: ResolvedOpenSearchConfig, opts: OpenSearchSinkOptions) {
    this.service = new OpenSearchService(cfg, opts);
  }

  async send(req: SinkRequest): Promise<SinkResult> {
    const bulk = buildBulkRequest(this.cfg, req.records);
    if (bulk.sent.length === 0) return req.records.map((_, i) => bulk.refused.get(i)!);
    const outcomes = bulkOutcomes(await this.service.bulk(bulk.body, req.signal), bulk.sent.length);
    if (!Array.isArray(outcomes) && bulk.refused.size === 0) return outcomes;
    const out: RecordOutcome[] = new Array(req.records.length);
    for (const [i, o] of bulk.refused) out[i] = o;
    bulk.sent.forEach((orig, k) => (out[orig] = Array.isArray(outcomes) ? outcomes[k] : outcomes as RecordOutcome));
    return out;
  }

  classify(err: unknown): FailedOutcome {
    return classifyOpenSearchError(err);
  }

  failedRecordFields(record: SinkRecord): Record<string, unknown> {
    const t = documentTarget(this.cfg, record);
    return { esDocumentId: t.id, esIndexName: t.index, esTypeName: t.type };
  }

  healthcheck(signal: AbortSignal): Promise<void> {
    return this.service.info(signal);
  }

  close(): Promise<void> {
    return this.service.close();
  }
}

/** Build the sink from a configuration (resolved, or as the API takes it with its flavor). */
export function createOpenSearchSink(cfg: ResolvedOpenSearchConfig | OpenSearchDestinationConfiguration, _ctx: SinkContext, opts: OpenSearchSinkOptions & { flavor?: OpenSearchFlavor } = {}): Sink {
  const resolved = 'endpoint' in cfg && cfg.endpoint instanceof URL ? cfg as ResolvedOpenSearchConfig : resolveOpenSearchConfig(cfg as OpenSearchDestinationConfiguration, opts.flavor);
  return new OpenSearchSink(resolved, opts);
}
