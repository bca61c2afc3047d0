/** Receiving Firehose HTTP endpoint deliveries: the route and its access-key table. */
import type { Route } from '../http/types.js';
import { accessKeysConfigured } from './access-keys.js';
import { firehoseHttpRoute, type FirehoseHttpOptions } from './route.js';

export { accessKeyAllowed, accessKeysConfigured, type FirehoseAccessKeys } from './access-keys.js';
export { firehoseHttpRoute, MAX_FIREHOSE_HTTP_BODY, type FirehoseHttpOptions } from './route.js';

/** The routes `app.ts` registers; logs once whether access keys are checked. */
export function firehoseHttpRoutes(opts: FirehoseHttpOptions): Route[] {
  if (!accessKeysConfigured(opts.accessKeys)) {
    opts.logger.warn('POST /v1/firehose/{deliveryStream} accepts any X-Amz-Firehose-Access-Key (set firehoseHttp.accessKeys or HYDRANT_FIREHOSE_ACCESS_KEYS to check them)');
  }
  return [firehoseHttpRoute(opts)];
}
