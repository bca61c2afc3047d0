import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppendEntry } from '../../../src/core/record.js';

/** A fresh temp directory; `cleanup` removes it. */
export async function tempDir(prefix = 'hydrant-log-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic record content for position-independent checks: key `k<i>`, data derived from i. */
export function entry(i: number, size = 16): AppendEntry {
  const data = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) data[j] = (i * 31 + j * 7) & 0xff;
  return { partitionKey: `k${i}`, data };
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
}

/** A logger that remembers warnings. */
export function memoryLogger(): { warn(obj: object, msg: string): void; warnings: Array<{ obj: object; msg: string }> } {
  const warnings: Array<{ obj: object; msg: string }> = [];
  return { warnings, warn: (obj, msg) => warnings.push({ obj, msg }) };
}
