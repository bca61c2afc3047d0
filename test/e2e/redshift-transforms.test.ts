/**
 * Transforms in front of the Redshift destination (PostgreSQL standing in): the Lambda's output
 * is staged and COPied, Dropped records never reach the table, ProcessingFailed ones go to the
 * intermediate bucket under `<Prefix>processing-failed/` (Redshift allows no ErrorOutputPrefix),
 * and the source backup (S3BackupMode Enabled) holds the records as they arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { ProcessingFailedDocument } from '../../src/delivery/transform/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { waitFor } from '../helpers/hydrant.js';
import { documents, param, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';

const BUCKET = 'staging';

describe('transforms in front of a Redshift destination', () => {
  let bed: TransformTestbed;
  let client: FirehoseClient;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('redshift_xform');
    bed = await startTransformTestbed(BUCKET, { delivery: { retry: { baseDelayMs: 20, maxDelayMs: 200 } } });
    client = bed.client;
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
    await db?.drop();
  });

  it('COPies the transformed rows; failed records in processing-failed/, originals in the source backup', async () => {
    await db.query('CREATE TABLE words (v text)');
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'rs-xform',
      RedshiftDestinationConfiguration: {
        RoleARN: ROLE,
        ClusterJDBCURL: db.jdbcUrl(),
        CopyCommand: { DataTableName: 'words' },
        Username: 'postgres',
        Password: 'not-checked',
        S3Configuration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: 'rs/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'results')] }, { Type: 'AppendDelimiterToRecord' }],
        },
        S3BackupMode: 'Enabled',
        S3BackupConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: 'rs-source/', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
      },
    }));
    const out = await client.send(new PutRecordBatchCommand({
      DeliveryStreamName: 'rs-xform',
      Records: ['alpha', 'please drop', 'fail this', 'beta'].map((t) => ({ Data: Buffer.from(t) })),
    }));
    expect(out.FailedPutCount).toBe(0);
    const rows = await waitFor(async () => {
      const r = await db.query<{ v: string }>('SELECT v FROM words ORDER BY v');
      return r.length >= 2 ? r : undefined;
    }, 60_000, 200);
    expect(rows.map((r) => r.v)).toEqual(['<alpha>', '<beta>']);
    const failed = documents<ProcessingFailedDocument>((await bed.objects('rs/processing-failed/', 1)).values());
    expect(failed.map((d) => Buffer.from(d.rawData, 'base64').toString())).toEqual(['fail this']);
    expect(failed[0].errorCode).toBe('Lambda.ProcessingFailedStatus');
    const source = await bed.objects('rs-source/', 1);
    expect([...source.values()].join('')).toBe('alphaplease dropfail thisbeta');
  });
});
