import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { AwsTimestamp } from '../../../src/core/timestamp.js';
import { decodeCbor, encodeCbor } from '../../../src/ingest/aws-json/cbor.js';
import { firehoseModel, kinesisModel, type CompiledModel, type KinesisPutRecordsInput } from '../../../src/ingest/protocol/index.js';
import { item, validation } from './helpers.js';

const CBOR = { cbor: true } as const;
const MS = 1459799926480;

/** What the dispatcher hands `parse` for a CBOR request carrying `value`. */
const wire = (value: unknown) => decodeCbor(encodeCbor(value));

function cborError(model: CompiledModel, op: string, body: unknown): AwsError {
  try {
    model.parse(op, body, CBOR);
  } catch (err) {
    expect(AwsError.isInstance(err)).toBe(true);
    return err as AwsError;
  }
  throw new Error(`expected ${op} to be rejected`);
}

describe('model-driven parsing of CBOR bodies', () => {
  it('keeps byte-string blobs as the same Buffer (no copy)', () => {
    const body = wire({ StreamName: 's', PartitionKey: 'k', Data: Buffer.from([0, 1, 2, 255]) }) as { Data: Buffer };
    const data = body.Data;
    const input = kinesisModel.parse<{ Data: Buffer }>('PutRecord', body, CBOR);
    expect(input.Data).toBe(data);
    expect([...input.Data]).toEqual([0, 1, 2, 255]);
  });

  it('turns a plain Uint8Array blob into a Buffer over the same memory', () => {
    const bytes = new Uint8Array([5, 6, 7]);
    const input = kinesisModel.parse<{ Data: Buffer }>('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: bytes }, CBOR);
    expect(Buffer.isBuffer(input.Data)).toBe(true);
    expect(input.Data.buffer).toBe(bytes.buffer);
  });

  it('gives operations the same input as a JSON request', () => {
    const json = kinesisModel.parse('PutRecords', JSON.parse(JSON.stringify({
      StreamName: 's', Records: [{ PartitionKey: 'a', Data: Buffer.from('one').toString('base64') }, { PartitionKey: 'b', Data: '', ExplicitHashKey: '7' }],
    })));
    const cbor = kinesisModel.parse<KinesisPutRecordsInput>('PutRecords', wire({
      StreamName: 's', Records: [{ PartitionKey: 'a', Data: Buffer.from('one') }, { PartitionKey: 'b', Data: Buffer.alloc(0), ExplicitHashKey: '7' }],
    }), CBOR);
    expect(cbor).toEqual(json);
    expect(cbor.Records[0].Data.toString()).toBe('one');
  });

  it('reads tag-1 timestamps as epoch milliseconds and yields JSON mode\'s epoch seconds', () => {
    const fromJson = kinesisModel.parse<{ Timestamp: number }>('GetShardIterator',
      JSON.parse(`{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1459799926.48}`));
    const fromCbor = kinesisModel.parse<{ Timestamp: number }>('GetShardIterator',
      wire({ StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new AwsTimestamp(MS) }), CBOR);
    expect(fromCbor.Timestamp).toBe(1459799926.48);
    expect(fromCbor).toEqual(fromJson);
  });

  it('reads nested timestamps, untagged millisecond numbers and Dates', () => {
    const input = kinesisModel.parse<{ StreamCreationTimestamp: number; ShardFilter: { Timestamp: number } }>('ListShards',
      { StreamName: 's', StreamCreationTimestamp: MS, ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: new Date(MS) } }, CBOR);
    expect(input.StreamCreationTimestamp).toBe(1459799926.48);
    expect(input.ShardFilter.Timestamp).toBe(1459799926.48);
    expect(kinesisModel.parse<{ StreamCreationTimestamp: number }>('ListShards', { StreamCreationTimestamp: BigInt(MS) }, CBOR).StreamCreationTimestamp)
      .toBe(1459799926.48);
  });

  it('truncates and clamps integers, including 64-bit ones decoded as bigint', () => {
    expect(kinesisModel.parse('CreateStream', { StreamName: 's', ShardCount: 2n ** 40n }, CBOR)).toEqual({ StreamName: 's', ShardCount: 2147483647 });
    expect(kinesisModel.parse('CreateStream', wire({ StreamName: 's', ShardCount: 2.7 }), CBOR)).toEqual({ StreamName: 's', ShardCount: 2 });
  });

  it('treats null and CBOR undefined members as absent', () => {
    expect(kinesisModel.parse('CreateStream', { StreamName: 's', ShardCount: undefined, Tags: null }, CBOR)).toEqual({ StreamName: 's' });
    expect(kinesisModel.parse('GetRecords', { ShardIterator: 'it', Limit: null }, CBOR)).toEqual({ ShardIterator: 'it' });
  });

  it('rejects a base64 string for a blob: CBOR carries byte strings', () => {
    const err = cborError(kinesisModel, 'PutRecord', { StreamName: 's', PartitionKey: 'k', Data: 'aGk=' });
    expect(err.type).toBe('SerializationException');
    expect(err.toBody()).toEqual({
      __type: 'SerializationException',
      Message: 'class java.lang.String can not be converted to a Blob: a CBOR request carries blobs as byte strings (major type 2), not base64 text',
    });
  });

  it('names byte strings and timestamps given for other types', () => {
    expect(cborError(kinesisModel, 'PutRecord', { StreamName: Buffer.from('s'), PartitionKey: 'k', Data: Buffer.alloc(1) }).message)
      .toBe('CBOR byte string can not be converted to an String');
    expect(cborError(kinesisModel, 'CreateStream', { StreamName: 's', ShardCount: new AwsTimestamp(1) }).message)
      .toBe('CBOR timestamp can not be converted to an Integer');
    expect(cborError(kinesisModel, 'GetShardIterator', { ShardId: 'x', ShardIteratorType: 'LATEST', Timestamp: Buffer.alloc(1) }).message)
      .toBe('CBOR byte string can not be converted to milliseconds since epoch');
    expect(cborError(kinesisModel, 'PutRecords', { Records: Buffer.alloc(1) }).message).toBe('Expected list or null');
    expect(cborError(kinesisModel, 'ListShards', { ShardFilter: new AwsTimestamp(1) }).message).toBe('Expected null');
  });

  it('keeps AWS\'s JSON-protocol messages for ordinary mismatches', () => {
    expect(cborError(kinesisModel, 'GetShardIterator', { ShardId: 'x', ShardIteratorType: 'LATEST', Timestamp: 'x' }).message)
      .toBe('class java.lang.String can not be converted to milliseconds since epoch');
    expect(cborError(kinesisModel, 'PutRecord', { StreamName: 's', PartitionKey: true, Data: Buffer.alloc(1) }).message)
      .toBe('class java.lang.Boolean can not be converted to an String');
    expect(cborError(kinesisModel, 'CreateStream', { StreamName: 's', ShardCount: '1' }).message)
      .toBe('class java.lang.String can not be converted to an Integer');
    expect(cborError(kinesisModel, 'PutRecord', { StreamName: 's', PartitionKey: [], Data: Buffer.alloc(1) }).message)
      .toBe('Start of list found where not expected');
    expect(cborError(firehoseModel, 'PutRecord', { DeliveryStreamName: 's', Record: { Data: 5 } }).message)
      .toBe('class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob');
  });

  it('rejects a tag-1 timestamp that wraps no number', () => {
    const err = cborError(kinesisModel, 'GetShardIterator', { ShardId: 'x', ShardIteratorType: 'LATEST', Timestamp: new AwsTimestamp(NaN) });
    expect(err.type).toBe('SerializationException');
    expect(err.message).toBe('CBOR timestamp is not a finite number of milliseconds since epoch');
  });

  it('validates constraints on the decoded bytes exactly like JSON mode', () => {
    const err = cborError(kinesisModel, 'PutRecord', { StreamName: 's', PartitionKey: 'k', Data: Buffer.alloc(10_485_761) });
    expect(err.message).toBe(validation(item('java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]', 'data',
      'Member must have length less than or equal to 10485760')));
  });

  it('leaves JSON mode as it was: byte strings and timestamps are not JSON values', () => {
    expect(() => kinesisModel.parse('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: Buffer.from('x') })).toThrow(AwsError);
    expect(kinesisModel.parse('ListShards', { StreamCreationTimestamp: 1459799926.48 })).toEqual({ StreamCreationTimestamp: 1459799926.48 });
  });
});
