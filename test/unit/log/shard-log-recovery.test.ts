import { spawn } from 'node:child_process';
import { mkdir, open as fsOpen, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ts from 'typescript';
import { readdirSync } from 'node:fs';
import { ShardLog } from '../../../src/stream/log/index.js';
import { entry, memoryLogger, range, segmentFiles, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const lastSegment = async () => join(dir, (await segmentFiles(dir)).at(-1)!);

async function writeThenClose(n: number, size = 50, segmentBytes?: number): Promise<void> {
  const log = await ShardLog.open({ dir, fsync: false, logger: memoryLogger(), segmentBytes });
  for (let i = 0; i < n; i++) await log.append([entry(i, size)]);
  await log.close();
}

async function expectIntact(log: ShardLog, n: number, size = 50): Promise<void> {
  const recs = await log.read(0);
  expect(recs.map((r) => r.position)).toEqual(range(n));
  for (const r of recs) expect(r.data.equals(entry(r.position, size).data)).toBe(true);
}

describe('recovery of a torn tail', () => {
  it('cuts a frame truncated in the middle and continues after the last whole record', async () => {
    await writeThenClose(10);
    const file = await lastSegment();
    const full = (await stat(file)).size;
    const frame = full / 10;
    await truncate(file, full - Math.floor(frame / 2));
    const logger = memoryLogger();
    const log = await ShardLog.open({ dir, fsync: true, logger });
    expect(log.nextPosition).toBe(9);
    expect(log.durablePosition).toBe(9);
    await expectIntact(log, 9);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0].obj).toMatchObject({ cutBytes: frame - Math.floor(frame / 2), fault: 'truncated' });
    expect((await stat(file)).size).toBe(9 * frame); // file repaired on disk
    const [r] = await log.append([entry(9, 50)]);
    expect(r.position).toBe(9);
    await expectIntact(log, 10);
    await log.close();
  });

  it('cuts a last frame with a flipped byte (CRC mismatch)', async () => {
    await writeThenClose(10);
    const file = await lastSegment();
    const size = (await stat(file)).size;
    const fh = await fsOpen(file, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 3);
    b[0] ^= 0x10;
    await fh.write(b, 0, 1, size - 3);
    await fh.close();
    const logger = memoryLogger();
    const log = await ShardLog.open({ dir, logger });
    expect(log.nextPosition).toBe(9);
    expect(logger.warnings[0].obj).toMatchObject({ fault: 'crc' });
    await expectIntact(log, 9);
    expect((await log.append([entry(9, 50)]))[0].position).toBe(9);
    await log.close();
    const again = await ShardLog.open({ dir, logger: memoryLogger() });
    await expectIntact(again, 10);
    await again.close();
  });

  it('cuts zero-filled garbage after the last frame and a partial length field', async () => {
    await writeThenClose(5);
    const file = await lastSegment();
    await writeFile(file, Buffer.alloc(4096), { flag: 'a' });
    let log = await ShardLog.open({ dir, logger: memoryLogger() });
    expect(log.nextPosition).toBe(5);
    await log.close();
    await writeFile(file, Buffer.from([7, 0]), { flag: 'a' });
    log = await ShardLog.open({ dir, logger: memoryLogger() });
    expect(log.nextPosition).toBe(5);
    await expectIntact(log, 5);
    await log.close();
  });

  it('keeps a wholly torn last segment as the empty active segment and continues at its name', async () => {
    await writeThenClose(30, 50, 400); // several segments
    const files = await segmentFiles(dir);
    const last = files.at(-1)!;
    const base = Number(last.slice(0, 20));
    await truncate(join(dir, last), 10); // tears its first frame
    const log = await ShardLog.open({ dir, logger: memoryLogger(), segmentBytes: 400 });
    expect(log.nextPosition).toBe(base);
    await expectIntact(log, base);
    expect((await log.append([entry(base, 50)]))[0].position).toBe(base);
    await log.close();
  });

  it('reports a corrupt frame inside a sealed segment and reads on from the next segment', async () => {
    await writeThenClose(30, 50, 400);
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    const victim = join(dir, files[1]);
    const base1 = Number(files[1].slice(0, 20));
    const base2 = Number(files[2].slice(0, 20));
    const bytes = await readFile(victim);
    const frame = bytes.length / (base2 - base1);
    bytes[Math.floor(frame * 1.5)] ^= 0xff; // inside its second frame
    await writeFile(victim, bytes);
    const logger = memoryLogger();
    const log = await ShardLog.open({ dir, logger, segmentBytes: 400 });
    expect(log.nextPosition).toBe(30); // the sealed segment is not truncated
    const recs = await log.read(0);
    const expected = range(30).filter((p) => p < base1 + 1 || p >= base2);
    expect(recs.map((r) => r.position)).toEqual(expected);
    expect(logger.warnings.some((w) => /sealed segment/.test(w.msg))).toBe(true);
    expect((await readFile(victim)).length).toBe(bytes.length);
    await log.close();
  });
});

