/**
 * Every CompressionFormat round-trips through a decoder that is not ours: gzip, unzip and zstd
 * from Debian, and python3-snappy (Debian's python3-snappy package) for both Snappy formats.
 * scripts/services.sh installs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeCodecWorkers, compress } from '../../../sinks/s3/compress.js';
import { contentEncodingFor, extensionFor, type CompressionFormat } from '../../../sinks/s3/compression-format.js';
import { pythonSnappy } from '../../helpers/decoders.js';

const run = promisify(execFile);

async function decode(cmd: string, args: string[], file: string): Promise<Buffer> {
  const { stdout } = await run(cmd, [...args, file], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

function body(): Buffer[] {
  // JSON lines (compressible), a run of random bytes (not), and enough to span many 64 KiB frames and 256 KiB blocks.
  const lines = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`${JSON.stringify({ i, user: `u${i % 97}`, path: `/api/items/${i}` })}\n`));
  const random = Buffer.alloc(300_000);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  return [...lines, random, Buffer.from('tail\n')];
}

describe('compression formats, checked by independent decoders', () => {
  let dir: string;
  const input = body();
  const plain = Buffer.concat(input);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hydrant-compress-'));
  });

  afterAll(async () => {
    await closeCodecWorkers();
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (format: CompressionFormat, parts: Buffer[]) => {
    const file = join(dir, `object${extensionFor(format)}`);
    await writeFile(file, Buffer.concat(parts));
    return file;
  };

  it('GZIP passes gzip -t and gunzips to the input', async () => {
    const file = await write('GZIP', await compress('GZIP', input));
    await run('gzip', ['-t', file]);
    expect((await decode('gzip', ['-dc'], file)).equals(plain)).toBe(true);
  });

  it('ZIP passes unzip -t and holds the input as its one entry', async () => {
    const parts = await compress('ZIP', input, { zip: { entryName: 'clicks-1-2024-06-10-13-05-42-abc', modifiedMs: Date.UTC(2024, 5, 10, 13, 5, 42) } });
    const file = await write('ZIP', parts);
    const { stdout } = await run('unzip', ['-t', file]);
    expect(stdout).toContain('No errors detected');
    const listing = (await run('unzip', ['-l', file])).stdout;
    expect(listing).toContain('clicks-1-2024-06-10-13-05-42-abc');
    expect(listing).toContain('2024-06-10 13:05');
    expect((await decode('unzip', ['-p'], file)).equals(plain)).toBe(true);
    // The same batch always gives the same bytes (a replay overwrites with an identical object).
    const again = await compress('ZIP', input, { zip: { entryName: 'clicks-1-2024-06-10-13-05-42-abc', modifiedMs: Date.UTC(2024, 5, 10, 13, 5, 42) } });
    expect(Buffer.concat(again).equals(Buffer.concat(parts))).toBe(true);
  });

  it('Snappy is the framing format python-snappy decodes', async () => {
    const parts = await compress('Snappy', input);
    const framed = Buffer.concat(parts);
    expect(framed.subarray(0, 10).toString('latin1')).toBe('\xff\x06\x00\x00sNaPpY');
    expect(framed.length).toBeLessThan(plain.length);
    const file = await write('Snappy', parts);
    expect((await pythonSnappy('framing', file)).equals(plain)).toBe(true);
  });

  it('HADOOP_SNAPPY is the Hadoop block format python-snappy decodes', async () => {
    const file = await write('HADOOP_SNAPPY', await compress('HADOOP_SNAPPY', input));
    expect((await pythonSnappy('hadoop_snappy', file)).equals(plain)).toBe(true);
  });

  it('ZSTD passes zstd -t and decompresses to the input', async () => {
    const file = await write('ZSTD', await compress('ZSTD', input));
    await run('zstd', ['-q', '-t', file]);
    expect((await decode('zstd', ['-q', '-dc'], file)).equals(plain)).toBe(true);
  });

  it('empty bodies are valid objects of every format', async () => {
    for (const format of ['ZIP', 'Snappy', 'HADOOP_SNAPPY', 'ZSTD'] as const) {
      const parts = await compress(format, []);
      expect(Buffer.concat(parts).length).toBeGreaterThanOrEqual(format === 'HADOOP_SNAPPY' ? 0 : 1);
    }
    const zip = await write('ZIP', await compress('ZIP', []));
    expect((await run('unzip', ['-t', zip])).stdout).toContain('No errors detected');
  });

  it('extensions and content encodings follow the format', () => {
    expect(['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY', 'ZSTD'].map((f) => extensionFor(f as CompressionFormat)))
      .toEqual(['', '.gz', '.zip', '.snappy', '.hsnappy', '.zst']);
    expect(extensionFor('ZSTD', '.json.zst')).toBe('.json.zst');
    expect(extensionFor('UNCOMPRESSED', undefined, 'parquet')).toBe('.parquet');
    expect(extensionFor('UNCOMPRESSED', '.pq', 'parquet')).toBe('.pq');
    expect(contentEncodingFor('GZIP')).toBe('gzip');
    expect(contentEncodingFor('ZSTD')).toBe('zstd');
    expect(contentEncodingFor('ZIP')).toBeUndefined();
    expect(contentEncodingFor('Snappy')).toBeUndefined();
  });
});
