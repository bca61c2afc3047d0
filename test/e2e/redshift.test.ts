import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand,
  type FirehoseClient, type RedshiftDestinationConfiguration,
} from '@aws-sdk/client-firehose';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

type Hydrant = Awaited<ReturnType<typeof startTestHydrant>>;
const BUCKET = 'staging';

describe('Redshift destination (PostgreSQL stand-in) through the Firehose API', () => {
  let s3: S3TestServer;
  let db: TestDatabase;
  let hydrant: Hydrant;
  let client: FirehoseClient;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    db = await createTestDatabase('redshift');
    hydrant = await startTestHydrant({
      s3: { endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      delivery: { retry: { baseDelayMs: 20, maxDelayMs: 200 } },
      secrets: { 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pg-login-AbCdEf': { username: 'postgres', password: 'not-checked' } },
    });
    client = firehoseClient(hydrant.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await hydrant?.stop();
    await db?.drop();
    await s3?.stop();
  });

  function config(name: string, copy: { table: string; columns?: string; options?: string }, more: Partial<RedshiftDestinationConfiguration> = {}): RedshiftDestinationConfiguration {
    return {
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      ClusterJDBCURL: db.jdbcUrl(),
      CopyCommand: { DataTableName: copy.table, DataTableColumns: copy.columns, CopyOptions: copy.options },
      Username: 'postgres',
      Password: 'not-checked',
      S3Configuration: {
        RoleARN: 'arn:aws:iam::123456789012:role/firehose',
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/`,
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
      },
      ...more,
    };
  }

  async function create(name: string, cfg: RedshiftDestinationConfiguration): Promise<void> {
    await client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, RedshiftDestinationConfiguration: cfg }));
  }

  async function put(name: string, records: string[]): Promise<void> {
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
    expect(out.FailedPutCount).toBe(0);
  }

  const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('loads CSV into the right columns', async () => {
    await db.query('CREATE TABLE csv_events (id int, name text, amount numeric(10,2), note text)');
    await create('csv', config('csv', { table: 'csv_events', columns: 'id,name,amount', options: 'CSV' }));
    await put('csv', ['1,alice,1.50\n', '2,"bob, jr.",20\n', '3,"say ""hi""",-3.25\n']);
    await waitFor(async () => (await count('csv_events')) === 3);
    expect(await db.query('SELECT id, name, amount::text, note FROM csv_events ORDER BY id')).toEqual([
      { id: 1, name: 'alice', amount: '1.50', note: null },
      { id: 2, name: 'bob, jr.', amount: '20.00', note: null },
      { id: 3, name: 'say "hi"', amount: '-3.25', note: null },
    ]);
    // Firehose's layout: the object, its manifest, nothing under errors/.
    const keys = await s3.listKeys(BUCKET, 'csv/');
    expect(keys.filter((k) => k.startsWith('csv/manifests/'))).toHaveLength(1);
    expect(keys.filter((k) => /^csv\/\d{4}\/\d\d\/\d\d\/\d\d\/csv-1-/.test(k))).toHaveLength(1);
    expect(keys.filter((k) => k.includes('errors/'))).toEqual([]);
    const manifestKey = keys.find((k) => k.startsWith('csv/manifests/'))!;
    const manifest = JSON.parse((await s3.getObject(BUCKET, manifestKey)).toString());
    expect(manifest.entries).toEqual([{ url: `s3://${BUCKET}/${keys.find((k) => /^csv\/\d{4}/.test(k))}`, mandatory: true }]);
  });

  it('loads pipe-delimited text (Redshift\'s default) with NULL and literal backslashes', async () => {
    await db.query('CREATE TABLE pipe_events (id int, path text, n int)');
    await create('pipe', config('pipe', { table: 'pipe_events' }));
    await put('pipe', ['1|C:\\temp\\new|7\n', '2|\\N|\\N\n', '3|a,b|0\n']);
    await waitFor(async () => (await count('pipe_events')) === 3);
    expect(await db.query('SELECT id, path, n FROM pipe_events ORDER BY id')).toEqual([
      { id: 1, path: 'C:\\temp\\new', n: 7 },
      { id: 2, path: null, n: null },
      { id: 3, path: 'a,b', n: 0 },
    ]);
  });

  it('loads GZIP-staged objects with DELIMITER and IGNOREHEADER', async () => {
    await db.query('CREATE TABLE gz_events (id int, word text)');
    const cfg = config('gz', { table: 'gz_events', options: "GZIP DELIMITER ',' IGNOREHEADER 1" });
    cfg.S3Configuration!.CompressionFormat = 'GZIP';
    await create('gz', cfg);
    const records = Array.from({ length: 200 }, (_, i) => `${i},word${i}\n`);
    // One PutRecordBatch is one append, read at once: one batch, one object, one header line.
    await put('gz', ['id,word\n', ...records]);
    await waitFor(async () => (await count('gz_events')) === 200);
    const staged = (await s3.listKeys(BUCKET, 'gz/')).filter((k) => /^gz\/\d{4}/.test(k));
    expect(staged).toHaveLength(1);
    for (const k of staged) expect(k.endsWith('.gz')).toBe(true);
    expect(gunzipSync(await s3.getObject(BUCKET, staged[0])).toString()).toMatch(/^id,word\n0,word0\n/);
    expect((await db.query('SELECT sum(id)::int AS s, count(DISTINCT word)::int AS w FROM gz_events'))[0]).toEqual({ s: 199 * 100, w: 200 });
  });

  it("maps JSON 'auto' keys to columns: missing keys NULL, nested values as JSON text, 64-bit ids exact", async () => {
    await db.query('CREATE TABLE json_events (id bigint, name text, tags text, active boolean, score double precision, seen timestamp)');
    await create('json', config('json', { table: 'json_events', options: "JSON 'auto' TIMEFORMAT 'epochmillisecs'" }));
    await put('json', [
      '{"id": 9007199254740993, "name": "x\\"y", "tags": ["a", {"b": 1}], "active": true, "score": 1.5, "seen": 1700000000000, "ignored": 1}',
      '{"id": 2}\n',
      '  {"name": "no id", "active": false}',
    ]);
    await waitFor(async () => (await count('json_events')) === 3);
    const rows = await db.query('SELECT id::text, name, tags, active, score, to_char(seen, \'YYYY-MM-DD"T"HH24:MI:SS\') AS seen FROM json_events ORDER BY name NULLS LAST, id');
    expect(rows).toEqual([
      { id: null, name: 'no id', tags: null, active: false, score: null, seen: null },
      { id: '9007199254740993', name: 'x"y', tags: '["a", {"b": 1}]', active: true, score: 1.5, seen: '2023-11-14T22:13:20' },
      { id: '2', name: null, tags: null, active: null, score: null, seen: null },
    ]);
  });

  it("JSON 'auto ignorecase' with DataTableColumns and credentials from a secret", async () => {
    await db.query('CREATE TABLE json_ic (userid int, city text, extra text DEFAULT \'d\')');
    await create('jsonic', config('jsonic', { table: 'json_ic', columns: 'userid, city', options: "FORMAT AS JSON 'auto ignorecase'" }, {
      Username: undefined,
      Password: undefined,
      SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pg-login-AbCdEf' },
    }));
    await put('jsonic', ['{"UserId": 7, "City": "Oslo", "Extra": "not loaded"}']);
    await waitFor(async () => (await count('json_ic')) === 1);
    expect(await db.query('SELECT * FROM json_ic')).toEqual([{ userid: 7, city: 'Oslo', extra: 'd' }]);
  });

  it('a bad batch is retried, its manifest goes under errors/ with a report, and the stream moves on', async () => {
    await db.query('CREATE TABLE strict_events (id int NOT NULL, n int)');
    await create('bad', config('bad', { table: 'strict_events', options: 'CSV' }, { RetryOptions: { DurationInSeconds: 2 } }));
    await put('bad', ['1,notanumber\n']);
    const errorManifest = await waitFor(async () => (await s3.listKeys(BUCKET, 'bad/errors/manifests/'))[0], 30_000);
    expect(errorManifest).toMatch(/^bad\/errors\/manifests\/\d{4}\/\d\d\/\d\d\/\d\d\/bad-1-/);
    const manifest = JSON.parse((await s3.getObject(BUCKET, errorManifest)).toString());
    expect(manifest.entries[0].url).toMatch(/^s3:\/\/staging\/bad\/\d{4}\//);
    const reportKey = (await waitFor(async () => (await s3.listKeys(BUCKET, 'bad/errors/reports/'))[0]));
    const report = JSON.parse((await s3.getObject(BUCKET, reportKey)).toString());
    expect(report.errorCode).toBe('Redshift.DataLoadFailed');
    expect(report.errorMessage).toMatch(/invalid input syntax for type integer: "notanumber"/);
    expect(report.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(report.records).toBe(1);
    // The next batch loads.
    await put('bad', ['2,5\n']);
    await waitFor(async () => (await count('strict_events')) === 1);
    expect(await db.query('SELECT * FROM strict_events')).toEqual([{ id: 2, n: 5 }]);
  });

  it('PostgreSQL unreachable for several backoff steps, then back: every record loads once', async () => {
    await db.query('CREATE TABLE outage_events (id int PRIMARY KEY)');
    const proxy = await startTcpProxy(5432);
    try {
      proxy.setDown(true);
      await create('outage', config('outage', { table: 'outage_events', options: 'CSV' }, { ClusterJDBCURL: db.jdbcUrl(proxy.port) }));
      const ids = Array.from({ length: 50 }, (_, i) => i);
      await put('outage', ids.slice(0, 25).map((i) => `${i}\n`));
      await waitFor(() => proxy.refused >= 3, 30_000);
      await put('outage', ids.slice(25).map((i) => `${i}\n`));
      proxy.setDown(false);
      await waitFor(async () => (await count('outage_events')) === 50, 30_000);
      expect((await db.query<{ id: number }>('SELECT id FROM outage_events ORDER BY id')).map((r) => r.id)).toEqual(ids);
      expect(await s3.listKeys(BUCKET, 'outage/errors/')).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it("jdbc:redshift:// sends Redshift's COPY with the manifest over the PostgreSQL wire protocol", async () => {
    const proxy = await startTcpProxy(5432);
    try {
      const cfg = config('rs', { table: 'analytics.events', columns: 'a,b', options: "CSV QUOTE AS '\"' GZIP" }, {
        ClusterJDBCURL: `jdbc:redshift://127.0.0.1:${proxy.port}/${db.name}?ssl=false`,
        RetryOptions: { DurationInSeconds: 0 },
      });
      cfg.S3Configuration!.CompressionFormat = 'GZIP';
      await create('rs', cfg);
      await put('rs', ['1,2\n']);
      // PostgreSQL cannot run Redshift's COPY: with no retries the manifest goes to errors/ at once.
      const errorManifest = await waitFor(async () => (await s3.listKeys(BUCKET, 'rs/errors/manifests/'))[0]);
      const manifestKey = errorManifest.replace('rs/errors/manifests/', 'rs/manifests/');
      expect(proxy.sent()).toContain(
        `COPY "analytics"."events" ("a", "b") FROM 's3://${BUCKET}/${manifestKey}' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/firehose' MANIFEST CSV QUOTE AS '"' GZIP`,
      );
      const report = JSON.parse((await s3.getObject(BUCKET, (await s3.listKeys(BUCKET, 'rs/errors/reports/'))[0])).toString());
      expect(report).toMatchObject({ attemptsMade: 1, errorCode: 'Redshift.SyntaxError' });
    } finally {
      await proxy.stop();
    }
  });

  it('refuses configurations it cannot load, naming the field', async () => {
    const refuse = async (cfg: RedshiftDestinationConfiguration, message: RegExp) => {
      const err = await client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'refused', RedshiftDestinationConfiguration: cfg })).catch((e: unknown) => e);
      expect((err as Error).name).toBe('InvalidArgumentException');
      expect((err as Error).message).toMatch(message);
    };
    await refuse(config('r', { table: 't', options: 'CSV MAXERROR 10' }), /CopyOptions: MAXERROR is not supported with a jdbc:postgresql:\/\/ ClusterJDBCURL/);
    await refuse(config('r', { table: 't', options: 'REMOVEQUOTES' }), /CopyOptions: REMOVEQUOTES/);
    await refuse(config('r', { table: 't', options: "DELIMITER '|~|'" }), /DELIMITER '\|~\|' is not supported/);
    await refuse(config('r', { table: 't', options: 'FROBNICATE' }), /CopyOptions: FROBNICATE is not a Redshift COPY option/);
    await refuse(config('r', { table: 't', options: "JSON 's3://b/paths.json'" }), /JSON 's3:\/\/b\/paths.json' is not supported/);
    const gz = config('r', { table: 't', options: 'CSV' });
    gz.S3Configuration!.CompressionFormat = 'GZIP';
    await refuse(gz, /CopyOptions must contain GZIP when S3Configuration.CompressionFormat is GZIP/);
    const zip = config('r', { table: 't' });
    zip.S3Configuration!.CompressionFormat = 'ZIP';
    await refuse(zip, /S3Configuration.CompressionFormat ZIP is not allowed/);
    await refuse(config('r', { table: 't' }, { Password: undefined }), /Password is required/);
    await refuse(config('r', { table: 'a.b.c.d' }), /DataTableName/);
    await refuse(config('r', { table: 't', columns: 'a,"b' }), /DataTableColumns|double quote/);
    await refuse(config('r', { table: 't' }, { ClusterJDBCURL: 'jdbc:postgresql://db:5432' }), /ClusterJDBCURL/);
    await refuse(config('r', { table: 't' }, { SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf' }, Password: undefined }), /SecretARN .*missing-AbCdEf is not configured/);
    const prefixed = config('r', { table: 't' });
    prefixed.S3Configuration!.Prefix = 'x/!{timestamp:yyyy}/';
    await refuse(prefixed, /S3Configuration.Prefix must not contain expressions/);
  });

  it('describes without the password, updates CopyCommand in place, and survives a restart', async () => {
    await db.query('CREATE TABLE upd_a (v text)');
    await db.query('CREATE TABLE upd_b (v text)');
    await create('upd', config('upd', { table: 'upd_a' }));
    const describe = async () => (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'upd' }))).DeliveryStreamDescription!;
    const d1 = await describe();
    const rd = d1.Destinations![0].RedshiftDestinationDescription!;
    expect(rd).toMatchObject({
      ClusterJDBCURL: db.jdbcUrl(),
      CopyCommand: { DataTableName: 'upd_a' },
      Username: 'postgres',
      RetryOptions: { DurationInSeconds: 3600 },
      S3BackupMode: 'Disabled',
      S3DestinationDescription: { BucketARN: `arn:aws:s3:::${BUCKET}`, Prefix: 'upd/', CompressionFormat: 'UNCOMPRESSED', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
    });
    expect(JSON.stringify(d1)).not.toContain('not-checked');
    await client.send(new UpdateDestinationCommand({
      DeliveryStreamName: 'upd', CurrentDeliveryStreamVersionId: d1.VersionId, DestinationId: d1.Destinations![0].DestinationId,
      RedshiftDestinationUpdate: { CopyCommand: { DataTableName: 'upd_b' }, RetryOptions: { DurationInSeconds: 60 } },
    }));
    await put('upd', ['after-update\n']);
    await waitFor(async () => (await count('upd_b')) === 1);
    expect(await count('upd_a')).toBe(0);

    const dataDir = hydrant.dataDir;
    await hydrant.close();
    hydrant = await startTestHydrant({ dataDir, s3: { endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' }, delivery: { retry: { baseDelayMs: 20, maxDelayMs: 200 } } });
    client.destroy();
    client = firehoseClient(hydrant.endpoint);
    const d2 = await describe();
    expect(d2.VersionId).toBe('2');
    expect(d2.Destinations![0].RedshiftDestinationDescription).toMatchObject({ CopyCommand: { DataTableName: 'upd_b' }, RetryOptions: { DurationInSeconds: 60 } });
    await put('upd', ['after-restart\n']);
    await waitFor(async () => (await count('upd_b')) === 2);
  });
});
