// The two Kinesis targets of bench/kinesis.mjs, each in its own child process on a port the
// process picks itself (port 0) and reports on stdout:
//   hydrant     `node bin/hydrant.js serve --port 0 --data-dir <dir>` with per-shard limits off
//               (HYDRANT_KINESIS_SHARD_LIMITS=off); the port is read from the "listening" log line.
//   kinesalite  bench/lib/kinesalite-server.mjs (in memory); the port is read from its first line.
// Every child is killed when this process exits, however it exits.
import { spawn } from 'node:child_process';
import { track } from './children.mjs';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';

export const HYDRANT_BIN = join(import.meta.dirname, '..', '..', 'bin', 'hydrant.js');
export const HYDRANT_MAIN = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const KINESALITE_SERVER = join(import.meta.dirname, 'kinesalite-server.mjs');

export function hydrantBuilt() {
  return existsSync(HYDRANT_MAIN);
}


/** The environment without AWS_ENDPOINT_URL* and with `extra` on top. */
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  return env;
}

/**
 * Spawn `node <args>`, copy its output to `logFile`, and resolve once a line of its output
 * matches `portPattern` (first group: the port).
 */
export function startChild({ name, args, env, logFile, portPattern, timeoutMs = 30_000 }) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  const tail = [];
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  const logTail = () => tail.join('\n');

  return new Promise((resolve, reject) => {
    let pending = '';
    let found = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report its port within ${timeoutMs} ms; output:\n${logTail()}`));
    }, timeoutMs);
    const onData = (chunk) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        const match = found ? null : portPattern.exec(line);
        if (!match) continue;
        found = true;
        clearTimeout(timer);
        const port = Number(match[1]);
        resolve({
          name,
          pid: child.pid,
          port,
          endpoint: `http://127.0.0.1:${port}`,
          logTail,
          get exited() { return exited; },
          async stop() {
            if (!exited) {
              child.kill('SIGTERM');
              const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
              await exit;
              clearTimeout(force);
            }
            await new Promise((done) => log.end(done));
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exit.then((result) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${JSON.stringify(result)}) before it listened; output:\n${logTail()}`));
    });
  });
}

/** Hydrant on a fresh data dir; `fsync: false` trades its durability for speed (HYDRANT_FSYNC). */
export function startHydrantChild({ bin = HYDRANT_BIN, dataDir, logFile, fsync = true }) {
  return startChild({
    name: 'hydrant',
    args: [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
    env: childEnv({ HYDRANT_KINESIS_SHARD_LIMITS: 'off', HYDRANT_LOG_LEVEL: 'info', HYDRANT_FSYNC: fsync ? 'true' : 'false' }),
    logFile,
    portPattern: /"endpoint":"http:\/\/127\.0\.0\.1:(\d+)"/,
  });
}

export function startKinesaliteChild({ logFile }) {
  return startChild({
    name: 'kinesalite',
    args: [KINESALITE_SERVER, '--port', '0'],
    env: childEnv({}),
    logFile,
    portPattern: /^\{"listening":(\d+)\}$/,
  });
}
