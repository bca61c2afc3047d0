/**
 * Record format conversion: JSON records through the conversion worker into Parquet, read back
 * with hyparquet (an independent pure-JS Parquet reader) against the declared schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { FormatConverter, dataCatalogTable } from '../../../src/delivery/convert/format-converter.js';
import { resolveFormatConversion, type DataFormatConversionInput } from '../../../src/delivery/convert/format-conversion-config.js';
import { GlueTables, TableSchemaError } from '../../../src/delivery/convert/glue-tables.js';
import { parseHiveType } from '../../../src/delivery/convert/hive-types.js';
import { formatConversionFailedDocument } from '../../../src/delivery/transform/failed-records.js';

const COLUMNS = [
  { Name: 'id', Type: 'bigint' }, { Name: 'name', Type: 'string' }, { Name: 'score', Type: 'double' }, { Name: 'active', Type: 'boolean' },
  { Name: 'ts', Type: 'timestamp' }, { Name: 'day', Type: 'date' }, { Name: 'price', Type: 'decimal(10,2)' }, { Name: 'tags', Type: 'array<string>' },
  { Name: 'attrs', Type: 'map<string,int>' }, { Name: 'geo', Type: 'struct<lat:double,lon:double>' }, { Name: 'level', Type: 'tinyint' },
];

const conversion = (compression: string, deserializer: Record<string, unknown> = { OpenXJsonSerDe: {} }): DataFormatConversionInput => ({
  Enabled: true,
  SchemaConfiguration: { DatabaseName: 'analytics', TableName: 'events', RoleARN: 'arn:aws:iam::123456789012:role/r' },
  InputFormatConfiguration: { Deserializer: deserializer },
  OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: compression } } },
});

const asArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('Hive types', () => {
  it('parses the types Glue tables use and refuses uniontype', () => {
    expect(parseHiveType('map<string, array<struct<a:int,`B c`:decimal(5,1)>>>')).toEqual({
      kind: 'map', key: { kind: 'string' },
      value: { kind: 'array', element: { kind: 'struct', fields: [{ name: 'a', type: { kind: 'int' } }, { name: 'B c', type: { kind: 'decimal', precision: 5, scale: 1 } }] } },
    });
    expect(parseHiveType('VARCHAR(10)')).toEqual({ kind: 'varchar', length: 10 });
    expect(() => parseHiveType('uniontype<int,string>')).toThrow('uniontype is not supported');
    expect(() => parseHiveType('array<int')).toThrow("expected '>'");
  });
});

describe('record format conversion to Parquet', () => {
  let dir: string;
  let tables: GlueTables;
  let converter: FormatConverter;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hydrant-glue-'));
    await mkdir(join(dir, 'analytics'));
    // What `aws glue get-table --database-name analytics --name events` prints.
    await writeFile(join(dir, 'analytics', 'events.json'), JSON.stringify({
      Table: { Name: 'events', DatabaseName: 'analytics', VersionId: '3', StorageDescriptor: { Columns: COLUMNS }, PartitionKeys: [{ Name: 'dt', Type: 'string' }] },
    }));
    tables = new GlueTables({ tablesDir: dir, tables: [{ DatabaseName: 'inline', Name: 'logs', Columns: [{ Name: 'UserId', Type: 'int' }, { Name: 'event_time', Type: 'timestamp' }, { Name: 'msg', Type: 'string' }] }] });
    converter = new FormatConverter();
  });

  afterAll(async () => {
    await converter.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds tables in the config file and in get-table files, and says where it looked otherwise', async () => {
    const events = await tables.get('analytics', 'events');
    expect(events.versionId).toBe('3');
    expect(events.columns.map((c) => c.name)).toEqual(COLUMNS.map((c) => c.Name));
    expect((await tables.get('inline', 'logs')).columns.map((c) => c.name)).toEqual(['userid', 'event_time', 'msg']);
    await expect(tables.get('analytics', 'nope')).rejects.toBeInstanceOf(TableSchemaError);
    await expect(tables.get('analytics', 'nope')).rejects.toThrow('analytics/nope.json');
  });

  for (const compression of ['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const) {
    it(`writes ${compression} Parquet that an independent reader reads back with the declared schema`, async () => {
      const table = await tables.get('analytics', 'events');
      const cfg = resolveFormatConversion(conversion(compression))!;
      const records = [
        json({ ID: 1, Name: 'alpha', score: 1.5, active: true, ts: '2024-06-10T13:05:42.123Z', day: '2024-06-10', price: 12.34, tags: ['a', 'b'], attrs: { x: 1 }, geo: { lat: 1.5, lon: -2 }, level: 3 }),
        Buffer.from('{"id":2,"name":"beta","ts":1718024742}{"id":3,"name":"gamma","price":"7.5","active":"false","ts":1718024742000}'),
        Buffer.from('this is not json'),
        json({ id: 4, level: 1000 }),
        json([{ id: 5 }]),
        json({ id: 6, tags: 'not-an-array' }),
      ];
      const out = await converter.convert(table, cfg, records, { key: 's' });
      expect(out.rows).toBe(3);
      expect(out.failures.map((f) => [f.index, f.errorCode])).toEqual([
        [2, 'DataFormatConversion.ParseError'], [3, 'DataFormatConversion.MalformedData'], [4, 'DataFormatConversion.ParseError'], [5, 'DataFormatConversion.MalformedData'],
      ]);
      expect(out.failures[1].errorMessage).toContain('level: 1000 does not fit tinyint');

      const file = asArrayBuffer(out.file!);
      const meta = parquetMetadata(file);
      expect(meta.row_groups[0].columns.every((c) => c.meta_data?.codec === compression)).toBe(true);
      const schema = parquetSchema(meta).children.map((c) => [c.element.name, c.element.type ?? null, c.element.logical_type?.type ?? null]);
      expect(schema).toEqual([
        ['id', 'INT64', null], ['name', 'BYTE_ARRAY', 'STRING'], ['score', 'DOUBLE', null], ['active', 'BOOLEAN', null],
        ['ts', 'INT64', 'TIMESTAMP'], ['day', 'INT32', 'DATE'], ['price', 'INT64', 'DECIMAL'], ['tags', null, 'LIST'],
        ['attrs', null, 'MAP'], ['geo', null, null], ['level', 'INT32', 'INTEGER'],
      ]);
      const rows = await parquetReadObjects({ file, compressors });
      expect(rows[0]).toEqual({
        id: 1n, name: 'alpha', score: 1.5, active: true, ts: new Date('2024-06-10T13:05:42.123Z'), day: new Date('2024-06-10T00:00:00Z'),
        price: 12.34, tags: ['a', 'b'], attrs: { x: 1 }, geo: { lat: 1.5, lon: -2 }, level: 3,
      });
      expect(rows.slice(1).map((r) => [r.id, r.name, r.price, r.active, (r.ts as Date).toISOString()])).toEqual([
        [2n, 'beta', null, null, '2024-06-10T13:05:42.000Z'],
        [3n, 'gamma', 7.5, false, '2024-06-10T13:05:42.000Z'],
      ]);
    });
  }

  it('OpenX options: case sensitivity, dots to underscores, column-to-key mappings', async () => {
    const table = await tables.get('inline', 'logs');
    const openx = (o: Record<string, unknown>) => resolveFormatConversion(conversion('SNAPPY', { OpenXJsonSerDe: o }))!;
    const record = json({ userId: '7', 'event.time': '2024-01-02 03:04:05', message: 'hi' });
    const lenient = await converter.convert(table, openx({ ConvertDotsInJsonKeysToUnderscores: true, ColumnToJsonKeyMappings: { msg: 'message' } }), [record]);
    expect(await parquetReadObjects({ file: asArrayBuffer(lenient.file!) })).toEqual([{ userid: 7, event_time: new Date('2024-01-02T03:04:05Z'), msg: 'hi' }]);
    const strict = await converter.convert(table, openx({ CaseInsensitive: false }), [record]);
    expect(await parquetReadObjects({ file: asArrayBuffer(strict.file!) })).toEqual([{ userid: null, event_time: null, msg: null }]);
  });

  it('Hive SerDe: TimestampFormats, and numbers must be JSON numbers', async () => {
    const table = await tables.get('inline', 'logs');
    const hive = resolveFormatConversion(conversion('SNAPPY', { HiveJsonSerDe: { TimestampFormats: ["dd/MMM/yyyy:HH:mm:ss Z", 'millis'] } }))!;
    const out = await converter.convert(table, hive, [json({ userid: 1, event_time: '10/Oct/2000:13:55:36 -0700' }), json({ userid: 2, event_time: '971211336000' }), json({ userid: '3' })]);
    expect(out.failures.map((f) => [f.index, f.errorCode])).toEqual([[2, 'DataFormatConversion.MalformedData']]);
    expect(out.failures[0].errorMessage).toContain('the Hive JSON SerDe wants JSON numbers');
    const rows = await parquetReadObjects({ file: asArrayBuffer(out.file!) });
    expect(rows.map((r) => (r.event_time as Date).toISOString())).toEqual(['2000-10-10T20:55:36.000Z', '2000-10-10T20:55:36.000Z']);
  });

  it('map keys of numeric types are read from JSON object keys; decimals round half up to the scale', async () => {
    const table = { databaseName: 'd', tableName: 't', versionId: '0', columns: [{ name: 'm', type: parseHiveType('map<int,string>') }, { name: 'd', type: parseHiveType('decimal(5,2)') }] };
    const cfg = resolveFormatConversion(conversion('SNAPPY', { HiveJsonSerDe: {} }))!;
    const out = await converter.convert(table, cfg, [json({ m: { 1: 'one', 22: 'two' }, d: 1.005 }), json({ d: -123.454 }), json({ d: 12345.6 })]);
    expect(out.failures.map((f) => [f.index, f.errorMessage])).toEqual([[2, 'd: 12345.6 does not fit decimal(5,2)']]);
    const rows = await parquetReadObjects({ file: asArrayBuffer(out.file!) });
    expect(rows).toEqual([{ m: { 1: 'one', 22: 'two' }, d: 1.01 }, { m: null, d: -123.45 }]);
  });

  it('builds the format-conversion-failed document', async () => {
    const table = await tables.get('analytics', 'events');
    const cfg = resolveFormatConversion(conversion('SNAPPY'))!;
    const out = await converter.convert(table, cfg, [Buffer.from('nope')]);
    expect(out.file).toBeUndefined();
    const doc = formatConversionFailedDocument({
      attemptsMade: 1, arrivedAt: 1_718_000_000_000, errorCode: out.failures[0].errorCode, errorMessage: out.failures[0].errorMessage,
      attemptEndingTimestamp: 1_718_000_060_000, rawData: Buffer.from('nope'), sequenceNumber: '49546986683135544286507457936321625675700192471156785154', subSequenceNumber: 0,
      table: dataCatalogTable(cfg, table, 'us-east-1', '123456789012'),
    });
    expect(doc).toEqual({
      attemptsMade: 1, arrivalTimestamp: 1_718_000_000_000, lastErrorCode: 'DataFormatConversion.ParseError', lastErrorMessage: expect.stringContaining('The record is not valid JSON'),
      attemptEndingTimestamp: 1_718_000_060_000, rawData: 'bm9wZQ==', sequenceNumber: '49546986683135544286507457936321625675700192471156785154', subSequenceNumber: 0,
      dataCatalogTable: { catalogId: '123456789012', databaseName: 'analytics', tableName: 'events', region: 'us-east-1', versionId: '3', catalogArn: 'arn:aws:glue:us-east-1:123456789012:catalog' },
    });
    expect(Object.keys(doc)[0]).toBe('attemptsMade');
  });

  it('refuses configurations AWS refuses, and ORC', () => {
    expect(resolveFormatConversion({ ...conversion('SNAPPY'), Enabled: false })).toBeUndefined();
    expect(() => resolveFormatConversion({ Enabled: true })).toThrow('are required when DataFormatConversionConfiguration is enabled');
    expect(() => resolveFormatConversion(conversion('SNAPPY'), { compressionFormat: 'GZIP' })).toThrow('CompressionFormat must be UNCOMPRESSED');
    expect(() => resolveFormatConversion(conversion('SNAPPY'), { bufferingHints: { SizeInMBs: 32 } })).toThrow('BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.');
    expect(() => resolveFormatConversion(conversion('LZO'))).toThrow("ParquetSerDe.Compression 'LZO'");
    expect(() => resolveFormatConversion({ ...conversion('SNAPPY'), OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } } })).toThrow('no maintained ORC writer');
    expect(() => resolveFormatConversion(conversion('SNAPPY', { OpenXJsonSerDe: {}, HiveJsonSerDe: {} }))).toThrow('exactly one of OpenXJsonSerDe and HiveJsonSerDe');
  });
});
