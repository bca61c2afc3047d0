import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryKeys } from '../../../src/delivery/partitioning/query-keys.js';
import { ActivePartitions, DEFAULT_ACTIVE_PARTITION_LIMIT } from '../../../src/delivery/partitioning/active-partitions.js';
import { PartitionedBuffers } from '../../../src/delivery/partitioning/partitioned-buffers.js';
import { partitionOf, partitionSpec } from '../../../src/delivery/partitioning/partition.js';
import { checkDynamicPartitioning, checkDynamicPartitioningUpdate, resolveDynamicPartitioning } from '../../../src/delivery/partitioning/dynamic-partitioning.js';
import { resolveProcessingConfiguration, type ProcessorInput } from '../../../src/delivery/transform/processing-config.js';
import { ProcessorChain } from '../../../src/delivery/transform/chain.js';
import { JqEngine } from '../../../src/delivery/transform/jq/jq-engine.js';
import { evaluatePrefix } from '../../../sinks/s3/prefix.js';
import { seededRandomStrings } from '../../../sinks/s3/key-layout.js';
import { activePartitionExceededDocument } from '../../../src/delivery/transform/failed-records.js';
import type { PartitionKeys, ProcessedRecord } from '../../../src/delivery/transform/types.js';

const extraction = (query: string): ProcessorInput => ({ Type: 'MetadataExtraction', Parameters: [
  { ParameterName: 'MetadataExtractionQuery', ParameterValue: query }, { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }] });
const lambda: ProcessorInput = { Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'xform' }] };
const QUERY = '{customer: .customer_id, year: .ts | strftime("%Y")}';
const PREFIX = 'data/customer=!{partitionKeyFromQuery:customer}/year=!{partitionKeyFromQuery:year}/';

describe('MetadataExtractionQuery keys', () => {
  it('reads the keys of an object construction', () => {
    expect(queryKeys(QUERY)).toEqual(['customer', 'year']);
    expect(queryKeys('{ "a b": .x, c, $d, e: {f: 1, g: [1, 2]}, h: ("x,y" | ascii_downcase) }')).toEqual(['a b', 'c', 'd', 'e', 'h']);
  });

  it('gives up on queries whose keys are only known when they run', () => {
    expect(queryKeys('.payload | {a: .b}')).toBeUndefined();
    expect(queryKeys('{a: 1} + {b: 2}')).toBeUndefined();
    expect(queryKeys('{(.k): 1}')).toBeUndefined();
  });
});

describe('dynamic partitioning configuration', () => {
  const settings = (over: Partial<Parameters<typeof checkDynamicPartitioning>[0]> = {}) => checkDynamicPartitioning({
    dynamicPartitioning: resolveDynamicPartitioning({ Enabled: true }),
    bufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
    prefix: PREFIX,
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    processing: resolveProcessingConfiguration({ Processors: [extraction(QUERY)] }, { dynamicPartitioning: true }),
    ...over,
  });

  it('resolves AWS defaults and checks the retry range', () => {
    expect(resolveDynamicPartitioning({ Enabled: true })).toEqual({ enabled: true, retryDurationMs: 300_000 });
    expect(resolveDynamicPartitioning(undefined).enabled).toBe(false);
    expect(() => resolveDynamicPartitioning({ Enabled: true, RetryOptions: { DurationInSeconds: 7201 } })).toThrow('from 0 to 7200');
  });

  it('accepts a complete configuration', () => {
    expect(settings()).toBeNull();
  });

  it('refuses what AWS refuses', () => {
    expect(settings({ bufferingHints: { SizeInMBs: 32, IntervalInSeconds: 60 } })).toBe('BufferingHints.SizeInMBs must be at least 64 when Dynamic Partitioning is enabled.');
    expect(settings({ bufferingHints: { SizeInMBs: 64, IntervalInSeconds: 0 } })).toContain('zero buffering');
    expect(settings({ errorOutputPrefix: undefined })).toContain('ErrorOutputPrefix cannot be null or empty');
    expect(settings({ prefix: 'data/!{timestamp:yyyy}/' })).toContain('at least one !{partitionKeyFromQuery:key}');
    expect(settings({ prefix: 'c=!{partitionKeyFromQuery:customer_id}/' })).toContain('names a key the MetadataExtractionQuery does not produce (it produces customer, year)');
    expect(settings({ prefix: 'c=!{partitionKeyFromLambda:customer}/' })).toContain('needs a Lambda processor');
    expect(settings({ processing: resolveProcessingConfiguration({ Processors: [lambda] }) })).toContain('needs a MetadataExtraction processor');
    expect(settings({ errorOutputPrefix: 'e/!{partitionKeyFromQuery:customer}/!{firehose:error-output-type}' })).toContain('ErrorOutputPrefix cannot contain partitionKeyFromQuery');
  });

  it('lets Lambda keys and jq keys be mixed', () => {
    expect(settings({
      prefix: 'c=!{partitionKeyFromLambda:customer}/y=!{partitionKeyFromQuery:year}/',
      processing: resolveProcessingConfiguration({ Processors: [lambda, extraction(QUERY)] }, { dynamicPartitioning: true }),
    })).toBeNull();
  });

  it('can neither be turned on nor off by an update', () => {
    expect(checkDynamicPartitioningUpdate(false, true)).toContain('only be enabled when the Firehose stream is created');
    expect(checkDynamicPartitioningUpdate(true, false)).toContain('cannot be disabled');
    expect(checkDynamicPartitioningUpdate(true, undefined)).toBeNull();
  });
});

