import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RecordAggregator } from 'aws-kinesis-agg';
import { ProcessorChain, type ProcessorChainOptions } from '../../../src/delivery/transform/chain.js';
import { LambdaRuntime } from '../../../src/delivery/transform/lambda/lambda-runtime.js';
import { JqCompileError, JqEngine } from '../../../src/delivery/transform/jq/jq-engine.js';
import { TransformAbortedError } from '../../../src/delivery/transform/errors.js';
import { resolveProcessingConfiguration, type ProcessorInput } from '../../../src/delivery/transform/processing-config.js';
import { processingFailedDocument } from '../../../src/delivery/transform/failed-records.js';
import type { ProcessedRecord, TransformInput } from '../../../src/delivery/transform/types.js';

const FUNCTIONS = join(import.meta.dirname, '..', '..', 'fixtures', 'functions');
const STREAM_ARN = 'arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks';

const lambda = (name: string, extra: Record<string, string> = {}): ProcessorInput => ({
  Type: 'Lambda',
  Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: `arn:aws:lambda:us-east-1:000000000000:function:${name}:$LATEST` },
    ...Object.entries(extra).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue }))],
});
const processor = (Type: string, params: Record<string, string> = {}): ProcessorInput => ({
  Type, Parameters: Object.entries(params).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
});
const inputs = (...texts: (string | Buffer)[]): TransformInput[] => texts.map((t, i) => ({ data: Buffer.isBuffer(t) ? t : Buffer.from(t), arrivedAt: 1_700_000_000_000 + i }));
const okTexts = (out: ProcessedRecord[]) => out.filter((r) => r.result === 'Ok').map((r) => (r as { data: Buffer }).data.toString());

