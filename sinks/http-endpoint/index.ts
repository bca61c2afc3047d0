/**
 * The HTTP endpoint sink: one Firehose-spec POST per attempt; every record of the request shares
 * its outcome. Retries (with the same request id, derived from the batch identity) and the S3
 * backup of what is left belong to the delivery driver.
 */
import type { SinkContext } from '../../src/core/plugin-api.js';
import type { FailedOutcome, Sink, SinkRecord, SinkRequest, SinkResult } from '../../src/core/sink.js';
import { resolveHttpEndpointConfig, type HttpEndpointDestinationConfiguration, type ResolvedHttpEndpointConfig } from './config.js';
import { buildHttpEndpointRequest } from './request.js';
import { classifyHttpEndpointError, classifyHttpEndpointResponse } from './retry.js';
import { HttpEndpointService } from './service.js';

export * from './config.js';
export { buildHttpEndpointRequest, requestIdFor, FIREHOSE_PROTOCOL_VERSION, type HttpEndpointRequest } from './request.js';
export { classifyHttpEndpointError, classifyHttpEndpointResponse, invalidResponseReason, HTTP_ENDPOINT_ERRORS } from './retry.js';
export { HTTP_ENDPOINT_TIMEOUT_MS, HTTP_ENDPOINT_MAX_RESPONSE_BYTES } from './service.js';

export interface HttpEndpointSinkOptions {
  /** Response deadline per attempt (default 180,000 ms, as AWS). */
  timeoutMs?: number;
}

class HttpEndpointSink implements Sink {
  private readonly service: HttpEndpointService;

  constructor(private readonly cfg: ResolvedHttpEndpointConfig, private readonly ctx: SinkContext, opts: HttpEndpointSinkOptions) {
    this.service = new HttpEndpointService(opts);
  }

  async send(req: SinkRequest): Promise<SinkResult> {
    const now = this.ctx.now ?? Date.now;
    const request = await buildHttpEndpointRequest(this.cfg, req.batchId, req.records, { timestamp: now(), sourceArn: this.ctx.deliveryStreamArn });
    const res = await this.service.post(this.cfg.url, request, req.signal);
    return classifyHttpEndpointResponse(res, request.requestId, now());
  }

  classify(err: unknown): FailedOutcome {
    return classifyHttpEndpointError(err);
  }

  failedRecordFields(record: SinkRecord): Record<string, unknown> {
    return { dataId: record.recordId };
  }

  async close(): Promise<void> {
    this.service.close();
  }
}

/** Build the sink from a resolved configuration (see `resolveHttpEndpointConfig`). */
export function createHttpEndpointSink(cfg: ResolvedHttpEndpointConfig | HttpEndpointDestinationConfiguration, ctx: SinkContext, opts: HttpEndpointSinkOptions = {}): Sink {
  const resolved = 'url' in cfg ? cfg : resolveHttpEndpointConfig(cfg);
  return new HttpEndpointSink(resolved, ctx, opts);
}
