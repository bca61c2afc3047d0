/**
 * Every S3 CompressionFormat end to end: a delivery stream created with the AWS SDK, records put
 * with PutRecordBatch, objects read back from a real S3 server and decoded by decoders that share
 * no code with Hydrant's encoders: the system's `gzip`, `unzip` and `zstd` tools, and for the two
 * Snappy formats Debian's python3-snappy — plus a framing / Hadoop-block parser written in the
 * test (its own CRC-32C, hysnappy's block decoder) that checks the structure chunk by chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand, type CompressionFormat, type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, tempDir, waitFor } from '../helpers/hydrant.js';
import { parseRecords } from '../helpers/records.js';
import { pythonSnappy, unblockHadoopSnappy, unframeSnappy } from '../helpers/decoders.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'compressed';

const EXEC = { maxBuffer: 256 * 1024 * 1024 } as const;

async function decode(format: string, file: string, body: Buffer): Promise<Buffer> {
  writeFileSync(file, body);
  switch (format) {
    case 'GZIP':
      execFileSync('gzip', ['-t', file]);
      return execFileSync('gzip', ['-dc', file], EXEC);
    case 'ZIP':
      execFileSync('unzip', ['-tq', file]);
      return execFileSync('unzip', ['-p', file], EXEC);
    case 'ZSTD':
      execFileSync('zstd', ['-tq', file]);
      return execFileSync('zstd', ['-dcq', file], EXEC);
    case 'Snappy': {
      const plain = await pythonSnappy('framing', file);
      expect(unframeSnappy(body).equals(plain)).toBe(true);
      return plain;
    }
    case 'HADOOP_SNAPPY': {
      const plain = await pythonSnappy('hadoop_snappy', file);
      expect(unblockHadoopSnappy(body).equals(plain)).toBe(true);
      return plain;
    }
    default: return body;
  }
}

// ---- records: `u32 length | u32 id | payload`, half compressible text, half random bytes ----

function record(id: number, size: number): Buffer {
  const payload = id % 2 === 0
    ? Buffer.from(`{"id":${id},"msg":"${'lorem ipsum dolor sit amet '.repeat(Math.ceil(size / 27))}`.slice(0, size))
    : randomBytes(size);
  const b = Buffer.allocUnsafe(8 + payload.length);
  b.writeUInt32BE(8 + payload.length, 0);
  b.writeUInt32BE(id, 4);
  payload.copy(b, 8);
  return b;
}

/** Mostly small records, some spanning several 64 KiB Snappy frames, one larger than a 256 KiB Hadoop block. */
const sizeOf = (id: number) => (id === 7 ? 300_000 : id % 50 === 0 ? 70_000 + id : 20 + (id % 300));

const FORMATS: { format: string; ext: string; encoding?: string }[] = [
  { format: 'GZIP', ext: '.gz', encoding: 'gzip' },
  { format: 'ZIP', ext: '.zip' },
  { format: 'Snappy', ext: '.snappy' },
  { format: 'HADOOP_SNAPPY', ext: '.hsnappy' },
  { format: 'ZSTD', ext: '.zst', encoding: 'zstd' },
];

describe('S3 compression formats round-trip through independent decoders', () => {
  let s3: S3;
  let node: Node;
  let client: FirehoseClient;
  let scratch: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server({ record: true });
    await s3.createBucket(BUCKET);
    scratch = await tempDir('hydrant-decode');
    node = await startTestHydrant({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' } });
    client = firehoseClient(node.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await s3?.stop();
    await scratch?.remove();
  });

  for (const { format, ext, encoding } of FORMATS) {
    it(`${format}: objects named *${ext} decode byte-exact to every record`, async () => {
      const name = `cmp-${format.toLowerCase().replace('_', '-')}`;
      await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: {
          RoleARN: ROLE,
          BucketARN: `arn:aws:s3:::${BUCKET}`,
          Prefix: `${name}/`,
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
          // ZSTD is a Hydrant extension: not in the SDK's enum type, sent as the string it is.
          CompressionFormat: format as CompressionFormat,
        },
      }));
      const described = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
      expect(described.Destinations![0].ExtendedS3DestinationDescription!.CompressionFormat).toBe(format);

      const sent = new Map<number, Buffer>();
      const total = 600;
      for (let id = 0; id < total;) {
        const records: { Data: Buffer }[] = [];
        let bytes = 0;
        while (id < total && records.length < 200 && bytes < 2_000_000) {
          const r = record(id, sizeOf(id));
          sent.set(id++, r);
          records.push({ Data: r });
          bytes += r.length;
        }
        const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records }));
        expect(out.FailedPutCount).toBe(0);
      }

      const decoded = new Map<string, Buffer>();
      await waitFor(async () => {
        let count = 0;
        for (const key of await s3.listKeys(BUCKET, `${name}/`)) {
          if (!decoded.has(key)) decoded.set(key, await decode(format, join(scratch.path, `${name}-${decoded.size}${ext}`), await s3.getObject(BUCKET, key)));
          count += parseRecords(decoded.get(key)!).length;
        }
        return count >= total;
      }, 60_000, 250);

      const seen = new Map<number, number>();
      for (const [key, body] of decoded) {
        expect(key.endsWith(ext), key).toBe(true);
        expect(key.slice(key.lastIndexOf('/') + 1)).toMatch(new RegExp(`^${name}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\${ext}$`));
        for (const r of parseRecords(body)) {
          seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
          expect(r.data.equals(sent.get(r.id)!), `record ${r.id}`).toBe(true);
        }
      }
      expect(seen.size).toBe(total);
      for (const [id, count] of seen) expect(count, `record ${id}`).toBe(1);

      const puts = s3.requests.filter((r) => r.method === 'PUT' && r.url.includes(`/${name}/`));
      expect(puts.length).toBeGreaterThan(0);
      for (const put of puts) expect(put.headers['content-encoding']).toBe(encoding);
    });
  }

  it('UpdateDestination switches the format; new objects use it', async () => {
    const name = 'cmp-update';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: `${name}/`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 }, CompressionFormat: 'GZIP' },
    }));
    const before = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    await client.send(new UpdateDestinationCommand({
      DeliveryStreamName: name, CurrentDeliveryStreamVersionId: before.VersionId, DestinationId: before.Destinations![0].DestinationId,
      ExtendedS3DestinationUpdate: { CompressionFormat: 'Snappy' },
    }));
    const after = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    expect(after.Destinations![0].ExtendedS3DestinationDescription!.CompressionFormat).toBe('Snappy');
    const r = record(1, 5000);
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [{ Data: r }] }));
    const key = await waitFor(async () => (await s3.listKeys(BUCKET, `${name}/`))[0], 60_000, 250);
    expect(key).toMatch(/-2-.*\.snappy$/);
    expect(unframeSnappy(await s3.getObject(BUCKET, key)).equals(r)).toBe(true);
  });

  it('refuses a format that does not exist', async () => {
    const err = await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'cmp-bad',
      ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, CompressionFormat: 'LZ4' as CompressionFormat },
    })).then(() => undefined, (e: Error) => e);
    expect(err?.name).toMatch(/ValidationException|InvalidArgumentException/);
    expect(err?.name).toBe('ValidationException');
    expect(err?.message).toMatch(/'LZ4' at 'extendedS3DestinationConfiguration.compressionFormat'/);
  });
});
