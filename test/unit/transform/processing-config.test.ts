import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { resolveProcessingConfiguration, type ProcessorInput } from '../../../src/delivery/transform/processing-config.js';

const p = (Type: string, params: Record<string, string> = {}): ProcessorInput => ({
  Type, Parameters: Object.entries(params).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
});
const resolve = (processors: ProcessorInput[], ctx = {}) => resolveProcessingConfiguration({ Enabled: true, Processors: processors }, ctx);

function refusal(processors: ProcessorInput[], ctx = {}): string {
  try {
    resolve(processors, ctx);
  } catch (err) {
    expect(AwsError.isInstance(err) && err.type).toBe('InvalidArgumentException');
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('ProcessingConfiguration', () => {
  it('applies AWS defaults to a Lambda processor', () => {
    expect(resolve([p('Lambda', { LambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:xform:$LATEST' })]).lambda).toEqual({
      lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:xform:$LATEST', numberOfRetries: 3, bufferSizeBytes: 1024 * 1024, bufferIntervalMs: 60_000,
    });
    expect(resolve([p('Lambda', { LambdaArn: 'xform' })], { destination: 'splunk' }).lambda?.bufferSizeBytes).toBe(Math.round(0.256 * 1024 * 1024));
    expect(resolve([p('Lambda', { LambdaArn: 'x', NumberOfRetries: '0', BufferSizeInMBs: '3', BufferIntervalInSeconds: '900', RoleArn: 'arn:aws:iam::1:role/r' })]).lambda)
      .toEqual({ lambdaArn: 'x', numberOfRetries: 0, bufferSizeBytes: 3 * 1024 * 1024, bufferIntervalMs: 900_000, roleArn: 'arn:aws:iam::1:role/r' });
  });

  it('resolves the built-in processors', () => {
    const r = resolve([
      p('AppendDelimiterToRecord'), p('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: 'IyMjIw==' }),
      p('Decompression', { CompressionFormat: 'GZIP' }), p('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }),
      p('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.6' }),
    ], { dynamicPartitioning: true });
    expect(r.appendDelimiter?.delimiter.toString()).toBe('\n');
    expect(r.deaggregation).toEqual({ subRecordType: 'DELIMITED', delimiter: Buffer.from('####') });
    expect(r.decompression).toEqual({ format: 'GZIP' });
    expect(r.cloudWatchLogs).toEqual({ dataMessageExtraction: true });
    expect(r.metadataExtraction).toEqual({ query: '{a:.a}', engine: 'JQ-1.6' });
    expect(resolve([p('AppendDelimiterToRecord', { Delimiter: '\\n' })]).appendDelimiter?.delimiter.toString()).toBe('\n');
  });

  it('Enabled false keeps the processors but runs none', () => {
    expect(resolveProcessingConfiguration({ Enabled: false, Processors: [p('Lambda', { LambdaArn: 'x' })] }).enabled).toBe(false);
    expect(resolveProcessingConfiguration(undefined).enabled).toBe(false);
  });

  it('refuses bad configurations with messages naming the problem', () => {
    expect(refusal([p('Lambda')])).toContain('parameter LambdaArn is required');
    expect(refusal([p('Lambda', { LambdaArn: 'x', NumberOfRetries: '301' })])).toContain('NumberOfRetries is \'301\'; it must be an integer from 0 to 300');
    expect(refusal([p('Lambda', { LambdaArn: 'x', BufferSizeInMBs: '0.1' })])).toContain('from 0.2 to 3');
    expect(refusal([p('Lambda', { LambdaArn: 'x', BufferIntervalInSeconds: '901' })])).toContain('from 0 to 900');
    expect(refusal([p('Lambda', { LambdaArn: 'arn:aws:s3:::bucket' })])).toContain('is not a Lambda function ARN or name');
    expect(refusal([p('Lambda', { LambdaArn: 'x', SubRecordType: 'JSON' })])).toContain('parameter SubRecordType is not valid for the Lambda processor');
    expect(refusal([p('Lambda', { LambdaArn: 'x' }), p('Lambda', { LambdaArn: 'y' })])).toContain('given more than once');
    expect(refusal([p('Unknown')])).toContain("Type 'Unknown' is not one of");
    expect(refusal([p('RecordDeAggregation', { SubRecordType: 'DELIMITED' })])).toContain('Delimiter is required when SubRecordType is DELIMITED');
    expect(refusal([p('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: '#' })])).toContain('must be the base64 encoding');
    expect(refusal([p('RecordDeAggregation', { SubRecordType: 'XML' })])).toContain('must be JSON, DELIMITED or KPL');
    expect(refusal([p('Decompression', { CompressionFormat: 'ZIP' })])).toContain('the only value is GZIP');
    expect(refusal([p('CloudWatchLogProcessing', { DataMessageExtraction: 'true' })])).toContain('needs the Decompression processor');
    expect(refusal([p('CloudWatchLogProcessing', { DataMessageExtraction: 'yes' }), p('Decompression')])).toContain("must be 'true' or 'false'");
    expect(refusal([p('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.6' })])).toContain('only be used when dynamic partitioning is enabled');
    expect(refusal([p('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.5' })], { dynamicPartitioning: true })).toContain('the only value is JQ-1.6');
    expect(refusal([{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: '  ' }] }])).toContain('must not be blank');
  });
});
