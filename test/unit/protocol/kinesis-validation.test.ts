import { describe, expect, it } from 'vitest';
import { kinesisModel, type KinesisPutRecordsInput } from '../../../src/ingest/protocol/index.js';
import { item, parseError, validation } from './helpers.js';

// Expected messages below were recorded against production Kinesis (kinesalite's test suite),
// see shared/reference/kinesis-streams.md §1.5-1.6.
const NAME_PATTERN = 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+';
const MIN1 = 'Member must have length greater than or equal to 1';

describe('kinesis validation', () => {
  it('CreateStream with ShardCount 0 and an empty name: shardCount first, then pattern and min length', () => {
    expect(parseError(kinesisModel, 'CreateStream', { StreamName: '', ShardCount: 0 }).message).toBe(
      '3 validation errors detected: ' +
      "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1");
  });

  it('CreateStream clamps a huge ShardCount instead of rejecting it', () => {
    expect(kinesisModel.parse('CreateStream', { StreamName: 'a'.repeat(128), ShardCount: 100000000000 }))
      .toEqual({ StreamName: 'a'.repeat(128), ShardCount: 2147483647 });
    expect(parseError(kinesisModel, 'CreateStream', { StreamName: 'a'.repeat(129), ShardCount: 100000000000 }).message)
      .toBe(validation(item('a'.repeat(129), 'streamName', 'Member must have length less than or equal to 128')));
  });

  it('PutRecords reports entry members in the observed order', () => {
    expect(parseError(kinesisModel, 'PutRecords', { StreamName: '', Records: [{ PartitionKey: '', Data: '', ExplicitHashKey: '' }] }).message)
      .toBe(validation(
        item('', 'records.1.member.partitionKey', MIN1),
        item('', 'records.1.member.explicitHashKey', 'Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})'),
        item('', 'streamName', NAME_PATTERN),
        item('', 'streamName', MIN1)));
  });

  it('PutRecords with 501 records: list length first, then the first entries, capped at 10', () => {
    const records = Array.from({ length: 501 }, () => ({ PartitionKey: '', Data: '' }));
    const msg = parseError(kinesisModel, 'PutRecords', { StreamName: '', Records: records }).message;
    const parts = msg.replace(/^10 validation errors detected: /, '').split('; ');
    expect(parts).toHaveLength(10);
    expect(parts[0]).toMatch(/^Value '\[(com\.amazonaws\.kinesis\.v20131202\.PutRecordsRequestEntry@[0-9a-f]+(, )?){501}\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/);
    for (let i = 1; i < 10; i++) expect(parts[i]).toBe(item('', `records.${i}.member.partitionKey`, MIN1));
  });

  it('PutRecords decodes data and accepts a valid batch', () => {
    const out = kinesisModel.parse<KinesisPutRecordsInput>('PutRecords',
      { StreamName: 's', Records: [{ PartitionKey: 'k', Data: 'aGk=', ExplicitHashKey: '340282366920938463463374607431768211455' }] });
    expect(out.Records[0].Data.toString()).toBe('hi');
  });

  it('GetShardIterator prints the enum set in AWS order', () => {
    expect(parseError(kinesisModel, 'GetShardIterator', { StreamName: '', ShardIteratorType: '', ShardId: '', StartingSequenceNumber: '' }).message)
      .toBe(validation(
        item('', 'shardId', NAME_PATTERN), item('', 'shardId', MIN1),
        item('', 'shardIteratorType', 'Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]'),
        item('', 'startingSequenceNumber', 'Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})'),
        item('', 'streamName', NAME_PATTERN), item('', 'streamName', MIN1)));
    expect(parseError(kinesisModel, 'GetShardIterator', { ShardIteratorType: 'LATEST', ShardId: 'shardId-0', Timestamp: 'x' }).toBody())
      .toEqual({ __type: 'SerializationException', Message: 'class java.lang.String can not be converted to milliseconds since epoch' });
  });

  it('ListShards range checks', () => {
    const name = 'a'.repeat(129);
    expect(parseError(kinesisModel, 'ListShards', { StreamName: name, MaxResults: 100000, ExclusiveStartShardId: name }).message)
      .toBe(validation(
        item('100000', 'maxResults', 'Member must have value less than or equal to 10000'),
        item(name, 'exclusiveStartShardId', 'Member must have length less than or equal to 128'),
        item(name, 'streamName', 'Member must have length less than or equal to 128')));
  });

  it('AddTagsToStream aggregates map key and value constraints', () => {
    const longKey = 'k'.repeat(129);
    expect(parseError(kinesisModel, 'AddTagsToStream', { StreamName: 's', Tags: { a: '1', [longKey]: '3' } }).message)
      .toBe(validation(item(`{a=1, ${longKey}=3}`, 'tags',
        'Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]')));
    const longValue = 'v'.repeat(257);
    expect(parseError(kinesisModel, 'AddTagsToStream', { StreamName: 's', Tags: { c: longValue } }).message)
      .toBe(validation(item(`{c=${longValue}}`, 'tags',
        'Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]')));
    expect(parseError(kinesisModel, 'AddTagsToStream', { StreamName: 's', Tags: {} }).message)
      .toBe(validation(item('{}', 'tags', MIN1)));
    expect(parseError(kinesisModel, 'AddTagsToStream', { Tags: [] }).toBody())
      .toEqual({ __type: 'SerializationException', Message: 'Start of list found where not expected' });
    expect(parseError(kinesisModel, 'AddTagsToStream', { Tags: 'x' }).toBody())
      .toEqual({ __type: 'SerializationException', Message: 'Expected map or null' });
  });

  it('exposes kinesis error statuses', () => {
    expect(kinesisModel.errorStatus('ProvisionedThroughputExceededException')).toBe(400);
    expect(kinesisModel.errorStatus('InternalFailureException')).toBe(500);
    expect(kinesisModel.operationFromTarget('Kinesis_20131202.PutRecords')).toBe('PutRecords');
  });
});
