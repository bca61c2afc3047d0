import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, spawnHydrant, tempDir, waitFor, type ChildHydrant } from '../helpers/hydrant.js';
import { makeRecord, parseRecords } from '../helpers/records.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
const ROUNDS = 5;

describe('crash safety: SIGKILL under PutRecordBatch load', () => {
  let s3: S3;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('crash');
    dir = await tempDir('hydrant-crash');
  });

  afterAll(async () => {
    await s3?.stop();
    await dir?.remove();
  });

  const env = () => ({ AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });

  it(`every acknowledged record is in S3 exactly once after ${ROUNDS} kills`, async () => {
    const acked = new Set<number>();
    let nextId = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const child: ChildHydrant = await spawnHydrant(['--port', '0', '--data-dir', dir.path], env());
      const client = firehoseClient(child.endpoint, undefined, { maxAttempts: 1 });
      if (round === 0) {
        await client.send(new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'crashy',
          ExtendedS3DestinationConfiguration: {
            RoleARN: 'arn:aws:iam::123456789012:role/x',
            BucketARN: 'arn:aws:s3:::crash',
            BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
          },
        }));
      }
      let alive = true;
      const producer = async () => {
        while (alive) {
          const ids = Array.from({ length: 100 }, () => nextId++);
          try {
            const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'crashy', Records: ids.map((id) => ({ Data: makeRecord(id, 100 + (id % 400)) })) }));
            if (out.FailedPutCount === 0) for (const id of ids) acked.add(id);
          } catch {
            if (!alive) return;
          }
        }
      };
      const producers = Array.from({ length: 4 }, producer);
      await new Promise((r) => setTimeout(r, 400 + Math.floor(Math.random() * 1600)));
      child.proc.kill('SIGKILL');
      alive = false;
      await child.exited;
      await Promise.allSettled(producers);
      client.destroy();
    }
    expect(acked.size).toBeGreaterThan(1000);

    // A last start delivers what is left; then SIGTERM must exit 0.
    const last = await spawnHydrant(['--port', '0', '--data-dir', dir.path], env());
    const counts = new Map<number, number>();
    await waitFor(async () => {
      counts.clear();
      for (const key of await s3.listKeys('crash', '')) {
        for (const r of parseRecords(await s3.getObject('crash', key))) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      }
      for (const id of acked) if (!counts.has(id)) return false;
      return true;
    }, 60_000, 500);
    last.proc.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);

    for (const id of acked) expect(counts.get(id), `acked record ${id}`).toBe(1);
    // Records whose request failed mid-kill may or may not be stored, but never twice.
    for (const [id, n] of counts) expect(n, `record ${id}`).toBe(1);
  }, 240_000);
});
