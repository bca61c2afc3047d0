/**
 * The Splunk HEC sink: one HEC request per attempt, then (as Firehose requires) the indexer
 * acknowledgement: the attempt resolves delivered only when HEC acks the request within
 * HECAcknowledgmentTimeoutInSeconds, and retryable `Splunk.AckTimeout` otherwise. Retries and
 * the S3 backup under `splunk-failed/` belong to the delivery driver.
 */
import { randomUUID } from 'node:crypto';
import type { SinkContext } from '../../src/core/plugin-api.js';
import { delivered, retryable, type FailedOutcome, type RecordOutcome, type Sink, type SinkRecord, type SinkRequest, type SinkResult } from '../../src/core/sink.js';
import { HttpCallError } from '../common/http-call.js';
import { AckPoller, type AckScheduler } from './ack.js';
import { resolveSplunkConfig, type ResolvedSplunkConfig, type SplunkDestinationConfiguration } from './config.js';
import { buildHecRequest } from './request.js';
import { ACK_TIMEOUT_MESSAGE, classifyHecResponse, classifySplunkError, SPLUNK_ERRORS } from './retry.js';
import { HecService } from './service.js';

export * from './config.js';
export { buildHecRequest, eventProblem, hecUrl, type HecRequest } from './request.js';
export { ACK_TIMEOUT_MESSAGE, classifyHecResponse, classifySplunkError, hecFailure, SPLUNK_ERRORS, type HecVerdict } from './retry.js';
export { AckPoller, realScheduler, type AckScheduler, type AckPollerOptions } from './ack.js';

export interface SplunkSinkOptions {
  /** The data channel GUID (default: a new one per sink). */
  channel?: string;
  /** Between two ack polls (default 1,000 ms). */
  ackPollIntervalMs?: number;
  /** Requests whose acks may be pending at once (default 1,000); further sends wait. */
  maxPendingAcks?: number;
  /**
   * Require indexer acknowledgement (default true, as Firehose: a HEC token without it fails
   * with Splunk.DisabledAck). false counts HEC's 200 as delivered when no ackId comes back.
   */
  requireAck?: boolean;
  /** Per HTTP request to HEC (default 60,000 ms). */
  requestTimeoutMs?: number;
  /** Clock and sleep of the ack poller (tests). */
  scheduler?: AckScheduler;
}

class SplunkSink implements Sink {
  private readonly service: HecService;
  private readonly acks: AckPoller;

  constructor(private readonly cfg: ResolvedSplunkConfig, private readonly ctx: SinkContext, private readonly opts: SplunkSinkOptions) {
    this.service = new HecService(cfg.endpoint, cfg.token, opts.channel ?? randomUUID(), opts.requestTimeoutMs);
    this.acks = new AckPoller((ids, signal) => this.service.queryAcks(ids, signal), {
      intervalMs: opts.ackPollIntervalMs,
      maxPending: opts.maxPendingAcks,
      scheduler: opts.scheduler,
      onPollError: (err) => ctx.logger?.warn({ err, deliveryStream: ctx.deliveryStreamName }, 'HEC indexer-acknowledgement query failed'),
    });
  }

  /** The channel this sink sends on. */
  get channel(): string {
    return this.service.channel;
  }

  async send(req: SinkRequest): Promise<SinkResult> {
    const hec = buildHecRequest(this.cfg, req.records, this.service.channel);
    if (hec.sent.length === 0) return req.records.map((_, i) => hec.refused.get(i)!);
    const release = await this.acks.slot(req.signal);
    let outcome: RecordOutcome;
    let invalid: number | undefined;
    try {
      const verdict = classifyHecResponse(await this.service.send(hec, req.signal), (this.ctx.now ?? Date.now)());
      if (verdict.kind === 'failed') {
        outcome = verdict.outcome;
        invalid = verdict.invalidEventNumber;
      } else if (verdict.ackId === undefined) {
        outcome = this.opts.requireAck === false ? delivered : retryable(SPLUNK_ERRORS.disabledAck, 'HEC accepted the request without an ackId: enable indexer acknowledgement on the HEC token.');
      } else {
        const r = await this.acks.wait(verdict.ackId, this.cfg.ackTimeoutSeconds * 1000, req.signal);
        if (r === 'aborted') throw new HttpCallError('aborted', 'the attempt was aborted while waiting for the indexer acknowledgement');
        outcome = r === 'acked' ? delivered : retryable(SPLUNK_ERRORS.ackTimeout, ACK_TIMEOUT_MESSAGE);
      }
    } finally {
      release();
    }
    if (hec.refused.size === 0 && invalid === undefined) return outcome;
    // Per record: refused ones, the event HEC named as invalid, and the rest sharing the request's fate
    // (re-sent without the invalid event when HEC refused the request because of it).
    const badIndex = invalid !== undefined ? hec.sent[invalid] : undefined;
    const others: RecordOutcome = badIndex !== undefined && outcome.status === 'rejected'
      ? retryable(outcome.errorCode, `${outcome.errorMessage} (sent again without the invalid event)`)
      : outcome;
    return req.records.map((_, i) => hec.refused.get(i) ?? (i === badIndex ? outcome : others));
  }

  classify(err: unknown): FailedOutcome {
    return classifySplunkError(err);
  }

  failedRecordFields(record: SinkRecord): Record<string, unknown> {
    return { EventId: record.recordId };
  }

  healthcheck(signal: AbortSignal): Promise<void> {
    return this.service.health(signal);
  }

  async close(): Promise<void> {
    await this.acks.close();
    this.service.close();
  }
}

/** Build the sink from a configuration (resolved or as the API takes it). */
export function createSplunkSink(cfg: ResolvedSplunkConfig | SplunkDestinationConfiguration, ctx: SinkContext, opts: SplunkSinkOptions = {}): Sink & { readonly channel: string } {
  return new SplunkSink('token' in cfg && cfg.endpoint instanceof URL ? (cfg as ResolvedSplunkConfig) : resolveSplunkConfig(cfg as SplunkDestinationConfiguration), ctx, opts);
}
