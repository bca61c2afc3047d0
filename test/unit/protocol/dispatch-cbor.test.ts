import { Tag, encode as cborXEncode } from 'cbor-x';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { AwsTimestamp } from '../../../src/core/timestamp.js';
import { CBOR_CONTENT_TYPE, decodeCbor, encodeCbor } from '../../../src/ingest/aws-json/cbor.js';
import { awsJsonHandler, type AwsService, type OperationContext } from '../../../src/ingest/aws-json/dispatch.js';
import { EventStreamOutput } from '../../../src/ingest/aws-json/event-stream-output.js';
import type { RouteRequest, RouteResponse } from '../../../src/ingest/http/types.js';
import { firehoseModel, kinesisModel } from '../../../src/ingest/protocol/index.js';

const JSON_11 = 'application/x-amz-json-1.1';
const MS = 1459799926480;
const logger = pino({ level: 'silent' });

interface Call {
  op: string;
  input: Record<string, unknown>;
  ctx: OperationContext;
}

/** A Kinesis-shaped service with cbor: true whose operations record what they receive. */
function kinesisLike(calls: Call[], extra: Partial<AwsService> = {}): AwsService {
  const record = (op: string, out: (input: Record<string, unknown>) => unknown) =>
    (input: Record<string, unknown>, ctx: OperationContext) => {
      calls.push({ op, input, ctx });
      return out(input);
    };
  return {
    targetPrefix: 'Kinesis_20131202',
    parser: kinesisModel,
    cbor: true,
    operations: {
      PutRecord: record('PutRecord', () => ({ ShardId: 'shardId-000000000000', SequenceNumber: '49590338271490256608559692538361571095921575989136588898', EncryptionType: 'NONE' })),
      GetShardIterator: record('GetShardIterator', () => ({ ShardIterator: 'AAAAAAAAAAE=' })),
      GetRecords: record('GetRecords', () => ({
        Records: [{ SequenceNumber: '1', ApproximateArrivalTimestamp: new AwsTimestamp(MS), Data: Buffer.from([0, 1, 2, 255]), PartitionKey: 'pk' }],
        NextShardIterator: 'AAAAAAAAAAI=', MillisBehindLatest: 0,
      })),
      CreateStream: record('CreateStream', () => undefined),
      ListStreams: record('ListStreams', () => '{"StreamNames":["a","b"],"HasMoreStreams":false}'),
      DeleteStream: record('DeleteStream', () => {
        throw new AwsError('ResourceNotFoundException', 'Stream s under account 000000000000 not found.');
      }),
      DescribeLimits: record('DescribeLimits', () => {
        throw new Error('boom');
      }),
      SubscribeToShard: record('SubscribeToShard', () => new EventStreamOutput((async function* () {
        yield Buffer.from('event-1');
        yield Buffer.from('event-2');
      })())),
    },
    ...extra,
  };
}

/** A Firehose-shaped service: no CBOR. */
function firehoseLike(calls: Call[]): AwsService {
  return {
    targetPrefix: 'Firehose_20150804',
    parser: firehoseModel,
    operations: {
      PutRecord: (input, ctx) => {
        calls.push({ op: 'PutRecord', input, ctx });
        return '{"RecordId":"r1","Encrypted":false}';
      },
      ListDeliveryStreams: () => ({ DeliveryStreamNames: ['a'], HasMoreDeliveryStreams: false }),
    },
  };
}

function request(target: string | undefined, contentType: string | undefined, body: Buffer | string): RouteRequest {
  const headers: RouteRequest['headers'] = {};
  if (target !== undefined) headers['x-amz-target'] = target;
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { method: 'POST', path: '/', query: new URLSearchParams(), headers, params: {}, body: typeof body === 'string' ? Buffer.from(body) : body };
}

const cbor = (op: string, value: unknown) => request(`Kinesis_20131202.${op}`, CBOR_CONTENT_TYPE, cborXEncode(value));

function cborBody(res: RouteResponse): unknown {
  expect(res.headers?.['content-type']).toBe(CBOR_CONTENT_TYPE);
  expect(Buffer.isBuffer(res.body)).toBe(true);
  return decodeCbor(res.body as Buffer);
}

