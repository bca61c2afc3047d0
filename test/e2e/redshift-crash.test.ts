import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { firehoseClient, spawnHydrant, tempDir, waitFor } from '../helpers/hydrant.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

describe('Redshift destination: a crash between COPY and the checkpoint', () => {
  let s3: S3TestServer;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('staging');
    db = await createTestDatabase('redshift_crash');
    await db.query('CREATE TABLE events (id int, body text)');
    proxy = await startTcpProxy(5432);
    dir = await tempDir('hydrant-redshift-crash');
  });

  afterAll(async () => {
    await proxy?.stop();
    await db?.drop();
    await s3?.stop();
    await dir?.remove();
  });

  it('after a SIGKILL once PostgreSQL committed the COPY but before Hydrant heard of it, no row is loaded twice', async () => {
    const configFile = join(dir.path, 'hydrant.json');
    await writeFile(configFile, JSON.stringify({
      delivery: { retry: { baseDelayMs: 20, maxDelayMs: 200 } },
      deliveryStreams: [{
        DeliveryStreamName: 'orders',
        RedshiftDestinationConfiguration: {
          RoleARN: 'arn:aws:iam::123456789012:role/firehose',
          ClusterJDBCURL: db.jdbcUrl(proxy.port),
          CopyCommand: { DataTableName: 'events', CopyOptions: "DELIMITER ','" },
          Username: 'postgres',
          Password: 'unused-with-trust',
          S3Configuration: {
            RoleARN: 'arn:aws:iam::123456789012:role/firehose',
            BucketARN: 'arn:aws:s3:::staging',
            BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
          },
        },
      }],
    }));
    const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const args = ['--port', '0', '--data-dir', dir.path, '--config', configFile];
    const count = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events'))[0].n);

    const withheld = proxy.withholdNextCommit();
    const first = await spawnHydrant(args, env);
    const client1 = firehoseClient(first.endpoint, undefined, { maxAttempts: 1 });
    await client1.send(new PutRecordBatchCommand({ DeliveryStreamName: 'orders', Records: Array.from({ length: 100 }, (_, i) => ({ Data: Buffer.from(`${i},first\n`) })) }));
    await withheld;
    // PostgreSQL committed the rows and the manifest's bookkeeping row; Hydrant never heard back.
    await waitFor(async () => (await count()) === 100);
    first.proc.kill('SIGKILL');
    await first.exited;
    client1.destroy();

    const second = await spawnHydrant(args, env);
    const client2 = firehoseClient(second.endpoint, undefined, { maxAttempts: 1 });
    try {
      // The replayed batch is recognised by its manifest and skipped.
      await waitFor(() => second.output().includes('manifest already loaded'), 30_000);
      await client2.send(new PutRecordBatchCommand({ DeliveryStreamName: 'orders', Records: Array.from({ length: 50 }, (_, i) => ({ Data: Buffer.from(`${100 + i},second\n`) })) }));
      await waitFor(async () => (await count()) === 150, 30_000);
    } finally {
      second.proc.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      client2.destroy();
    }
    expect((await db.query<{ n: number }>('SELECT count(DISTINCT id)::int AS n FROM events'))[0].n).toBe(150);
    expect(await count()).toBe(150);
    const book = await db.query<{ rows_loaded: string }>('SELECT rows_loaded FROM hydrant_loaded_manifests ORDER BY loaded_at');
    expect(book.map((b) => Number(b.rows_loaded))).toEqual([100, 50]);
  }, 120_000);
});
