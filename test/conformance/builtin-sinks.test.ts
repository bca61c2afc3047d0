/** Every built-in sink passes the exported conformance suite against its protocol double. */
import { afterAll } from 'vitest';
import { createHttpEndpointSink } from '../../sinks/http-endpoint/index.js';
import { createOpenSearchSink } from '../../sinks/opensearch/index.js';
import { createSplunkSink } from '../../sinks/splunk/index.js';
import { describeSinkConformance } from '../../src/testing/vitest.js';
import { startHttpEndpointReceiver, type HttpEndpointReceiver } from '../doubles/http-endpoint-receiver.js';
import { startOpenSearch, type OpenSearchDouble } from '../doubles/opensearch-bulk.js';
import { startSplunkHec, type SplunkHecDouble } from '../doubles/splunk-hec.js';
import { BACKUP_S3, TEST_SOURCE_ARN } from '../helpers/sink.js';

const ctx = { deliveryStreamName: 'conformance', deliveryStreamArn: TEST_SOURCE_ARN };
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

let receiver: HttpEndpointReceiver | undefined;
describeSinkConformance('http-endpoint', async () => {
  if (!receiver) {
    receiver = await startHttpEndpointReceiver({ accessKey: 'k' });
    stops.push(receiver.stop);
  }
  const r = receiver;
  return {
    create: () => createHttpEndpointSink({ EndpointConfiguration: { Url: r.url, AccessKey: 'k' }, RequestConfiguration: { ContentEncoding: 'GZIP' }, S3Configuration: BACKUP_S3 }, ctx),
    delivered: () => r.accepted(),
    reset: () => {
      r.deliveries.length = 0;
      r.always(undefined);
    },
    breakDestination: () => r.always({ kind: 'status', status: 503 }),
    restore: () => r.always(undefined),
  };
});

let hec: SplunkHecDouble | undefined;
describeSinkConformance('splunk', async () => {
  if (!hec) {
    hec = await startSplunkHec({ token: { ack: true } });
    stops.push(hec.stop);
  }
  const h = hec;
  return {
    create: () => createSplunkSink({ HECEndpoint: h.url, HECEndpointType: 'Raw', HECToken: 'token', S3Configuration: BACKUP_S3 }, ctx, { ackPollIntervalMs: 10 }),
    delivered: () => h.indexed().map((e) => Buffer.from(String(e.body))),
    // Raw: HEC breaks the concatenated records into lines.
    sameData: (sent, got) => sent.toString('utf8').trimEnd() === got.toString('utf8'),
    reset: () => {
      h.events.length = 0;
      h.unavailable(false);
    },
    breakDestination: () => h.unavailable(true),
    restore: () => h.unavailable(false),
  };
});

let os: OpenSearchDouble | undefined;
describeSinkConformance('opensearch', async () => {
  if (!os) {
    os = await startOpenSearch();
    stops.push(os.stop);
  }
  const o = os;
  return {
    create: () => createOpenSearchSink({ ClusterEndpoint: o.url, IndexName: 'conformance', IndexRotationPeriod: 'NoRotation', S3Configuration: BACKUP_S3 }, ctx),
    delivered: () => [...o.documents('conformance').values()].map((d) => Buffer.from(JSON.stringify(d.source))),
    sameData: (sent, got) => JSON.stringify(JSON.parse(sent.toString('utf8'))) === got.toString('utf8'),
    reset: () => {
      o.documents('conformance').clear();
      o.unavailable(false);
    },
    breakDestination: () => o.unavailable(true),
    restore: () => o.unavailable(false),
  };
});
