import { describe, expect, it } from 'vitest';
import { AwsTimestamp } from '../../../src/core/timestamp.js';
import { toJson } from '../../../src/ingest/aws-json/json.js';
import { getRecordsJson, putRecordsJson } from '../../../src/ingest/aws-json/records-json.js';
import type { ApiRecord } from '../../../src/stream/registry/kinesis-stream.js';

const record = (i: number, key: string, data: Buffer): ApiRecord => ({
  SequenceNumber: `4960${String(i).padStart(52, '0')}`,
  ApproximateArrivalTimestamp: new AwsTimestamp(1_764_660_000_123 + i),
  Data: data,
  PartitionKey: key,
});

describe('getRecordsJson', () => {
  it('writes the same JSON as the generic encoder, for any partition key and data', () => {
    const records = [
      record(0, 'plain', Buffer.from('hello')),
      record(1, 'ünïcødé ✓ 🚀', Buffer.from([0, 255, 10, 13])),
      record(2, 'quote " backslash \\ newline \n tab \t', Buffer.alloc(0)),
      record(3, '\u2028\u0000', Buffer.alloc(1000, 7)),
    ];
    const rest = { MillisBehindLatest: 42, NextShardIterator: 'AAAAAAAAAAE=' };
    const body = getRecordsJson(records, rest);
    expect(JSON.parse(body.toString('utf8'))).toEqual(JSON.parse(toJson({ Records: records, ...rest })));
  });

  it('handles no records, and ChildShards instead of a next iterator', () => {
    const rest = { MillisBehindLatest: 0, ChildShards: [{ ShardId: 'shardId-000000000001', ParentShards: ['shardId-000000000000'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' } }] };
    expect(JSON.parse(getRecordsJson([], rest).toString('utf8'))).toEqual({ Records: [], ...rest });
    expect(JSON.parse(getRecordsJson([], {}).toString('utf8'))).toEqual({ Records: [] });
  });
});

describe('putRecordsJson', () => {
  it('writes the same JSON as the generic encoder, with failed entries and encryption', () => {
    const results = [
      { SequenceNumber: '49600000000000000000000000000000000000000000000000000000', ShardId: 'shardId-000000000000' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard "shardId-000000000001" in stream s under account 000000000000.' },
    ];
    for (const encrypted of [false, true]) {
      const expected = { FailedRecordCount: 1, Records: results, ...(encrypted ? { EncryptionType: 'KMS' } : {}) };
      expect(JSON.parse(putRecordsJson(1, results, encrypted))).toEqual(expected);
    }
    expect(JSON.parse(putRecordsJson(0, [], false))).toEqual({ FailedRecordCount: 0, Records: [] });
  });
});
