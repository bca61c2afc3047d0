// Server child processes: spawn, wait for GET /health, read /proc figures, stop.
import { spawn } from 'node:child_process';
import { track } from './children.mjs';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';


export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function healthStatus(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

/**
 * Start `node <args>` with stdout and stderr going to `logFile`, and wait until GET /health
 * on `port` answers 200.
 */
export async function startServer({ name, args, env, port, logFile, timeoutMs = 30_000 }) {
  const logFd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  track(child);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + timeoutMs;
  while ((await healthStatus(port)) !== 200) {
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}) before answering /health; log:\n${logTail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer GET /health on port ${port} within ${timeoutMs} ms; log:\n${logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid,
    port,
    logTail,
    get exited() { return exited; },
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}
