import { describe, expect, it } from 'vitest';
import { firehoseModel, type FirehosePutRecordBatchInput } from '../../../src/ingest/protocol/index.js';
import { b64, item, parseError, validation } from './helpers.js';

const NAME_PATTERN = 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+';
const MIN1 = 'Member must have length greater than or equal to 1';
const NOT_NULL = 'Member must not be null';

describe('firehose PutRecordBatch parsing', () => {
  it('returns the input with record data decoded to Buffers', () => {
    const body = { DeliveryStreamName: 's-1', Records: [{ Data: 'aGVsbG8=' }, { Data: '' }, { Data: b64(1024000) }] };
    const out = firehoseModel.parse<FirehosePutRecordBatchInput>('PutRecordBatch', body);
    expect(out.DeliveryStreamName).toBe('s-1');
    expect(Buffer.isBuffer(out.Records[0].Data)).toBe(true);
    expect(out.Records[0].Data.toString()).toBe('hello');
    expect(out.Records[1].Data.length).toBe(0);
    expect(out.Records[2].Data.length).toBe(1024000);
  });

  it('ignores unknown members and treats null members as absent', () => {
    const out = firehoseModel.parse<FirehosePutRecordBatchInput>('PutRecordBatch',
      { DeliveryStreamName: 's', Records: [{ Data: 'YQ==', Extra: true }], Unknown: { a: 1 }, Other: null });
    expect(out.Records[0].Data.toString()).toBe('a');
    const err = parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: null, Records: [{ Data: 'YQ==' }] });
    expect(err.message).toBe(validation(item(null, 'deliveryStreamName', NOT_NULL)));
  });

  it('rejects 501 records with the list-length message', () => {
    const records = Array.from({ length: 501 }, () => ({ Data: 'YQ==' }));
    const err = parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: 's', Records: records });
    expect(err.type).toBe('ValidationException');
    expect(err.status).toBe(400);
    expect(err.messageKey).toBe('message');
    const m = /^1 validation error detected: Value '\[(.*)\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/.exec(err.message);
    expect(m).not.toBeNull();
    const entries = (m as RegExpExecArray)[1].split(', ');
    expect(entries).toHaveLength(501);
    for (const e of entries) expect(e).toMatch(/^com\.amazonaws\.firehose\.v20150804\.Record@[0-9a-f]+$/);
  });

  it('rejects an oversized record with the decoded length and the record path', () => {
    const err = parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: 's', Records: [{ Data: b64(1024001) }] });
    expect(err.message).toBe(validation(item('java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]', 'records.1.member.data',
      'Member must have length less than or equal to 1024000')));
    const err3 = parseError(firehoseModel, 'PutRecordBatch',
      { DeliveryStreamName: 's', Records: [{ Data: 'YQ==' }, { Data: 'YQ==' }, { Data: b64(1045710) }] });
    expect(err3.message).toBe(validation(item('java.nio.HeapByteBuffer[pos=0 lim=1045710 cap=1045710]', 'records.3.member.data',
      'Member must have length less than or equal to 1024000')));
  });

  const nameCases: Array<[string, unknown, string]> = [
    ['empty name: pattern then min length', '', validation(item('', 'deliveryStreamName', NAME_PATTERN), item('', 'deliveryStreamName', MIN1))],
    ['65 chars', 'a'.repeat(65), validation(item('a'.repeat(65), 'deliveryStreamName', 'Member must have length less than or equal to 64'))],
    ['bad chars and too long', '!'.repeat(65), validation(item('!'.repeat(65), 'deliveryStreamName', NAME_PATTERN),
      item('!'.repeat(65), 'deliveryStreamName', 'Member must have length less than or equal to 64'))],
    ['space', 'my stream', validation(item('my stream', 'deliveryStreamName', NAME_PATTERN))],
  ];
  it.each(nameCases)('DeliveryStreamName: %s', (_label, name, message) => {
    const err = parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: name, Records: [{ Data: 'YQ==' }] });
    expect(err.type).toBe('ValidationException');
    expect(err.message).toBe(message);
  });

  it('reports missing required members in member order, and errors from several members in order', () => {
    expect(parseError(firehoseModel, 'PutRecordBatch', {}).message)
      .toBe(validation(item(null, 'deliveryStreamName', NOT_NULL), item(null, 'records', NOT_NULL)));
    expect(parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: '', Records: [] }).message)
      .toBe(validation(item('', 'deliveryStreamName', NAME_PATTERN), item('', 'deliveryStreamName', MIN1), item('[]', 'records', MIN1)));
    expect(parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: 's', Records: [{ Data: 'YQ==' }, {}] }).message)
      .toBe(validation(item(null, 'records.2.member.data', NOT_NULL)));
    expect(parseError(firehoseModel, 'PutRecord', { DeliveryStreamName: 's' }).message)
      .toBe(validation(item(null, 'record', NOT_NULL)));
    expect(parseError(firehoseModel, 'PutRecord', { DeliveryStreamName: 's', Record: {} }).message)
      .toBe(validation(item(null, 'record.data', NOT_NULL)));
  });

  it('reports at most 10 violations', () => {
    const err = parseError(firehoseModel, 'PutRecordBatch', { DeliveryStreamName: '', Records: Array.from({ length: 12 }, () => ({})) });
    const items = [item('', 'deliveryStreamName', NAME_PATTERN), item('', 'deliveryStreamName', MIN1)];
    for (let i = 1; i <= 8; i++) items.push(item(null, `records.${i}.member.data`, NOT_NULL));
    expect(err.message).toBe(validation(...items));
    expect(err.message.startsWith('10 validation errors detected: ')).toBe(true);
  });
});

