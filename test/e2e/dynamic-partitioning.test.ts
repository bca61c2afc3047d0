/**
 * Dynamic partitioning end to end: partition keys from a MetadataExtraction jq query and from a
 * transform Lambda's `metadata.partitionKeys` place records under `customer=…/year=…/` prefixes.
 * Each partition has its own buffer (BufferingHints per partition): records of one partition that
 * arrive in several PutRecordBatch calls, and so in several source batches, land in ONE object when
 * the partition's buffer times out. Records that would open a partition while the limit (set low
 * here) is reached go to `activePartitionExceeded/`, and records the query cannot partition to
 * `processing-failed/`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, UpdateDestinationCommand, type ExtendedS3DestinationConfiguration, type FirehoseClient, type Processor } from '@aws-sdk/client-firehose';
import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { documents, jqProcessors, param, ROLE, startTransformTestbed, type TransformTestbed } from '../helpers/transform-testbed.js';
import { waitFor } from '../helpers/hydrant.js';

const BUCKET = 'lake';
const LIMIT = 3;

/** Epoch seconds of 1 July of `year`, UTC. */
const ts = (year: number) => Date.UTC(year, 6, 1) / 1000;

describe('dynamic partitioning through the AWS SDK into S3', () => {
  let bed: TransformTestbed;
  let client: FirehoseClient;

  beforeAll(async () => {
    bed = await startTransformTestbed(BUCKET, {
      transforms: {
        activePartitionLimit: LIMIT,
        glue: { tables: [{ DatabaseName: 'shop', Name: 'orders', StorageDescriptor: { Columns: [{ Name: 'customer_id', Type: 'string' }, { Name: 'n', Type: 'int' }] } }] },
      },
    });
    client = bed.client;
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  const objects = (prefix: string, count: number) => bed.objects(prefix, count);
  const waitForKeys = (prefix: string, count: number) => waitFor(async () => {
    const keys = await bed.s3.listKeys(BUCKET, prefix);
    return keys.length >= count ? keys : undefined;
  }, 60_000, 200);
  const docs = (bodies: Iterable<string>) => documents(bodies);
  /** An S3 destination partitioned by `customer` (from the jq query or the Lambda), under `<name>/`. */
  const partitioned = (name: string, from: 'Query' | 'Lambda', intervalSeconds: number, processors: Processor[], extra: Partial<ExtendedS3DestinationConfiguration> = {}): ExtendedS3DestinationConfiguration => ({
    RoleARN: ROLE,
    BucketARN: `arn:aws:s3:::${BUCKET}`,
    Prefix: `${name}/customer=!{partitionKeyFrom${from}:customer}/`,
    ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: intervalSeconds },
    DynamicPartitioningConfiguration: { Enabled: true },
    ProcessingConfiguration: { Enabled: true, Processors: processors },
    ...extra,
  });

  it('a jq MetadataExtraction query writes customer=…/year=…/ prefixes, one object per partition; unpartitionable records go to processing-failed/', async () => {
    const name = 'orders';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/customer=!{partitionKeyFromQuery:customer}/year=!{partitionKeyFromQuery:year}/`,
        ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 1 },
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            { Type: 'MetadataExtraction', Parameters: [param('MetadataExtractionQuery', '{customer: .customer_id, year: .ts | strftime("%Y")}'), param('JsonParsingEngine', 'JQ-1.6')] },
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      },
    }));
    const described = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
    expect(described.Destinations![0].ExtendedS3DestinationDescription!.DynamicPartitioningConfiguration).toMatchObject({ Enabled: true });

    const records = [
      { customer_id: 'acme', ts: ts(2024), n: 1 },
      { customer_id: 'globex', ts: ts(2024), n: 2 },
      { customer_id: 'acme', ts: ts(2025), n: 3 },
      { customer_id: 'acme', ts: ts(2024), n: 4 },
      { customer_id: 'globex', ts: ts(2024), n: 5 },
    ].map((r) => JSON.stringify(r));
    const bad = ['not json at all', JSON.stringify({ ts: ts(2024), n: 6 })];
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [...records, ...bad].map((r) => ({ Data: Buffer.from(r) })) }));
    expect(out.FailedPutCount).toBe(0);

    const data = await objects(`${name}/`, 3);
    const byPrefix = new Map<string, string[]>();
    for (const [key, body] of data) {
      const m = new RegExp(`^${name}/(customer=[^/]+/year=\\d{4})/${name}-1-\\d{4}(-\\d{2}){5}-[0-9a-f-]{36}$`).exec(key);
      expect(m, key).toBeTruthy();
      const list = byPrefix.get(m![1]) ?? [];
      list.push(body);
      byPrefix.set(m![1], list);
    }
    // One object per partition, holding exactly that partition's records.
    expect([...byPrefix.keys()].sort()).toEqual(['customer=acme/year=2024', 'customer=acme/year=2025', 'customer=globex/year=2024']);
    for (const list of byPrefix.values()) expect(list).toHaveLength(1);
    const ns = (p: string) => byPrefix.get(p)![0].split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
    expect(ns('customer=acme/year=2024')).toEqual([1, 4]);
    expect(ns('customer=globex/year=2024')).toEqual([2, 5]);
    expect(ns('customer=acme/year=2025')).toEqual([3]);

    const failed = docs((await objects(`${name}-errors/processing-failed/`, 1)).values());
    expect(failed).toHaveLength(2);
    const why = new Map(failed.map((d) => [Buffer.from(d.rawData as string, 'base64').toString(), d]));
    expect(why.get('not json at all')).toMatchObject({ errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: 'Non JSON record provided' });
    expect(why.get(bad[1])).toMatchObject({ errorCode: 'DynamicPartitioning.MetadataExtractionFailed' });
    expect(String(why.get(bad[1])!.errorMessage)).toMatch(/customer/);
  });

  it('Lambda partition keys: partitions beyond the active-partition limit go to activePartitionExceeded/', async () => {
    const name = 'tenants';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: `${name}/customer=!{partitionKeyFromLambda:customer}/`,
        ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 1 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 60 } },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'partition')] }] },
      },
    }));
    // Five customers in one batch; the limit is three.
    const customers = ['c1', 'c2', 'c3', 'c4', 'c5', 'c1', 'c5'];
    const out = await client.send(new PutRecordBatchCommand({
      DeliveryStreamName: name,
      Records: customers.map((customer, i) => ({ Data: Buffer.from(`${JSON.stringify({ customer, i })}\n`) })),
    }));
    expect(out.FailedPutCount).toBe(0);
    const data = await objects(`${name}/`, LIMIT);
    const prefixes = [...data.keys()].map((k) => k.split('/')[1]).sort();
    expect(prefixes).toEqual(['customer=c1', 'customer=c2', 'customer=c3']);
    const exceeded = docs((await objects(`${name}-errors/activePartitionExceeded/`, 1)).values());
    const raw = exceeded.map((d) => JSON.parse(Buffer.from(d.rawData as string, 'base64').toString()) as { customer: string; i: number });
    expect(raw.map((r) => r.i).sort()).toEqual([3, 4, 6]);
    for (const d of exceeded) {
      expect(d.errorCode).toBe('DynamicPartitioning.ActivePartitionsLimitExceeded');
      expect(String(d.errorMessage)).toContain(`${LIMIT} partitions`);
    }
    const metrics = await (await fetch(`${bed.node.endpoint}/metrics`)).text();
    expect(metrics).toContain(`PartitionCountExceeded{DeliveryStreamName="${name}"} 1`);
    expect(metrics).toContain(`PartitionCount{DeliveryStreamName="${name}"} ${LIMIT}`);
    expect(metrics).toContain(`ActivePartitionsLimit{DeliveryStreamName="${name}"} ${LIMIT}`);
    // Nothing lost, nothing twice.
    const delivered = [...data.values()].flatMap((b) => b.split('\n').filter(Boolean)).map((l) => (JSON.parse(l) as { i: number }).i);
    expect([...delivered, ...raw.map((r) => r.i)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  /** Source batches of a partitioned stream are cut after at most 1 s: puts this far apart are in different ones. */
  const SPREAD_MS = 1600;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('records of one partition sent in several calls (several source batches) land in ONE gzip object per partition when its own buffer times out', async () => {
    const name = 'spread';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: partitioned(name, 'Query', 10, jqProcessors('{customer: .customer_id}'), { CompressionFormat: 'GZIP' }),
    }));
    const started = Date.now();
    let n = 0;
    // acme from the first call on, globex only from the third (its buffer opens ~4 s later).
    for (let call = 0; call < 4; call++) {
      if (call > 0) await pause(2_000);
      const customers = call < 2 ? ['acme', 'acme'] : ['acme', 'globex', 'acme'];
      const rows = customers.map((customer) => JSON.stringify({ customer_id: customer, n: n++ }));
      const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: rows.map((r) => ({ Data: Buffer.from(r) })) }));
      expect(out.FailedPutCount).toBe(0);
    }
    // Each partition's buffer is written at ITS interval: acme's first, while globex's is still open.
    const first = await waitForKeys(`${name}/`, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect(first).toHaveLength(1);
    expect(first[0]).toContain('/customer=acme/');
    const keys = await waitForKeys(`${name}/`, 2);
    await pause(2_000); // a second object per partition would show up now
    const all = await bed.s3.listKeys(BUCKET, `${name}/`);
    expect(all).toEqual(keys);
    const byPartition = new Map<string, number[]>();
    for (const key of all) {
      expect(key.endsWith('.gz'), key).toBe(true);
      const partition = key.split('/')[1];
      expect(byPartition.has(partition), `a second object for ${partition}`).toBe(false);
      const body = gunzipSync(await bed.s3.getObject(BUCKET, key)).toString();
      byPartition.set(partition, body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n));
    }
    // One object per partition, holding every record of it in order: nothing lost, nothing twice.
    expect(byPartition.get('customer=acme')).toEqual([0, 1, 2, 3, 4, 6, 7, 9]);
    expect(byPartition.get('customer=globex')).toEqual([5, 8]);
    expect(await bed.s3.listKeys(BUCKET, `${name}-errors/`)).toEqual([]);
  });

  it('the active-partition limit counts partitions with an open buffer across source batches', async () => {
    const name = 'spread-limit';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: partitioned(name, 'Lambda', 6, [{ Type: 'Lambda', Parameters: [param('LambdaArn', 'partition')] }]),
    }));
    const put = (customers: string[], from: number) => client.send(new PutRecordBatchCommand({
      DeliveryStreamName: name,
      Records: customers.map((customer, i) => ({ Data: Buffer.from(`${JSON.stringify({ customer, i: from + i })}\n`) })),
    }));
    expect((await put(['c1', 'c2', 'c3'], 0)).FailedPutCount).toBe(0);
    await pause(SPREAD_MS);
    // c1..c3 still have open buffers: c4 and c5 would be the 4th and 5th active partitions.
    expect((await put(['c4', 'c1', 'c5', 'c2'], 3)).FailedPutCount).toBe(0);
    const data = await objects(`${name}/`, LIMIT);
    const exceeded = docs((await objects(`${name}-errors/activePartitionExceeded/`, 1)).values());
    await pause(1_500);
    expect(await bed.s3.listKeys(BUCKET, `${name}/`)).toHaveLength(LIMIT);
    const byPartition = new Map([...data].map(([k, b]) => [k.split('/')[1], b.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i)]));
    expect(byPartition).toEqual(new Map([['customer=c1', [0, 4]], ['customer=c2', [1, 6]], ['customer=c3', [2]]]));
    const raw = exceeded.map((d) => JSON.parse(Buffer.from(d.rawData as string, 'base64').toString()) as { customer: string; i: number });
    expect(raw.map((r) => r.customer).sort()).toEqual(['c4', 'c5']);
    for (const d of exceeded) expect(d.errorCode).toBe('DynamicPartitioning.ActivePartitionsLimitExceeded');
    const delivered = [...byPartition.values()].flat();
    expect([...delivered, ...raw.map((r) => r.i)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('with record format conversion each partition\'s object is a Parquet file of its records', async () => {
    const name = 'orders-parquet';
    await client.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: partitioned(name, 'Query', 1, jqProcessors('{customer: .customer_id}', false), {
        DataFormatConversionConfiguration: {
          Enabled: true,
          SchemaConfiguration: { RoleARN: ROLE, DatabaseName: 'shop', TableName: 'orders' },
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        },
      }),
    }));
    const rows = [{ customer_id: 'acme', n: 1 }, { customer_id: 'globex', n: 2 }, { customer_id: 'acme', n: 3 }];
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: rows.map((r) => ({ Data: Buffer.from(JSON.stringify(r)) })) }));
    const keys = await waitForKeys(`${name}/`, 2);
    const read = new Map<string, unknown[]>();
    for (const key of keys) {
      expect(key.endsWith('.parquet'), key).toBe(true);
      const b = await bed.s3.getObject(BUCKET, key);
      read.set(key.split('/')[1], await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, compressors }));
    }
    expect(read.get('customer=acme')).toEqual([{ customer_id: 'acme', n: 1 }, { customer_id: 'acme', n: 3 }]);
    expect(read.get('customer=globex')).toEqual([{ customer_id: 'globex', n: 2 }]);
  });

  it('refuses what AWS refuses: a small buffer, a key no processor makes, no ErrorOutputPrefix, turning it off later', async () => {
    const base = {
      RoleARN: ROLE,
      BucketARN: `arn:aws:s3:::${BUCKET}`,
      Prefix: 'x/customer=!{partitionKeyFromQuery:customer}/',
      ErrorOutputPrefix: 'x-errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [{ Type: 'MetadataExtraction' as const, Parameters: [param('MetadataExtractionQuery', '{customer: .c}'), param('JsonParsingEngine', 'JQ-1.6')] }],
      },
    };
    const refused = async (name: string, cfg: object, message: RegExp) => {
      await expect(client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ExtendedS3DestinationConfiguration: { ...base, ...cfg } })))
        .rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringMatching(message) });
    };
    await refused('dp-small', { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } }, /SizeInMBs must be at least 64/);
    await refused('dp-key', { Prefix: 'x/region=!{partitionKeyFromQuery:region}/' }, /region/);
    await refused('dp-noerr', { ErrorOutputPrefix: undefined }, /ErrorOutputPrefix/);
    await client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'dp-ok', ExtendedS3DestinationConfiguration: base }));
    await expect(client.send(new UpdateDestinationCommand({
      DeliveryStreamName: 'dp-ok', CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001',
      ExtendedS3DestinationUpdate: { DynamicPartitioningConfiguration: { Enabled: false } },
    }))).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('cannot be disabled') });
  });
});
