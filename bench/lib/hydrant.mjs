// Hydrant as a benchmark target: start `bin/hydrant.js serve` on a fresh data dir with no S3
// endpoint (S3 destinations then write under <data-dir>/s3/<bucket>/), and create the
// Direct PUT delivery stream the load is sent to.
import { existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { STREAM_NAME } from './payload.mjs';
import { startServer } from './server.mjs';

export const HYDRANT_BIN = join(import.meta.dirname, '..', '..', 'bin', 'hydrant.js');
export const HYDRANT_MAIN = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export function hydrantBuilt() {
  return existsSync(HYDRANT_MAIN);
}

/** The bench's environment without AWS_ENDPOINT_URL* (S3 must go to the local directory). */
function childEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  return env;
}

function call(port, operation, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/', agent: false,
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `Firehose_20150804.${operation}`,
        'Content-Length': String(payload.length),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`${operation}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        else resolve(text === '' ? {} : JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function createStream(port, timeoutMs = 30_000) {
  await call(port, 'CreateDeliveryStream', {
    DeliveryStreamName: STREAM_NAME,
    ExtendedS3DestinationConfiguration: {
      RoleARN: 'arn:aws:iam::123456789012:role/x',
      BucketARN: `arn:aws:s3:::${STREAM_NAME}`,
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
    },
  });
  await waitActive(port, timeoutMs);
}

/** Until the node describes the bench's delivery stream as ACTIVE (another node of a Redis deployment sees it after its catalog sync). */
async function waitActive(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await call(port, 'DescribeDeliveryStream', { DeliveryStreamName: STREAM_NAME }).catch((error) => {
      if (/ResourceNotFound/.test(error.message) && Date.now() < deadline) return {};
      throw error;
    });
    const status = described.DeliveryStreamDescription?.DeliveryStreamStatus;
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`delivery stream ${STREAM_NAME} still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One Hydrant node. `backendArgs` selects the backend (e.g. `--backend redis --redis-url …`);
 * `create` false: the stream was created through another node of the deployment, wait until
 * this one sees it.
 */
export async function startHydrant({ bin = HYDRANT_BIN, port, dataDir, logFile, backendArgs = [], create = true }) {
  const server = await startServer({
    name: 'hydrant',
    args: [bin, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, ...backendArgs],
    env: childEnv(),
    port,
    logFile,
  });
  try {
    if (create) await createStream(port);
    else await waitActive(port);
  } catch (error) {
    await server.stop();
    throw new Error(`${error.message}\nhydrant log:\n${server.logTail()}`, { cause: error });
  }
  return server;
}

/** Bytes Hydrant has delivered to the local S3 bucket directory so far. */
export function deliveredBytes(dataDir) {
  let total = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) total += statSync(path).size;
    }
  };
  const bucket = join(dataDir, 's3', STREAM_NAME);
  if (existsSync(bucket)) walk(bucket);
  return total;
}
