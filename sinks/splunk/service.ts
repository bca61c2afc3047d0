/** The calls of the Splunk sink: send a HEC request, query indexer acks, check HEC health. */
import { HttpAgents, httpCall, type HttpCallResponse } from '../common/http-call.js';
import type { HecRequest } from './request.js';
import { hecUrl } from './request.js';
import { parseHecAnswer } from './retry.js';

/** Per HTTP request to HEC (acks are waited for separately). */
export const HEC_REQUEST_TIMEOUT_MS = 60_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class HecService {
  private readonly agents = new HttpAgents();

  constructor(private readonly endpoint: URL, private readonly token: string, readonly channel: string, private readonly timeoutMs = HEC_REQUEST_TIMEOUT_MS) {}

  private headers(contentType: string, length: number): Record<string, string> {
    return {
      authorization: `Splunk ${this.token}`,
      'x-splunk-request-channel': this.channel,
      'content-type': contentType,
      'content-length': String(length),
    };
  }

  send(req: HecRequest, signal: AbortSignal): Promise<HttpCallResponse> {
    return httpCall({ url: req.url, headers: this.headers(req.contentType, req.body.length), body: req.body, timeoutMs: this.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, signal }, this.agents);
  }

  /** `POST /services/collector/ack?channel=…` → `{ "<id>": bool }`; throws on anything but a 200 with that shape. */
  async queryAcks(ids: number[], signal: AbortSignal): Promise<Record<string, boolean>> {
    const body = JSON.stringify({ acks: ids });
    const res = await httpCall({ url: hecUrl(this.endpoint, 'ack', this.channel), headers: this.headers('application/json', Buffer.byteLength(body)), body, timeoutMs: this.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, signal }, this.agents);
    const parsed = parseHecAnswer(res.body) as { acks?: Record<string, boolean>; text?: string; code?: number } | undefined;
    if (res.status !== 200 || typeof parsed?.acks !== 'object') throw new Error(`ack query answered ${res.status}: ${parsed?.text ?? res.body.toString('utf8').slice(0, 200)}`);
    return parsed.acks;
  }

  /** `GET /services/collector/health` with the token: resolves when HEC says it is healthy (code 17). */
  async health(signal: AbortSignal): Promise<void> {
    const res = await httpCall({ url: hecUrl(this.endpoint, 'health'), method: 'GET', headers: { authorization: `Splunk ${this.token}` }, timeoutMs: this.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, signal }, this.agents);
    const answer = parseHecAnswer(res.body);
    if (res.status !== 200 || (answer?.code !== undefined && answer.code !== 17)) throw new Error(`HEC is not healthy: ${res.status} ${answer?.text ?? ''} (code ${answer?.code ?? 'none'})`);
  }

  close(): void {
    this.agents.destroy();
  }
}