describe('partitions', () => {
  let jq: JqEngine;
  beforeAll(() => {
    jq = new JqEngine();
  });
  afterAll(async () => {
    await jq.close();
  });

  it('a JQ-based configuration yields customer=…/year=…/ prefixes with one buffer per partition, and the limit routes overflow', async () => {
    const chain = new ProcessorChain({
      config: resolveProcessingConfiguration({ Processors: [extraction(QUERY), { Type: 'AppendDelimiterToRecord' }] }, { dynamicPartitioning: true }),
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/dp', region: 'us-east-1', accountId: '000000000000', key: 'dp', jq,
    });
    const docs = [
      { customer_id: 'acme', ts: 1_700_000_000 }, { customer_id: 'globex', ts: 1_700_000_000 }, { customer_id: 'acme', ts: 1_600_000_000 },
      { customer_id: 'acme', ts: 1_700_000_100 }, { customer_id: 'initech', ts: 1_700_000_000 },
    ];
    const out = await chain.process('b1', docs.map((d, i) => ({ data: Buffer.from(JSON.stringify(d)), arrivedAt: 1_718_000_000_000 + i })));
    const spec = partitionSpec(PREFIX);
    const active = new ActivePartitions(3);
    const buffers = new PartitionedBuffers<Buffer, PartitionKeys>({ maxBytes: 64 * 1024 * 1024, intervalMs: 60_000 }, active, () => 0);
    const overflow: ProcessedRecord[] = [];
    for (const r of out) {
      if (r.result !== 'Ok') throw new Error(`unexpected ${r.result}`);
      const p = partitionOf(spec, r.partitionKeys);
      if (!p.ok) throw new Error(p.message);
      if (buffers.add(p.id, p.keys, r.data, r.data.length) === 'overflow') overflow.push(r);
    }
    expect(active.count).toBe(3);
    expect(overflow.map((r) => r.source)).toEqual([4]);
    expect(active.takeExceeded()).toBe(1);
    expect(active.takeExceeded()).toBe(0);
    const objects = buffers.partitions.map((id) => {
      const batch = buffers.take(id)!;
      const prefix = evaluatePrefix(PREFIX, { arrivalMs: 1_718_000_000_000, random: seededRandomStrings(id), partitionKeys: batch.keys });
      return [prefix, Buffer.concat(batch.items).toString()];
    });
    expect(objects).toEqual([
      ['data/customer=acme/year=2023/', '{"customer_id":"acme","ts":1700000000}\n{"customer_id":"acme","ts":1700000100}\n'],
      ['data/customer=globex/year=2023/', '{"customer_id":"globex","ts":1700000000}\n'],
      ['data/customer=acme/year=2020/', '{"customer_id":"acme","ts":1600000000}\n'],
    ]);
    // The partitions stay active until their objects are delivered.
    expect(buffers.add('["initech"]', {}, Buffer.from('x'), 1)).toBe('overflow');
    active.release(JSON.stringify([['globex', '2023'], []]));
    expect(buffers.add('["initech"]', {}, Buffer.from('x'), 1)).toBe('added');
    expect(activePartitionExceededDocument({ arrivedAt: 1, rawData: Buffer.from('r'), limit: 3, at: 2 })).toMatchObject({
      errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded', rawData: 'cg==', attemptsMade: 1,
    });
  });

  it('a record without a key the Prefix uses has no partition', () => {
    const spec = partitionSpec('c=!{partitionKeyFromQuery:customer}/l=!{partitionKeyFromLambda:region}/');
    expect(partitionOf(spec, { query: { customer: 'a' } })).toEqual({ ok: false, message: "partition key 'region' (partitionKeyFromLambda) is missing for the record" });
    expect(partitionOf(spec, { query: { customer: 'a', other: 'x' }, lambda: { region: 'eu' } })).toEqual({ ok: true, id: '[["a"],["eu"]]', keys: { query: { customer: 'a' }, lambda: { region: 'eu' } } });
  });

  it('buffers cut by their own interval and size', () => {
    let now = 0;
    const buffers = new PartitionedBuffers<string, object>({ maxBytes: 10, intervalMs: 1_000 }, new ActivePartitions(DEFAULT_ACTIVE_PARTITION_LIMIT), () => now);
    expect(buffers.add('a', {}, 'aaaaaa', 6)).toBe('added');
    now = 500;
    expect(buffers.add('b', {}, 'bb', 2)).toBe('added');
    expect(buffers.add('a', {}, 'aaaaaa', 6)).toBe('wouldOverflow');
    expect(buffers.timeUntilNextDue()).toBe(500);
    now = 1_000;
    expect(buffers.due()).toEqual(['a']);
    expect(buffers.add('b', {}, 'bbbbbbbb', 8)).toBe('full');
  });
});
