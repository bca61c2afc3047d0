import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { tempDir, waitFor } from './util.js';

/**
 * A redis-server of the test's own (the binary scripts/services.sh installs), on a free port
 * with its data in a temp dir and AOF `appendfsync always`: a test may kill and restart it,
 * which it must never do to the shared server.
 */
export interface PrivateRedis {
  readonly url: string;
  /** SIGKILL the server (no shutdown save; only what the AOF fsynced survives). */
  kill(): Promise<void>;
  /** Start it again on the same port and data dir; resolves once it answers PING. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await tempDir('redis-aof');
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--appendonly', 'yes',
      '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
    await waitFor(async () => {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    }, 20_000, 50);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      await dir.remove();
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}
