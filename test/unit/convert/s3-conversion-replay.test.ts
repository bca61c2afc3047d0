/**
 * A converted batch is reproducible: its plan (what the checkpoint journal stores) fixes how it is
 * converted, so a replay after a crash writes the same Parquet object and the same
 * format-conversion-failed object at the same keys — even when UpdateDestination changed the
 * conversion settings in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import type { LogRecord } from '../../../src/core/record.js';
import { FormatConverter } from '../../../src/delivery/convert/format-converter.js';
import { GlueTables } from '../../../src/delivery/convert/glue-tables.js';
import { S3Destination } from '../../../src/delivery/destinations/s3.js';
import { resolveS3Destination, type ExtendedS3DestinationConfiguration } from '../../../src/delivery/destinations/s3-config.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { SdkObjectStore } from '../../../sinks/s3/sdk-store.js';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../../helpers/s3-server.js';

const conversion = (compression: string) => ({
  Enabled: true,
  SchemaConfiguration: { DatabaseName: 'db', TableName: 't' },
  InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
  OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: compression } } },
});

describe('record format conversion on replay', () => {
  let s3: S3TestServer;
  let store: SdkObjectStore;
  const converter = new FormatConverter();

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('lake');
    store = new SdkObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, forcePathStyle: true });
  });
  afterAll(async () => {
    await converter.close();
    store?.close();
    await s3?.stop();
  });

  it('writes the same objects at the same keys from the journaled plan', async () => {
    let cfg: ExtendedS3DestinationConfiguration = {
      RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::lake', Prefix: 'd/', ErrorOutputPrefix: 'e/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 1 }, DataFormatConversionConfiguration: conversion('SNAPPY'),
    };
    const destination = new S3Destination({
      streamName: 's',
      current: () => ({ config: resolveS3Destination(cfg), version: 1 }),
      store,
      metrics: new Metrics({ defaultMetrics: false }),
      conversion: { converter, tables: new GlueTables({ tables: [{ DatabaseName: 'db', Name: 't', Columns: [{ Name: 'n', Type: 'int' }, { Name: 's', Type: 'string' }] }] }), region: 'us-east-1', accountId: '123456789012' },
    });
    const at = Date.UTC(2024, 5, 10, 13, 5, 42);
    const records: LogRecord[] = ['{"n":1,"s":"a"}', 'not json', '{"n":2,"s":"b"}', '{"n":"x"}'].map((d, i) => ({ position: i, arrivedAt: at + i, partitionKey: '', data: Buffer.from(d) }));
    const plan = JSON.parse(JSON.stringify(destination.plan({ id: 'batch-1', ranges: [{ shardId: 'shardId-000000000000', first: 0, last: 3 }], records, oldestArrival: at, bytes: 40 })));

    const deliverOnce = async () => {
      const encoded = await destination.encode(plan, records);
      await destination.deliver(plan, encoded, new AbortController().signal);
      const keys = await s3.listKeys('lake');
      return { keys, bodies: await Promise.all(keys.map((k) => s3.getObject('lake', k))) };
    };
    const first = await deliverOnce();
    expect(first.keys).toHaveLength(2);
    expect(first.keys.filter((k) => k.startsWith('d/') && k.endsWith('.parquet'))).toHaveLength(1);
    expect(first.keys.filter((k) => k.startsWith('e/format-conversion-failed/'))).toHaveLength(1);

    // UpdateDestination after the cut: the replayed batch still converts as planned.
    cfg = { ...cfg, DataFormatConversionConfiguration: conversion('GZIP') };
    const again = await deliverOnce();
    expect(again.keys).toEqual(first.keys);
    const parquet = first.keys.findIndex((k) => k.endsWith('.parquet'));
    expect(again.bodies[parquet].equals(first.bodies[parquet])).toBe(true);
    const file = again.bodies[parquet];
    expect(parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer).row_groups[0].columns[0].meta_data?.codec).toBe('SNAPPY');
    const errors = again.bodies[1 - parquet].toString().trim().split('\n').map((l) => JSON.parse(l) as { rawData: string; lastErrorCode: string });
    expect(errors.map((e) => [Buffer.from(e.rawData, 'base64').toString(), e.lastErrorCode])).toEqual([
      ['not json', 'DataFormatConversion.ParseError'], ['{"n":"x"}', 'DataFormatConversion.MalformedData'],
    ]);
  });
});
