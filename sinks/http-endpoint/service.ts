/** The one call of the HTTP endpoint sink: POST the request, no redirects, 3-minute deadline, 1 MiB response cap. */
import { HttpAgents, httpCall, type HttpCallResponse } from '../common/http-call.js';
import type { HttpEndpointRequest } from './request.js';

/** AWS gives the endpoint 3 minutes to answer. */
export const HTTP_ENDPOINT_TIMEOUT_MS = 180_000;
/** AWS accepts responses up to 1 MiB. */
export const HTTP_ENDPOINT_MAX_RESPONSE_BYTES = 1024 * 1024;

export class HttpEndpointService {
  private readonly agents = new HttpAgents();

  constructor(private readonly opts: { timeoutMs?: number } = {}) {}

  post(url: URL, req: HttpEndpointRequest, signal: AbortSignal): Promise<HttpCallResponse> {
    return httpCall({
      url,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      timeoutMs: this.opts.timeoutMs ?? HTTP_ENDPOINT_TIMEOUT_MS,
      maxResponseBytes: HTTP_ENDPOINT_MAX_RESPONSE_BYTES,
      signal,
    }, this.agents);
  }

  close(): void {
    this.agents.destroy();
  }
}