// ---- SIGKILL while appending -------------------------------------------------------------------

let build: { dir: string; cleanup: () => Promise<void> };
let modulePath: string;

/** Transpiles src/stream/log to a temp dir, so the child never runs a stale dist/. */
beforeAll(async () => {
  build = await tempDir('hydrant-log-build-');
  // The log and the small utilities it imports, in the same relative layout as under src/.
  for (const rel of ['stream/log', 'util']) {
    const srcDir = resolve(__dirname, '../../../src', rel);
    const out = join(build.dir, rel);
    await mkdir(out, { recursive: true });
    for (const f of readdirSync(srcDir).filter((n) => n.endsWith('.ts'))) {
      const js = ts.transpileModule(await readFile(join(srcDir, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: f,
      }).outputText;
      await writeFile(join(out, f.replace(/\.ts$/, '.js')), js);
    }
  }
  await writeFile(join(build.dir, 'package.json'), '{"type":"module"}');
  await symlink(resolve(__dirname, '../../../node_modules'), join(build.dir, 'node_modules'));
  modulePath = join(build.dir, 'stream', 'log', 'index.js');
});
afterAll(async () => build.cleanup());

function recordFor(position: number) {
  const size = (position * 7919) % 3000;
  const data = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) data[j] = (position + j) & 0xff;
  return { partitionKey: `pk-${position}`, data };
}

/** Runs the child until it acknowledged at least `acks` batches, then SIGKILLs it. */
function runAndKill(shardDir: string, acks: number): Promise<{ acked: Array<[number, number]>; start: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'append-child.mjs'), modulePath, shardDir, '65536'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Array<[number, number]> = [];
    let start = -1;
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ready ')) start = Number(line.slice(6));
        else {
          const [a, b] = line.split(' ').map(Number);
          acked.push([a, b]);
        }
      }
      if (acked.length >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolvePromise({ acked, start });
    });
  });
}

describe('recovery after SIGKILL', () => {
  it('keeps every acknowledged record across repeated kills mid-append', async () => {
    let expectedNext = 0;
    for (let round = 0; round < 3; round++) {
      const { acked, start } = await runAndKill(dir, 150 + round * 50);
      expect(start).toBe(expectedNext); // the child reopened exactly where the last check ended
      const log = await ShardLog.open({ dir, logger: memoryLogger(), segmentBytes: 65536 });
      const maxAcked = Math.max(...acked.map(([a, b]) => a + b));
      expect(log.nextPosition).toBeGreaterThanOrEqual(maxAcked);
      // Everything on the log (acknowledged or not) is whole, in order, and has the right bytes.
      const all: number[] = [];
      for (let from = 0; ;) {
        const recs = await log.read(from, { maxRecords: 1000 });
        if (recs.length === 0) break;
        for (const r of recs) {
          const want = recordFor(r.position);
          expect(r.partitionKey).toBe(want.partitionKey);
          expect(r.data.equals(want.data)).toBe(true);
          all.push(r.position);
        }
        from = recs.at(-1)!.position + 1;
      }
      expect(all).toEqual(range(log.nextPosition));
      for (const [first, count] of acked) expect(first + count).toBeLessThanOrEqual(log.nextPosition);
      expectedNext = log.nextPosition;
      await log.close();
    }
    expect((await segmentFiles(dir)).length).toBeGreaterThan(1);
  });
});
