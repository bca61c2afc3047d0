import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { pino } from 'pino';
import { startHydrant, type RunningHydrant } from '../../src/app.js';
import type { HydrantConfig } from '../../src/config/config.js';

import { tempDir, waitFor } from './util.js';

export { tempDir, waitFor };

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** An in-process Hydrant on a random port with its own data dir (removed by `stop`). */
export async function startTestHydrant(config: HydrantConfig = {}, opts: { now?: () => number } = {}): Promise<RunningHydrant & { dataDir: string; stop(): Promise<void> }> {
  const dir = config.dataDir ? undefined : await tempDir();
  const dataDir = config.dataDir ?? dir!.path;
  const node = await startHydrant({ port: 0, host: '127.0.0.1', ...config, dataDir }, {
    logger: pino({ level: process.env.HYDRANT_TEST_LOG_LEVEL ?? 'silent' }),
    defaultMetrics: false,
    now: opts.now,
  });
  return Object.assign(node, {
    dataDir,
    stop: async () => {
      await node.close();
      await dir?.remove();
    },
  });
}

export function firehoseClient(endpoint: string, credentials = TEST_CREDENTIALS, opts: { maxAttempts?: number } = {}): FirehoseClient {
  return new FirehoseClient({ endpoint, region: 'us-east-1', credentials, ...opts });
}

/**
 * A Kinesis client as users make it: the SDK's default handler speaks HTTP/2 (h2c on http://);
 * `http1` switches to the HTTP/1.1 handler most other SDKs use.
 */
export function kinesisClient(endpoint: string, opts: { http1?: boolean; maxAttempts?: number; credentials?: typeof TEST_CREDENTIALS } = {}): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: opts.credentials ?? TEST_CREDENTIALS,
    maxAttempts: opts.maxAttempts ?? 1,
    ...(opts.http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

/** Hydrant as a child process (`node bin/hydrant.js serve`), for crash and signal tests. */
export interface ChildHydrant {
  proc: ChildProcess;
  port: number;
  endpoint: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnHydrant(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildHydrant> {
  const proc = spawn(process.execPath, ['bin/hydrant.js', 'serve', '--host', '127.0.0.1', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { ...process.env, HYDRANT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await waitFor(() => {
    const m = /"endpoint":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
    if (proc.exitCode !== null) throw new Error(`hydrant exited early: ${out}`);
    return m ? Number(m[1]) : undefined;
  }, 30_000, 20);
  return { proc, port, endpoint: `http://127.0.0.1:${port}`, output: () => out, exited };
}