describe('AWS JSON dispatcher: CBOR 1.1 requests', () => {
  it('hands the operation Buffers from byte strings and answers in CBOR', async () => {
    const calls: Call[] = [];
    const handle = awsJsonHandler([kinesisLike(calls)], undefined, logger);
    const res = await handle(cbor('PutRecord', { StreamName: 's', PartitionKey: 'pk', Data: Buffer.from([0, 1, 2, 255]) }));
    expect(res.status).toBe(200);
    expect(cborBody(res)).toEqual({ ShardId: 'shardId-000000000000', SequenceNumber: '49590338271490256608559692538361571095921575989136588898', EncryptionType: 'NONE' });
    expect(res.headers?.['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls).toHaveLength(1);
    const data = calls[0].input.Data as Buffer;
    expect(Buffer.isBuffer(data)).toBe(true);
    expect([...data]).toEqual([0, 1, 2, 255]);
    expect(calls[0].ctx).toEqual({ requestId: res.headers?.['x-amzn-requestid'], protocol: 'cbor' });
  });

  it('hands the operation epoch seconds for a tag-1 millisecond timestamp, the same as for JSON', async () => {
    const calls: Call[] = [];
    const handle = awsJsonHandler([kinesisLike(calls)], undefined, logger);
    const input = { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP' };
    // What the Java SDK writes: c1 1b <64-bit epoch milliseconds>
    const body = cborXEncode({ ...input, Timestamp: new Tag(BigInt(MS), 1) });
    expect(body.toString('hex')).toContain('c11b00000153e2db26d0');
    const res = await handle(request('Kinesis_20131202.GetShardIterator', CBOR_CONTENT_TYPE, body));
    expect(res.status).toBe(200);
    expect(cborBody(res)).toEqual({ ShardIterator: 'AAAAAAAAAAE=' });
    const viaJson = await handle(request('Kinesis_20131202.GetShardIterator', JSON_11, JSON.stringify({ ...input, Timestamp: 1459799926.48 })));
    expect(viaJson.body).toBe('{"ShardIterator":"AAAAAAAAAAE="}');
    expect(calls.map((c) => c.input.Timestamp)).toEqual([1459799926.48, 1459799926.48]);
    expect(calls[0].input).toEqual(calls[1].input);
    expect(calls.map((c) => c.ctx.protocol)).toEqual(['cbor', 'json']);
  });

  it('encodes output blobs as byte strings and timestamps as tag 1 integer milliseconds', async () => {
    const handle = awsJsonHandler([kinesisLike([])], undefined, logger);
    const res = await handle(cbor('GetRecords', { ShardIterator: 'AAAAAAAAAAE=' }));
    const raw = (res.body as Buffer).toString('hex');
    expect(raw).toContain('c11b00000153e2db26d0');
    expect(raw).not.toContain('c1fb');
    // "Data" then a 4-byte byte string (major type 2)
    expect(raw).toContain('6444617461' + '44000102ff');
    expect(cborBody(res)).toEqual({
      Records: [{ SequenceNumber: '1', ApproximateArrivalTimestamp: new AwsTimestamp(MS), Data: Buffer.from([0, 1, 2, 255]), PartitionKey: 'pk' }],
      NextShardIterator: 'AAAAAAAAAAI=', MillisBehindLatest: 0,
    });
  });

  it('answers the same operation in JSON with base64 blobs and epoch seconds', async () => {
    const handle = awsJsonHandler([kinesisLike([])], undefined, logger);
    const res = await handle(request('Kinesis_20131202.GetRecords', JSON_11, '{"ShardIterator":"AAAAAAAAAAE="}'));
    expect(res.status).toBe(200);
    expect(res.headers?.['content-type']).toBe(JSON_11);
    expect(JSON.parse(res.body as string)).toEqual({
      Records: [{ SequenceNumber: '1', ApproximateArrivalTimestamp: 1459799926.48, Data: 'AAEC/w==', PartitionKey: 'pk' }],
      NextShardIterator: 'AAAAAAAAAAI=', MillisBehindLatest: 0,
    });
  });

  it('re-encodes a pre-serialized JSON output as CBOR', async () => {
    const handle = awsJsonHandler([kinesisLike([])], undefined, logger);
    const res = await handle(cbor('ListStreams', {}));
    expect(cborBody(res)).toEqual({ StreamNames: ['a', 'b'], HasMoreStreams: false });
  });

  it('answers an operation without output with 200 and an empty body', async () => {
    const handle = awsJsonHandler([kinesisLike([])], undefined, logger);
    for (const req of [cbor('CreateStream', { StreamName: 's', ShardCount: 1 }),
      request('Kinesis_20131202.CreateStream', JSON_11, '{"StreamName":"s","ShardCount":1}')]) {
      const res = await handle(req);
      expect(res.status).toBe(200);
      expect(res.body).toBe('');
    }
  });

  it('streams an EventStreamOutput as application/vnd.amazon.eventstream', async () => {
    const calls: Call[] = [];
    const handle = awsJsonHandler([kinesisLike(calls)], undefined, logger);
    const res = await handle(cbor('SubscribeToShard', {
      ConsumerARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1', ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'AT_TIMESTAMP', Timestamp: new Tag(BigInt(MS), 1) },
    }));
    expect(res.status).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(res.headers?.['x-amzn-requestid']).toBeTruthy();
    const chunks: string[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk.toString());
    expect(chunks).toEqual(['event-1', 'event-2']);
    expect((calls[0].input.StartingPosition as { Timestamp: number }).Timestamp).toBe(1459799926.48);
  });
});

describe('AWS JSON dispatcher: CBOR errors', () => {
  const handle = awsJsonHandler([kinesisLike([])], undefined, logger);

  it('validation errors are CBOR {__type, message} with status 400', async () => {
    const res = await handle(cbor('PutRecord', { StreamName: 's', PartitionKey: '', Data: Buffer.alloc(1) }));
    expect(res.status).toBe(400);
    expect(res.headers?.['x-amzn-errortype']).toBe('ValidationException');
    expect(cborBody(res)).toEqual({
      __type: 'ValidationException',
      message: "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
  });

  it('a base64 string for a blob is a SerializationException (Message)', async () => {
    const res = await handle(cbor('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: 'aGk=' }));
    expect(res.status).toBe(400);
    const body = cborBody(res) as Record<string, string>;
    expect(body.__type).toBe('SerializationException');
    expect(body.Message).toContain('byte strings');
  });

  it('an operation\'s AwsError keeps its type and status; anything else is a 500 InternalFailure', async () => {
    const notFound = await handle(cbor('DeleteStream', { StreamName: 's' }));
    expect(notFound.status).toBe(400);
    expect(cborBody(notFound)).toEqual({ __type: 'ResourceNotFoundException', message: 'Stream s under account 000000000000 not found.' });
    const internal = await handle(cbor('DescribeLimits', {}));
    expect(internal.status).toBe(500);
    expect(cborBody(internal)).toEqual({ __type: 'InternalFailure' });
  });

  it('undecodable CBOR is a SerializationException in CBOR', async () => {
    for (const body of [Buffer.from('a26161', 'hex'), Buffer.from('{"StreamName":"s"}')]) {
      const res = await handle(request('Kinesis_20131202.ListStreams', CBOR_CONTENT_TYPE, body));
      expect(res.status).toBe(400);
      expect((cborBody(res) as Record<string, string>).__type).toBe('SerializationException');
    }
    const notAMap = await handle(request('Kinesis_20131202.ListStreams', CBOR_CONTENT_TYPE, cborXEncode([1])));
    expect(cborBody(notAMap)).toEqual({ __type: 'SerializationException', Message: 'Start of structure or map expected in the request body.' });
  });

  it('unknown operations are UnknownOperationException in CBOR', async () => {
    const res = await handle(cbor('Nope', {}));
    expect(res.status).toBe(400);
    expect(cborBody(res)).toEqual({ __type: 'UnknownOperationException' });
  });

  it('an empty body is answered before the content type is looked at, in CBOR unless it said JSON 1.1', async () => {
    const empty = Buffer.alloc(0);
    const ser = await handle(request('Kinesis_20131202.ListStreams', CBOR_CONTENT_TYPE, empty));
    expect(ser.status).toBe(400);
    expect(cborBody(ser)).toEqual({ __type: 'SerializationException' });
    const unknown = await handle(request('Kinesis_20131202.Nope', CBOR_CONTENT_TYPE, empty));
    expect(cborBody(unknown)).toEqual({ __type: 'UnknownOperationException' });
    const plain = await handle(request('Kinesis_20131202.ListStreams', 'text/plain', empty));
    expect(plain.status).toBe(400);
    expect(cborBody(plain)).toEqual({ __type: 'SerializationException' });
    const json = await handle(request('Kinesis_20131202.ListStreams', JSON_11, empty));
    expect(json.headers?.['content-type']).toBe(JSON_11);
    expect(json.body).toBe('{"__type":"SerializationException"}');
  });

  it('an unknown content type with a body still gets the XML answers', async () => {
    const res = await handle(request('Kinesis_20131202.ListStreams', 'text/plain', '{}'));
    expect(res.status).toBe(404);
    expect(res.body).toBe('<UnknownOperationException/>\n');
    const noTarget = await handle(request(undefined, CBOR_CONTENT_TYPE, encodeCbor({})));
    expect(noTarget.status).toBe(403);
    expect(String(noTarget.body)).toContain('Unable to determine service/operation name to be authorized');
  });
});

describe('AWS JSON dispatcher: application/json legacy envelope', () => {
  it('answers with the Coral envelope when the service opts in', async () => {
    const handle = awsJsonHandler([kinesisLike([], { legacyJsonEnvelope: true })], undefined, logger);
    const bad = await handle(request('Kinesis_20131202.ListStreams', 'application/json', '{"a":'));
    expect(bad.status).toBe(400);
    expect(bad.headers?.['content-type']).toBe('application/json');
    expect(bad.body).toBe('{"Output":{"__type":"com.amazon.coral.service#SerializationException"},"Version":"1.0"}');
    const good = await handle(request('Kinesis_20131202.ListStreams', 'application/json', '{}'));
    expect(good.status).toBe(404);
    expect(good.body).toBe('{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}');
  });

  it('serves application/json like JSON 1.1 otherwise', async () => {
    const handle = awsJsonHandler([kinesisLike([])], undefined, logger);
    const res = await handle(request('Kinesis_20131202.ListStreams', 'application/json', '{}'));
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"StreamNames":["a","b"],"HasMoreStreams":false}');
  });
});

describe('AWS JSON dispatcher: services without CBOR (Firehose)', () => {
  it('answers the CBOR content type with the XML 404 and never runs the operation', async () => {
    const calls: Call[] = [];
    const handle = awsJsonHandler([firehoseLike(calls), kinesisLike([])], undefined, logger);
    const res = await handle(request('Firehose_20150804.PutRecord', CBOR_CONTENT_TYPE, encodeCbor({ DeliveryStreamName: 's', Record: { Data: Buffer.from('x') } })));
    expect(res.status).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/xml');
    expect(res.body).toBe('<UnknownOperationException/>\n');
    const empty = await handle(request('Firehose_20150804.PutRecord', CBOR_CONTENT_TYPE, Buffer.alloc(0)));
    expect(empty.status).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it('serves JSON exactly as before: pre-serialized strings pass through, objects are stringified', async () => {
    const calls: Call[] = [];
    const handle = awsJsonHandler([firehoseLike(calls)], undefined, logger);
    const res = await handle(request('Firehose_20150804.PutRecord', JSON_11, '{"DeliveryStreamName":"s","Record":{"Data":"aGk="}}'));
    expect(res).toMatchObject({ status: 200, headers: { 'content-type': JSON_11 }, body: '{"RecordId":"r1","Encrypted":false}' });
    expect((calls[0].input.Record as { Data: Buffer }).Data.toString()).toBe('hi');
    expect(calls[0].ctx.protocol).toBe('json');
    const list = await handle(request('Firehose_20150804.ListDeliveryStreams', 'application/x-amz-json-1.0', '{}'));
    expect(list).toMatchObject({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{"DeliveryStreamNames":["a"],"HasMoreDeliveryStreams":false}' });
    const empty = await handle(request('Firehose_20150804.PutRecord', JSON_11, Buffer.alloc(0)));
    expect(empty).toMatchObject({ status: 400, body: '{"__type":"SerializationException"}' });
  });
});
