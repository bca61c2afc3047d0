/**
 * Record format conversion end to end: delivery streams created with the AWS SDK convert JSON
 * records to Parquet (schema from the config file's `transforms.glue.tables`, or from a file in
 * `transforms.glue.tablesDir` as `aws glue get-table` prints it); the objects are read back from a
 * real S3 server with hyparquet (an independent Parquet reader) against the declared schema, and
 * the records that do not fit are in `format-conversion-failed/` in Firehose's JSON format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand,
  type DataFormatConversionConfiguration, type ExtendedS3DestinationConfiguration, type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, tempDir, waitFor } from '../helpers/hydrant.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'lake';
const ACCOUNT = '000000000000';

const CLICKS_COLUMNS = [
  { Name: 'id', Type: 'bigint' }, { Name: 'user', Type: 'string' }, { Name: 'score', Type: 'double' },
  { Name: 'ok', Type: 'boolean' }, { Name: 'at', Type: 'timestamp' }, { Name: 'tags', Type: 'array<string>' },
];

const conversion = (database: string, table: string, compression: string, deserializer: Record<string, unknown> = { OpenXJsonSerDe: {} }): DataFormatConversionConfiguration => ({
  Enabled: true,
  SchemaConfiguration: { RoleARN: ROLE, DatabaseName: database, TableName: table },
  InputFormatConfiguration: { Deserializer: deserializer },
  OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: compression as 'SNAPPY' } } },
});

const destination = (name: string, dfc: DataFormatConversionConfiguration, extra: Partial<ExtendedS3DestinationConfiguration> = {}): ExtendedS3DestinationConfiguration => ({
  RoleARN: ROLE,
  BucketARN: `arn:aws:s3:::${BUCKET}`,
  Prefix: `${name}/data/`,
  ErrorOutputPrefix: `${name}/errors/!{firehose:error-output-type}/`,
  BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 1 },
  DataFormatConversionConfiguration: dfc,
  ...extra,
});

const asArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('record format conversion to Parquet through the AWS SDK', () => {
  let s3: S3;
  let node: Node;
  let client: FirehoseClient;
  let glueDir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    glueDir = await tempDir('hydrant-glue');
    await mkdir(join(glueDir.path, 'weblogs'));
    // What `aws glue get-table --database-name weblogs --name requests` prints.
    await writeFile(join(glueDir.path, 'weblogs', 'requests.json'), JSON.stringify({
      Table: {
        Name: 'requests', DatabaseName: 'weblogs', VersionId: '7',
        StorageDescriptor: { Columns: [{ Name: 'path', Type: 'string' }, { Name: 'status', Type: 'int' }, { Name: 'bytes', Type: 'bigint' }, { Name: 'geo', Type: 'struct<lat:double,lon:double>' }] },
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
      },
    }));
    // A Firehose transformation Lambda that turns `id,user` lines into JSON for the converter.
    await writeFile(join(glueDir.path, 'csv-to-json.mjs'), `export const handler = async (event) => ({ records: event.records.map((r) => {
      const [id, user] = Buffer.from(r.data, 'base64').toString().split(',');
      return { recordId: r.recordId, result: 'Ok', data: Buffer.from(JSON.stringify({ id: Number(id), user })).toString('base64') };
    }) });\n`);
    node = await startTestHydrant({
      functions: { 'csv-to-json': join(glueDir.path, 'csv-to-json.mjs') },
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
      transforms: { glue: { tables: [{ DatabaseName: 'analytics', Name: 'clicks', StorageDescriptor: { Columns: CLICKS_COLUMNS } }], tablesDir: glueDir.path } },
    });
    client = firehoseClient(node.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await s3?.stop();
    await glueDir?.remove();
  });

  async function objects(prefix: string, until: (keys: string[]) => boolean): Promise<string[]> {
    return waitFor(async () => {
      const keys = await s3.listKeys(BUCKET, prefix);
      return until(keys) ? keys : undefined;
    }, 60_000, 250);
  }

  async function failedDocuments(name: string, count: number): Promise<Record<string, unknown>[]> {
    let docs: Record<string, unknown>[] = [];
    await waitFor(async () => {
      docs = [];
      for (const key of await s3.listKeys(BUCKET, `${name}/errors/`)) {
        expect(key.startsWith(`${name}/errors/format-conversion-failed/`), key).toBe(true);
        for (const line of (await s3.getObject(BUCKET, key)).toString('utf8').split('\n')) if (line) docs.push(JSON.parse(line));
      }
      return docs.length >= count;
    }, 60_000, 250);
    return docs;
  }

  it('schema inline in the config file: SNAPPY Parquet with the declared columns; misfits go to format-conversion-failed', async () => {
    const name = 'clicks';
    const dfc = conversion('analytics', 'clicks', 'SNAPPY');
    await client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ExtendedS3DestinationConfiguration: destination(name, dfc) }));
    const described = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    const ext = described.Destinations![0].ExtendedS3DestinationDescription!;
    expect(ext.DataFormatConversionConfiguration).toEqual(dfc);
    expect(ext.CompressionFormat).toBe('UNCOMPRESSED');

    const good = Array.from({ length: 50 }, (_, i) => ({ id: i, user: `u${i % 7}`, score: i / 4, ok: i % 2 === 0, at: `2024-06-10T13:05:${String(i % 60).padStart(2, '0')}.000Z`, tags: [`t${i}`, 'x'] }));
    const bad = [Buffer.from('this is not json'), json({ id: 'not-a-number', user: 'x' }), json({ id: 3, tags: 'not-an-array' })];
    const records = [...good.slice(0, 25).map(json), ...bad, ...good.slice(25).map(json)];
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
    expect(out.FailedPutCount).toBe(0);

    const keys = await objects(`${name}/data/`, (k) => k.length > 0);
    const rows: Record<string, unknown>[] = [];
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${name}/data/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${name}-1-\\d{4}(-\\d{2}){5}-[0-9a-f-]{36}\\.parquet$`));
      const file = asArrayBuffer(await s3.getObject(BUCKET, key));
      const meta = parquetMetadata(file);
      expect(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec))).toSatisfy((codecs: unknown[]) => codecs.every((c) => c === 'SNAPPY'));
      expect(parquetSchema(meta).children.map((c) => [c.element.name, c.element.type ?? null, c.element.logical_type?.type ?? null])).toEqual([
        ['id', 'INT64', null], ['user', 'BYTE_ARRAY', 'STRING'], ['score', 'DOUBLE', null], ['ok', 'BOOLEAN', null], ['at', 'INT64', 'TIMESTAMP'], ['tags', null, 'LIST'],
      ]);
      rows.push(...(await parquetReadObjects({ file, compressors })));
    }
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual(good.map((g) => ({ ...g, id: BigInt(g.id), at: new Date(g.at) })));

    const docs = await failedDocuments(name, bad.length);
    expect(docs).toHaveLength(bad.length);
    const metric = async (metricName: string) => Number(new RegExp(`^${metricName}\\{DeliveryStreamName="${name}"\\} ([0-9.e+-]+)$`, 'm').exec(await node.metrics.text())?.[1]);
    expect(await metric('SucceedConversion_Records')).toBe(good.length);
    expect(await metric('FailedConversion_Records')).toBe(bad.length);
    expect(await metric('FailedConversion_Bytes')).toBe(bad.reduce((n, b) => n + b.length, 0));
    expect(await metric('DeliveryToS3_Records')).toBe(good.length);
    const byData = new Map(docs.map((d) => [d.rawData as string, d]));
    const codes = bad.map((b) => byData.get(b.toString('base64'))?.lastErrorCode);
    expect(codes).toEqual(['DataFormatConversion.ParseError', 'DataFormatConversion.MalformedData', 'DataFormatConversion.MalformedData']);
    for (const d of docs) {
      expect(Object.keys(d)).toEqual(['attemptsMade', 'arrivalTimestamp', 'lastErrorCode', 'lastErrorMessage', 'attemptEndingTimestamp', 'rawData', 'dataCatalogTable']);
      expect(d).toMatchObject({ attemptsMade: 1, arrivalTimestamp: expect.any(Number), lastErrorMessage: expect.any(String), attemptEndingTimestamp: expect.any(Number) });
      expect(d.dataCatalogTable).toEqual({
        catalogId: ACCOUNT, databaseName: 'analytics', tableName: 'clicks', region: 'us-east-1', versionId: '0', catalogArn: `arn:aws:glue:us-east-1:${ACCOUNT}:catalog`,
      });
    }
  });

  it('schema from a get-table file: GZIP Parquet, Hive SerDe; partition keys are not file columns', async () => {
    const name = 'requests';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name, ExtendedS3DestinationConfiguration: destination(name, conversion('weblogs', 'requests', 'GZIP', { HiveJsonSerDe: {} })),
    }));
    const good = [{ path: '/a', status: 200, bytes: 1234, geo: { lat: 1.5, lon: -2.25 } }, { path: '/b', status: 404, bytes: 0 }];
    const bad = [json({ path: '/c', status: '500' })]; // the Hive SerDe wants JSON numbers for numeric columns
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [...good.map(json), ...bad].map((Data) => ({ Data })) }));

    const [key] = await objects(`${name}/data/`, (k) => k.length > 0);
    expect(key.endsWith('.parquet')).toBe(true);
    const file = asArrayBuffer(await s3.getObject(BUCKET, key));
    const meta = parquetMetadata(file);
    expect(meta.row_groups[0].columns.every((c) => c.meta_data?.codec === 'GZIP')).toBe(true);
    expect(parquetSchema(meta).children.map((c) => [c.element.name, c.element.type ?? null])).toEqual([['path', 'BYTE_ARRAY'], ['status', 'INT32'], ['bytes', 'INT64'], ['geo', null]]);
    expect(await parquetReadObjects({ file, compressors })).toEqual([
      { path: '/a', status: 200, bytes: 1234n, geo: { lat: 1.5, lon: -2.25 } },
      { path: '/b', status: 404, bytes: 0n, geo: null },
    ]);
    const [doc] = await failedDocuments(name, 1);
    expect(doc).toMatchObject({ lastErrorCode: 'DataFormatConversion.MalformedData', rawData: bad[0].toString('base64') });
    expect(doc.dataCatalogTable).toMatchObject({ databaseName: 'weblogs', tableName: 'requests', versionId: '7' });
  });

  it('a transformation Lambda runs before conversion: its JSON output is what becomes Parquet rows', async () => {
    const name = 'csv';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: destination(name, conversion('analytics', 'clicks', 'UNCOMPRESSED'), {
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:123456789012:function:csv-to-json' }] }] },
      }),
    }));
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: ['1,ann', '2,bob'].map((s) => ({ Data: Buffer.from(s) })) }));
    const [key] = await objects(`${name}/data/`, (k) => k.length > 0);
    const file = asArrayBuffer(await s3.getObject(BUCKET, key));
    expect(parquetMetadata(file).row_groups[0].columns[0].meta_data?.codec).toBe('UNCOMPRESSED');
    const rows = await parquetReadObjects({ file, compressors });
    expect(rows.map((r) => [r.id, r.user, r.score])).toEqual([[1n, 'ann', null], [2n, 'bob', null]]);
  });

  it('refuses what AWS refuses, ORC, and conversion over a compressed destination (create and update)', async () => {
    const refuse = async (name: string, cfg: ExtendedS3DestinationConfiguration, message: RegExp) => {
      const err = await client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ExtendedS3DestinationConfiguration: cfg })).then(() => undefined, (e: Error) => e);
      expect(err?.name).toBe('InvalidArgumentException');
      expect(err?.message).toMatch(message);
    };
    await refuse('r1', destination('r1', conversion('analytics', 'clicks', 'SNAPPY'), { CompressionFormat: 'GZIP' }), /CompressionFormat must be UNCOMPRESSED/);
    await refuse('r2', destination('r2', conversion('analytics', 'clicks', 'SNAPPY'), { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } }), /at least 64/);
    await refuse('r3', destination('r3', { ...conversion('analytics', 'clicks', 'SNAPPY'), OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } } }), /OrcSerDe is not supported.*no maintained ORC writer/);
    await refuse('r6', destination('r6', conversion('nowhere', 'nothing', 'SNAPPY')), /table nowhere\.nothing is not defined/);
    await refuse('r4', destination('r4', { ...conversion('analytics', 'clicks', 'SNAPPY'), InputFormatConfiguration: { Deserializer: {} } }), /exactly one of OpenXJsonSerDe and HiveJsonSerDe/);

    // Turning conversion on for a GZIP stream is refused too, and changes nothing.
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'r5', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: `arn:aws:s3:::${BUCKET}`, CompressionFormat: 'GZIP', BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 } },
    }));
    const before = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'r5' }))).DeliveryStreamDescription!;
    const err = await client.send(new UpdateDestinationCommand({
      DeliveryStreamName: 'r5', CurrentDeliveryStreamVersionId: before.VersionId, DestinationId: before.Destinations![0].DestinationId,
      ExtendedS3DestinationUpdate: { DataFormatConversionConfiguration: conversion('analytics', 'clicks', 'SNAPPY') },
    })).then(() => undefined, (e: Error) => e);
    expect(err?.name).toBe('InvalidArgumentException');
    expect((await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'r5' }))).DeliveryStreamDescription!.VersionId).toBe(before.VersionId);
  });
});
