// The load generator: `connections` loops, each keeping one PutRecordBatch request in flight
// over a keep-alive agent, until the deadline. Counts only records the server acknowledged.
import http from 'node:http';

const FIREHOSE_HEADERS = {
  'Content-Type': 'application/x-amz-json-1.1',
  'X-Amz-Target': 'Firehose_20150804.PutRecordBatch',
};

function post(agent, port, body, headers) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), latencyMs: performance.now() - started }));
      res.on('error', (error) => resolve({ error, latencyMs: performance.now() - started }));
    });
    req.on('error', (error) => resolve({ error, latencyMs: performance.now() - started }));
    req.end(body);
  });
}

/** How many records of the request were not accepted, or an error message. */
function failedRecords(response, recordsPerRequest) {
  if (response.error) return { error: response.error.message };
  if (response.status !== 200) {
    return { error: `HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 200)}` };
  }
  let parsed;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    return { error: `unparseable response: ${response.body.toString('utf8').slice(0, 200)}` };
  }
  const entries = Array.isArray(parsed.RequestResponses) ? parsed.RequestResponses.length : -1;
  if (entries !== recordsPerRequest) {
    return { error: `RequestResponses has ${entries} entries for ${recordsPerRequest} records` };
  }
  return { failed: Number(parsed.FailedPutCount ?? 0) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `ports`: several nodes of one deployment; connections are spread over them round robin.
 * @param {{ agent: http.Agent, port?: number, ports?: number[], payload: ReturnType<import('./payload.mjs').buildBodies>,
 *           connections: number, durationMs: number }} options
 */
export async function runLoad({ agent, port, ports = [port], payload, connections, durationMs }) {
  const { bodies, recordsPerRequest, payloadBytesPerRequest } = payload;
  const headers = bodies.map((body) => ({ ...FIREHOSE_HEADERS, 'Content-Length': String(body.length) }));
  const bytesPerRecord = payloadBytesPerRequest / recordsPerRequest;
  const result = {
    okRequests: 0, errorRequests: 0, records: 0, failedRecords: 0, payloadBytes: 0,
    latenciesMs: [], firstError: undefined, elapsedMs: 0,
  };
  const started = performance.now();
  const deadline = started + durationMs;

  async function loop(index) {
    let next = index;
    const target = ports[index % ports.length];
    while (performance.now() < deadline) {
      const i = next++ % bodies.length;
      const response = await post(agent, target, bodies[i], headers[i]);
      const outcome = failedRecords(response, recordsPerRequest);
      if (outcome.error !== undefined) {
        result.errorRequests++;
        result.firstError ??= outcome.error;
        if (response.error) await sleep(10); // connection-level failure: do not spin
        continue;
      }
      const accepted = recordsPerRequest - outcome.failed;
      result.okRequests++;
      result.latenciesMs.push(response.latencyMs);
      result.records += accepted;
      result.failedRecords += outcome.failed;
      result.payloadBytes += accepted * bytesPerRecord;
    }
  }

  await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
  result.elapsedMs = performance.now() - started;
  return result;
}