describe('ProcessorChain', () => {
  let runtime: LambdaRuntime;
  let jq: JqEngine;

  beforeAll(() => {
    runtime = new LambdaRuntime({ region: 'us-east-1', accountId: '000000000000', functionsDir: FUNCTIONS, maxWorkers: 2 });
    jq = new JqEngine({ timeoutMs: 2_000 });
  });

  afterAll(async () => {
    await runtime.close();
    await jq.close();
  });

  const chain = (processors: ProcessorInput[], extra: Partial<ProcessorChainOptions> = {}, dynamicPartitioning = false) => new ProcessorChain({
    config: resolveProcessingConfiguration({ Enabled: true, Processors: processors }, { dynamicPartitioning }),
    deliveryStreamArn: STREAM_ARN,
    region: 'us-east-1',
    accountId: '000000000000',
    key: 'clicks',
    lambda: runtime,
    jq,
    retryDelayMs: () => 0,
    now: () => 1_800_000_000_000,
    ...extra,
  });

  it('passes records through unchanged when processing is disabled', async () => {
    const c = new ProcessorChain({ config: resolveProcessingConfiguration({ Enabled: false, Processors: [lambda('upper')] }), deliveryStreamArn: STREAM_ARN, region: 'us-east-1', accountId: '0', key: 'k' });
    expect(okTexts(await c.process('b', inputs('a', 'b')))).toEqual(['a', 'b']);
  });

  it('Ok records carry new data, Dropped are absent, ProcessingFailed keep the original bytes', async () => {
    const out = await chain([lambda('results')]).process('batch1', inputs('one', 'drop me', 'fail me', 'two'));
    expect(out.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'ProcessingFailed', 'Ok']);
    expect(okTexts(out)).toEqual(['<one>', '<two>']);
    const failed = out[2] as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>;
    expect(processingFailedDocument(failed.failure)).toEqual({
      attemptsMade: 1,
      arrivalTimestamp: 1_700_000_000_002,
      errorCode: 'Lambda.ProcessingFailedStatus',
      errorMessage: 'ProcessingFailed status set for record',
      attemptEndingTimestamp: 1_800_000_000_000,
      rawData: Buffer.from('fail me').toString('base64'),
      lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:results:$LATEST',
    });
    expect(failed.failure.errorOutputType).toBe('processing-failed');
  });

  const contractCases: [string, string, string][] = [
    ['missing', 'Lambda.MissingRecordId', 'One or more record IDs were not returned'],
    ['duplicate', 'Lambda.DuplicatedRecordId', 'more than once'],
    ['extra', 'Lambda.JsonProcessingException', "'not-mine', which was not part of the invocation"],
    ['result', 'Lambda.JsonProcessingException', "result 'OK'"],
    ['base64', 'Lambda.JsonProcessingException', 'not valid base64'],
    ['shape', 'Lambda.JsonProcessingException', 'must return an object with a records array'],
    ['keys', 'Lambda.JsonProcessingException', 'metadata.partitionKeys.n'],
    ['bigint', 'Lambda.FunctionError', 'Runtime.SerializationError'],
  ];
  for (const [mode, code, message] of contractCases) {
    it(`a response that breaks the contract (${mode}) fails every record after the retries with ${code}`, async () => {
      const out = await chain([lambda('contract', { NumberOfRetries: '2' })]).process('b', inputs(mode, 'x', 'y'));
      expect(out.map((r) => r.result)).toEqual(['ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed']);
      for (const r of out) {
        const f = (r as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>).failure;
        expect(f.errorCode).toBe(code);
        expect(f.errorMessage).toContain(message);
        expect(f.attemptsMade).toBe(3);
      }
    });
  }

  it('a handler that throws, loops or exits fails its records after NumberOfRetries + 1 attempts', async () => {
    const thrown = await chain([lambda('throws', { NumberOfRetries: '1' })]).process('b', inputs('a'));
    expect(thrown[0]).toMatchObject({ result: 'ProcessingFailed', failure: { errorCode: 'Lambda.FunctionError', attemptsMade: 2 } });
    const exited = await chain([lambda('exits', { NumberOfRetries: '0' })]).process('b', inputs('a'));
    expect(exited[0]).toMatchObject({ result: 'ProcessingFailed', failure: { errorCode: 'Lambda.FunctionError', attemptsMade: 1 } });
  });

  it('stopping the chain mid-invocation reports nothing as failed: it throws TransformAbortedError', async () => {
    const stop = new AbortController();
    const running = chain([lambda('loop')]).process('b', inputs('a'), stop.signal);
    stop.abort();
    await expect(running).rejects.toBeInstanceOf(TransformAbortedError);
    const jqStop = new AbortController();
    jqStop.abort();
    await expect(chain([processor('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.6' })], {}, true).process('b', inputs('{}'), jqStop.signal))
      .rejects.toBeInstanceOf(TransformAbortedError);
  });

  it('retries a failed invocation and succeeds', async () => {
    const out = await chain([lambda('flaky', { NumberOfRetries: '1' })]).process('b', inputs('a', 'b'));
    expect(okTexts(out)).toEqual(['a', 'b']);
  });

  it('splits records into invocations by BufferSizeInMBs', async () => {
    const big = 'x'.repeat(90 * 1024);
    // 0.2 MB = 209,715 bytes: two 90 KiB records per invocation.
    const out = await chain([lambda('count', { BufferSizeInMBs: '0.2' })]).process('b', inputs(big, big, big, big, big));
    expect(okTexts(out)).toEqual(['2', '2', '2', '2', '1']);
  });

  it('gives each record a stable id derived from the batch and its place', async () => {
    const seen: string[][] = [];
    const capture = async (_arn: string, event: unknown) => {
      const records = (event as { records: { recordId: string; data: string }[] }).records;
      seen.push(records.map((r) => r.recordId));
      return { ok: true as const, durationMs: 0, payload: JSON.stringify({ records: records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) }) };
    };
    const c = chain([lambda('any')], { lambda: capture });
    await c.process('batch-7', inputs('a', 'b'));
    await c.process('batch-7', inputs('a', 'b'));
    expect(seen[0]).toEqual(seen[1]);
    expect(new Set(seen[0]).size).toBe(2);
    expect(seen[0][0]).toContain('batch-7');
  });

  it('passes Kinesis record metadata and the source stream ARN to the function', async () => {
    const meta = { shardId: 'shardId-000000000001', partitionKey: 'pk', approximateArrivalTimestamp: 5, sequenceNumber: '4954', subsequenceNumber: 0 };
    const out = await chain([lambda('context')], { sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/src' })
      .process('b', [{ data: Buffer.from('a'), arrivedAt: 5, kinesisRecordMetadata: meta }]);
    const seen = JSON.parse(okTexts(out)[0]) as Record<string, unknown>;
    expect(seen).toMatchObject({ deliveryStreamArn: STREAM_ARN, region2: 'us-east-1', source: 'arn:aws:kinesis:us-east-1:000000000000:stream/src', meta, arrival: 5, count: 1 });
  });

  it('AppendDelimiterToRecord adds a newline (or the given delimiter) after each record, after the Lambda', async () => {
    expect(okTexts(await chain([processor('AppendDelimiterToRecord'), lambda('upper')]).process('b', inputs('a', 'b')))).toEqual(['A\n', 'B\n']);
    expect(okTexts(await chain([processor('AppendDelimiterToRecord', { Delimiter: '\\t|' })]).process('b', inputs('a')))).toEqual(['a\t|']);
  });

  it('RecordDeAggregation splits concatenated JSON, delimited records and KPL aggregates', async () => {
    const json = await chain([processor('RecordDeAggregation', { SubRecordType: 'JSON' })]).process('b', inputs('{"a":1}{"a":"}{"}\n {"b":[1,{"c":2}]}', 'not json {'));
    expect(okTexts(json)).toEqual(['{"a":1}', '{"a":"}{"}', '{"b":[1,{"c":2}]}', 'not json {']);
    expect(json.map((r) => r.source)).toEqual([0, 0, 0, 1]);
    const delimited = await chain([processor('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: Buffer.from('####').toString('base64') })]).process('b', inputs('a####b####c####'));
    expect(okTexts(delimited)).toEqual(['a', 'b', 'c']);
    const agg = new RecordAggregator();
    for (const [pk, d] of [['p1', 'x1'], ['p2', 'x2']]) agg.addUserRecord({ partitionKey: pk, data: Buffer.from(d) });
    const kpl = await chain([processor('RecordDeAggregation', { SubRecordType: 'KPL' }), lambda('upper')]).process('b', inputs((agg.build() as { data: Buffer }).data, 'plain'));
    expect(okTexts(kpl)).toEqual(['X1', 'X2', 'PLAIN']);
  });

  it('decompresses CloudWatch Logs envelopes, drops control messages and extracts log events', async () => {
    const envelope = (messageType: string, messages: string[]) => gzipSync(JSON.stringify({
      messageType, owner: '123456789012', logGroup: '/aws/lambda/x', logStream: 's', subscriptionFilters: ['f'],
      logEvents: messages.map((message, i) => ({ id: String(i), timestamp: 1, message })),
    }));
    const c = chain([processor('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }), processor('Decompression', { CompressionFormat: 'GZIP' }), processor('AppendDelimiterToRecord')]);
    const garbage = Buffer.from('not gzip at all');
    const out = await c.process('b', inputs(envelope('DATA_MESSAGE', ['first line', 'second line']), envelope('CONTROL_MESSAGE', ['CWL CONTROL MESSAGE']), garbage, envelope('DATA_MESSAGE', ['third'])));
    expect(out.map((r) => [r.source, r.result])).toEqual([[0, 'Ok'], [0, 'Ok'], [1, 'Dropped'], [2, 'ProcessingFailed'], [3, 'Ok']]);
    expect(okTexts(out)).toEqual(['first line\n', 'second line\n', 'third\n']);
    const failure = (out[3] as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>).failure;
    expect(failure).toMatchObject({ errorOutputType: 'decompression-failed', errorCode: 'Decompression.Failed' });
    expect(failure.rawData.equals(garbage)).toBe(true);
    expect(failure.errorMessage).toContain('could not be decompressed as GZIP');
  });

  it('MetadataExtraction computes partition keys with jq; non-JSON records and query errors fail alone', async () => {
    const c = chain([processor('MetadataExtraction', { MetadataExtractionQuery: '{customer: .customer_id, year: .ts | strftime("%Y"), n: .n}', JsonParsingEngine: 'JQ-1.6' })], {}, true);
    const out = await c.process('b', inputs('{"customer_id":"c1","ts":1700000000,"n":3}', 'plain text', '{"customer_id":"c2","ts":"soon"}', '{"customer_id":null,"ts":0}'));
    expect(out[0]).toMatchObject({ result: 'Ok', partitionKeys: { query: { customer: 'c1', year: '2023', n: '3' } } });
    expect(out[1]).toMatchObject({ result: 'ProcessingFailed', failure: { errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: 'Non JSON record provided' } });
    expect(out[2]).toMatchObject({ result: 'ProcessingFailed', failure: { errorCode: 'DynamicPartitioning.MetadataExtractionFailed' } });
    expect((out[2] as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>).failure.errorMessage).toContain('strftime');
    expect((out[3] as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>).failure.errorMessage).toContain("Partition key 'customer' evaluated to null");
  });

  it('Lambda partition keys come through with the jq ones', async () => {
    const c = chain([lambda('partition'), processor('MetadataExtraction', { MetadataExtractionQuery: '{year: .year}', JsonParsingEngine: 'JQ-1.6' })], {}, true);
    const out = await c.process('b', inputs('{"customer":7,"year":2024}'));
    expect(out[0]).toMatchObject({ result: 'Ok', partitionKeys: { lambda: { customer: '7' }, query: { year: '2024' } } });
  });

  it('a jq query that loops fails its records instead of stalling; one that does not compile throws', async () => {
    const looping = chain([processor('MetadataExtraction', { MetadataExtractionQuery: '{a: (def f: f; f)}', JsonParsingEngine: 'JQ-1.6' })], {}, true);
    const out = await looping.process('b', inputs('{}'));
    expect(out[0]).toMatchObject({ result: 'ProcessingFailed' });
    expect((out[0] as Extract<ProcessedRecord, { result: 'ProcessingFailed' }>).failure.errorMessage).toContain('did not finish');
    const broken = chain([processor('MetadataExtraction', { MetadataExtractionQuery: '{a: }', JsonParsingEngine: 'JQ-1.6' })], {}, true);
    await expect(broken.process('b', inputs('{}'))).rejects.toBeInstanceOf(JqCompileError);
    expect(await jq.check('{a: .a}')).toBeNull();
    expect(await jq.check('{a: }')).toContain('syntax error');
  });
});