describe('firehose other operations', () => {
  it('checks enums, integer ranges, truncation and clamping', () => {
    expect(parseError(firehoseModel, 'ListDeliveryStreams', { DeliveryStreamType: 'Bogus' }).message).toBe(validation(
      item('Bogus', 'deliveryStreamType', 'Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]')));
    expect(parseError(firehoseModel, 'ListDeliveryStreams', { Limit: 0 }).message)
      .toBe(validation(item('0', 'limit', 'Member must have value greater than or equal to 1')));
    expect(parseError(firehoseModel, 'ListDeliveryStreams', { Limit: 0.9 }).message)
      .toBe(validation(item('0', 'limit', 'Member must have value greater than or equal to 1')));
    expect(parseError(firehoseModel, 'ListDeliveryStreams', { Limit: 1e12 }).message)
      .toBe(validation(item('2147483647', 'limit', 'Member must have value less than or equal to 10000')));
    expect(firehoseModel.parse('ListDeliveryStreams', { Limit: 2.7, DeliveryStreamType: 'DirectPut' }))
      .toEqual({ Limit: 2, DeliveryStreamType: 'DirectPut' });
    expect(firehoseModel.parse('ListDeliveryStreams', undefined)).toEqual({});
  });

  it('builds nested paths through structures and lists', () => {
    const err = parseError(firehoseModel, 'CreateDeliveryStream', {
      DeliveryStreamName: 'ok',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::b',
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda' }, { Type: 'Bogus' }] },
      },
    });
    expect(err.message).toBe(validation(item('Bogus', 'extendedS3DestinationConfiguration.processingConfiguration.processors.2.member.type',
      'Member must satisfy enum value set: [RecordDeAggregation, Decompression, CloudWatchLogProcessing, Lambda, MetadataExtraction, AppendDelimiterToRecord]')));
  });

  it('checks Unicode-class patterns on tag structures and aggregates list-of-string items', () => {
    const tagPattern = 'Member must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$';
    expect(firehoseModel.parse('TagDeliveryStream', { DeliveryStreamName: 's', Tags: [{ Key: 'ünï cødé', Value: 'v' }] })).toBeTruthy();
    expect(parseError(firehoseModel, 'TagDeliveryStream', { DeliveryStreamName: 's', Tags: [{ Key: 'ok' }, { Key: 'aws:x', Value: 'v' }] }).message)
      .toBe(validation(item('aws:x', 'tags.2.member.key', tagPattern)));
    expect(parseError(firehoseModel, 'UntagDeliveryStream', { DeliveryStreamName: 's', TagKeys: ['ok', ''] }).message)
      .toBe(validation(item('[ok, ]', 'tagKeys', 'Member must satisfy constraint: [Member must have length less than or equal to 128, ' +
        `Member must have length greater than or equal to 1, ${tagPattern}]`)));
  });
});

