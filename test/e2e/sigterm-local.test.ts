import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { firehoseClient, spawnHydrant, tempDir } from '../helpers/hydrant.js';
import { makeRecord, parseRecords } from '../helpers/records.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('zero-dependency mode and SIGTERM drain', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('hydrant-sigterm');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('with no S3 endpoint, SIGTERM writes every buffered record under <data-dir>/s3 and exits 0', async () => {
    const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_S3: '' };
    const child = await spawnHydrant(['--port', '0', '--data-dir', dir.path], env);
    expect(child.output()).toContain(join(dir.path, 's3'));
    const client = firehoseClient(child.endpoint);
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'local',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/x',
        BucketARN: 'arn:aws:s3:::lake',
        Prefix: 'events/',
        // Nothing would be delivered for 15 minutes: only the drain can deliver these.
        BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 },
      },
    }));
    let id = 0;
    for (let b = 0; b < 6; b++) {
      const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'local', Records: Array.from({ length: 500 }, () => ({ Data: makeRecord(id++, 300) })) }));
      expect(out.FailedPutCount).toBe(0);
    }
    client.destroy();
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code).toBe(0);

    const files = await walk(join(dir.path, 's3', 'lake'));
    expect(files.length).toBeGreaterThan(0);
    const seen = new Set<number>();
    for (const f of files) {
      expect(f).toMatch(/\/s3\/lake\/events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/local-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/);
      for (const r of parseRecords(await readFile(f))) {
        expect(seen.has(r.id)).toBe(false);
        seen.add(r.id);
      }
    }
    expect(seen.size).toBe(id);
  }, 60_000);
});
