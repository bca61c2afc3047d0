import { Tag, encode as cborXEncode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { AwsTimestamp } from '../../../src/core/timestamp.js';
import { CBOR_CONTENT_TYPE, decodeCbor, encodeCbor } from '../../../src/ingest/aws-json/cbor.js';
import { encodePayload, errorResponse } from '../../../src/ingest/aws-json/dispatch.js';
import { toJson } from '../../../src/ingest/aws-json/json.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
// CBOR text string header + bytes, for the short ASCII keys used below.
const text = (s: string) => (0x60 + s.length).toString(16) + Buffer.from(s).toString('hex');

// 2016-04-04T19:58:46.480Z, the timestamp of the AWS documentation examples.
const MS = 1459799926480;

describe('CBOR encoding of outputs', () => {
  it('renders an AwsTimestamp as tag 1 wrapping integer epoch milliseconds', () => {
    // c1 = tag 1, 1b = 64-bit unsigned integer
    expect(hex(encodeCbor(new AwsTimestamp(MS)))).toBe('c11b' + MS.toString(16).padStart(16, '0'));
    expect(hex(encodeCbor(new AwsTimestamp(MS)))).toBe('c11b00000153e2db26d0');
    // below 2^32 the integer is 32 bits wide: c1 1a
    expect(hex(encodeCbor(new AwsTimestamp(86_400_000)))).toBe('c11a05265c00');
    // a fractional millisecond never turns into a float (c1 fb)
    expect(hex(encodeCbor(new AwsTimestamp(MS + 0.4)))).toBe('c11b00000153e2db26d0');
    expect(hex(encodeCbor(new AwsTimestamp(-1000)))).toBe('c13903e7');
  });

  it('renders a Date like an AwsTimestamp, never as float seconds', () => {
    expect(hex(encodeCbor({ T: new Date(MS) }))).toBe('a1' + text('T') + 'c11b00000153e2db26d0');
    expect(hex(encodeCbor([new Date(MS)]))).not.toContain('c1fb');
  });

  it('renders Buffers and Uint8Arrays as bare byte strings', () => {
    expect(hex(encodeCbor({ Data: Buffer.from([0, 1, 255]) }))).toBe('a1' + text('Data') + '430001ff');
    // no typed-array tag (d8 40) in front of a plain Uint8Array
    expect(hex(encodeCbor({ Data: new Uint8Array([7, 8]) }))).toBe('a1' + text('Data') + '420708');
  });

  it('writes integers beyond 32 bits as CBOR integers, fractions as float64', () => {
    expect(hex(encodeCbor(2 ** 40))).toBe('1b0000010000000000');
    expect(hex(encodeCbor(-(2 ** 40)))).toBe('3b000000ffffffffff');
    expect(hex(encodeCbor(4294967295))).toBe('1affffffff');
    expect(hex(encodeCbor(1.5))).toBe('fb3ff8000000000000');
  });

  it('leaves undefined members out like JSON.stringify, and honours toJSON', () => {
    const out = { A: 1, B: undefined, C: [undefined, 2], D: { toJSON: () => 'x' } };
    expect(decodeCbor(encodeCbor(out))).toEqual({ A: 1, C: [null, 2], D: 'x' });
    expect(hex(encodeCbor(out))).not.toContain('f7');
  });

  it('does not change the output object it encodes', () => {
    const out = { Records: [{ Data: Buffer.from('a'), When: new Date(MS), Gone: undefined }] };
    encodeCbor(out);
    expect(out.Records[0].When).toBeInstanceOf(Date);
    expect('Gone' in out.Records[0]).toBe(true);
  });

  it('round-trips a GetRecords-shaped output', () => {
    const out = {
      Records: [{ SequenceNumber: '49590338271490256608559692538361571095921575989136588898', Data: Buffer.from('hello'),
        PartitionKey: 'pk', ApproximateArrivalTimestamp: new AwsTimestamp(MS), EncryptionType: 'NONE' }],
      NextShardIterator: 'AAAA', MillisBehindLatest: 0,
    };
    const back = decodeCbor(encodeCbor(out)) as typeof out;
    expect(back.Records[0].Data.equals(Buffer.from('hello'))).toBe(true);
    expect(back.Records[0].ApproximateArrivalTimestamp).toEqual(new AwsTimestamp(MS));
    expect({ ...back, Records: [{ ...back.Records[0], Data: 'x' }] })
      .toEqual({ ...out, Records: [{ ...out.Records[0], Data: 'x' }] });
  });
});

describe('CBOR decoding of requests', () => {
  it('decodes tag 1 as an AwsTimestamp of the milliseconds it wraps (64- or 32-bit)', () => {
    expect(decodeCbor(Buffer.from('c11b00000153e2db26d0', 'hex'))).toEqual(new AwsTimestamp(MS));
    expect(decodeCbor(Buffer.from('c11a05265c00', 'hex'))).toEqual(new AwsTimestamp(86_400_000));
    expect((decodeCbor(Buffer.from('c16161', 'hex')) as AwsTimestamp).ms).toBeNaN();
  });

  it('reads the encoding of a Jackson-style request: indefinite-length map, byte string, tagged timestamp', () => {
    const body = Buffer.from('bf' + text('Data') + '43010203' + text('T') + 'c11b00000153e2db26d0' + text('N') + '1b0000010000000000' + 'ff', 'hex');
    const v = decodeCbor(body) as { Data: Buffer; T: AwsTimestamp; N: number };
    expect(Buffer.isBuffer(v.Data)).toBe(true);
    expect([...v.Data]).toEqual([1, 2, 3]);
    // a view of the request bytes, not a copy
    expect(v.Data.buffer).toBe(body.buffer);
    expect(v.T).toEqual(new AwsTimestamp(MS));
    expect(v.N).toBe(2 ** 40);
  });

  it('rejects malformed, truncated and trailing input', () => {
    expect(() => decodeCbor(Buffer.from('a26161', 'hex'))).toThrow();
    expect(() => decodeCbor(Buffer.from('a161610100', 'hex'))).toThrow();
    expect(() => decodeCbor(Buffer.from('{"a":1}'))).toThrow();
  });

  it('reads what cbor-x itself writes for a Tag(ms, 1)', () => {
    expect(decodeCbor(cborXEncode({ T: new Tag(BigInt(MS), 1) }))).toEqual({ T: new AwsTimestamp(MS) });
  });
});

describe('error bodies', () => {
  it('are CBOR maps {__type, message} for the CBOR content type, status unchanged', () => {
    const r = errorResponse(new AwsError('ResourceNotFoundException', 'Stream s under account 000000000000 not found.'), 'req-1', CBOR_CONTENT_TYPE);
    expect(r.status).toBe(400);
    expect(r.headers).toMatchObject({ 'content-type': CBOR_CONTENT_TYPE, 'x-amzn-requestid': 'req-1', 'x-amzn-errortype': 'ResourceNotFoundException' });
    expect(Buffer.isBuffer(r.body)).toBe(true);
    expect(decodeCbor(r.body as Buffer)).toEqual({ __type: 'ResourceNotFoundException', message: 'Stream s under account 000000000000 not found.' });
  });

  it('keep SerializationException\'s capital-M Message, and InternalFailure its 500', () => {
    const ser = errorResponse(new AwsError('SerializationException', 'bad', 400, { messageKey: 'Message' }), 'r', CBOR_CONTENT_TYPE);
    expect(decodeCbor(ser.body as Buffer)).toEqual({ __type: 'SerializationException', Message: 'bad' });
    const internal = errorResponse(new AwsError('InternalFailure', '', 500), 'r', CBOR_CONTENT_TYPE);
    expect(internal.status).toBe(500);
    expect(decodeCbor(internal.body as Buffer)).toEqual({ __type: 'InternalFailure' });
  });

  it('stay JSON text by default', () => {
    const r = errorResponse(new AwsError('ValidationException', 'no'), 'r');
    expect(r.headers?.['content-type']).toBe('application/x-amz-json-1.1');
    expect(r.body).toBe('{"__type":"ValidationException","message":"no"}');
  });
});

describe('JSON rendering of outputs (toJson)', () => {
  it('writes blobs as base64 and timestamps as epoch seconds', () => {
    const out = { Records: [{ Data: Buffer.from('hello'), Raw: new Uint8Array([255]), At: new AwsTimestamp(MS), When: new Date(MS) }] };
    expect(toJson(out)).toBe('{"Records":[{"Data":"aGVsbG8=","Raw":"/w==","At":1459799926.48,"When":1459799926.48}]}');
  });

  it('gives exactly JSON.stringify for outputs without blobs (Firehose describe shape)', () => {
    const describe = {
      DeliveryStreamDescription: {
        DeliveryStreamName: 'clicks', DeliveryStreamARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks',
        DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', VersionId: '1', CreateTimestamp: 1459799926.48,
        LastUpdateTimestamp: undefined, Destinations: [{ DestinationId: 'destinationId-000000000001', ExtendedS3DestinationDescription: { BucketARN: 'arn:aws:s3:::b', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 } } }],
        HasMoreDestinations: false,
      },
    };
    expect(toJson(describe)).toBe(JSON.stringify(describe));
    expect(toJson({ At: new AwsTimestamp(MS) })).toBe(JSON.stringify({ At: new AwsTimestamp(MS) }));
  });

  it('leaves the output object as it was', () => {
    const out = { Data: Buffer.from('a') };
    toJson(out);
    expect(Buffer.isBuffer(out.Data)).toBe(true);
  });

  it('renders undefined as an empty body', () => {
    expect(toJson(undefined)).toBe('');
  });

  it('encodePayload picks the protocol', () => {
    const payload = { Data: Buffer.from('hi'), At: new AwsTimestamp(MS) };
    expect(encodePayload(payload, 'json').toString()).toBe('{"Data":"aGk=","At":1459799926.48}');
    expect(decodeCbor(encodePayload(payload, 'cbor'))).toEqual({ Data: Buffer.from('hi'), At: new AwsTimestamp(MS) });
  });
});