describe('firehose type mismatches (SerializationException, capital-M Message)', () => {
  const NUM = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
  const cases: Array<[string, string, unknown, string]> = [
    ['string given boolean', 'PutRecordBatch', { DeliveryStreamName: true }, 'class java.lang.Boolean can not be converted to an String'],
    ['string given number', 'PutRecordBatch', { DeliveryStreamName: 12 }, `${NUM} can not be converted to an String`],
    ['string given list', 'PutRecordBatch', { DeliveryStreamName: [] }, 'Start of list found where not expected'],
    ['string given object', 'PutRecordBatch', { DeliveryStreamName: {} }, 'Start of structure or map found where not expected.'],
    ['list given string', 'PutRecordBatch', { Records: 'x' }, 'Expected list or null'],
    ['list given object', 'PutRecordBatch', { Records: {} }, 'Start of structure or map found where not expected.'],
    ['structure given scalar', 'PutRecordBatch', { Records: ['x'] }, 'Expected null'],
    ['structure given list', 'PutRecord', { Record: [] }, 'Start of list found where not expected'],
    ['blob given boolean', 'PutRecord', { Record: { Data: true } }, 'class java.lang.Boolean can not be converted to a Blob'],
    ['blob given number', 'PutRecord', { Record: { Data: 5 } }, `${NUM} can not be converted to a Blob`],
    ['integer given string', 'ListDeliveryStreams', { Limit: '23' }, 'class java.lang.String can not be converted to an Integer'],
    ['integer given boolean', 'ListDeliveryStreams', { Limit: false }, 'class java.lang.Boolean can not be converted to an Integer'],
    ['boolean given string', 'DeleteDeliveryStream', { AllowForceDelete: 'yes' }, "'YES' can not be converted to an Boolean"],
    ['boolean given number', 'DeleteDeliveryStream', { AllowForceDelete: 1 }, `${NUM} can not be converted to an Boolean`],
    ['bad base64 length', 'PutRecord', { Record: { Data: '23456' } },
      "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"],
    ['bad base64 char', 'PutRecordBatch', { Records: [{ Data: 'YQ==' }, { Data: 'ab-_' }] },
      "'ab-_' can not be converted to a Blob: Invalid Base64 character: '-'"],
    ['base64 trailing bits', 'PutRecord', { Record: { Data: '+/+=' } },
      "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"],
    ['first mismatch in document order wins', 'PutRecordBatch', { Records: 'x', DeliveryStreamName: 5 }, 'Expected list or null'],
    ['type errors come before constraint errors', 'PutRecordBatch', { DeliveryStreamName: '', Records: [{ Data: 'a' }] },
      "'a' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 1"],
  ];
  it.each(cases)('%s', (_label, op, body, message) => {
    const err = parseError(firehoseModel, op, body);
    expect(err.type).toBe('SerializationException');
    expect(err.status).toBe(400);
    expect(err.toBody()).toEqual({ __type: 'SerializationException', Message: message });
  });
});

describe('firehose operations and errors from the model', () => {
  it('rejects unknown operations with a message-less UnknownOperationException', () => {
    const err = parseError(firehoseModel, 'PutRecords', {});
    expect(err.status).toBe(400);
    expect(err.toBody()).toEqual({ __type: 'UnknownOperationException' });
  });

  it('maps targets to operations', () => {
    expect(firehoseModel.operationFromTarget('Firehose_20150804.PutRecordBatch')).toBe('PutRecordBatch');
    expect(firehoseModel.operationFromTarget('Kinesis_20131202.PutRecords')).toBeUndefined();
    expect(firehoseModel.operationFromTarget('Firehose_20150804.Nope')).toBeUndefined();
    expect(firehoseModel.operationFromTarget(undefined)).toBeUndefined();
    expect(firehoseModel.operationNames).toHaveLength(12);
    expect(firehoseModel.signingName).toBe('firehose');
  });

  it('exposes modeled errors and their statuses', () => {
    expect(firehoseModel.operationErrors('PutRecordBatch')).toContain('ServiceUnavailableException');
    expect(firehoseModel.operationErrors('ListDeliveryStreams')).toEqual([]);
    expect(firehoseModel.errorStatus('ServiceUnavailableException')).toBe(500);
    expect(firehoseModel.errorStatus('ResourceNotFoundException')).toBe(400);
    expect(firehoseModel.errorStatus('NotAnError')).toBeUndefined();
    const e = firehoseModel.error('InvalidKMSResourceException', 'kms', { code: 'KMS.DisabledException' });
    expect(e.status).toBe(400);
    expect(e.toBody()).toEqual({ __type: 'InvalidKMSResourceException', message: 'kms', code: 'KMS.DisabledException' });
  });
});

describe('Hydrant relaxations of the Firehose model', () => {
  const s3 = { RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::b' };
  it('accepts plain http:// destination URLs (AWS requires https) and still refuses other schemes', () => {
    expect(() => firehoseModel.parse('CreateDeliveryStream', { DeliveryStreamName: 'h', HttpEndpointDestinationConfiguration: { EndpointConfiguration: { Url: 'http://localhost:8080/in' }, S3Configuration: s3 } })).not.toThrow();
    expect(() => firehoseModel.parse('CreateDeliveryStream', { DeliveryStreamName: 'o', AmazonopensearchserviceDestinationConfiguration: { RoleARN: s3.RoleARN, ClusterEndpoint: 'http://localhost:9200', IndexName: 'i', S3Configuration: s3 } })).not.toThrow();
    const err = parseError(firehoseModel, 'CreateDeliveryStream', { DeliveryStreamName: 'h', HttpEndpointDestinationConfiguration: { EndpointConfiguration: { Url: 'ftp://x' }, S3Configuration: s3 } });
    expect(err.message).toContain('Member must satisfy regular expression pattern: https?://.*');
  });
});
