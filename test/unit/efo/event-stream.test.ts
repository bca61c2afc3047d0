import { crc32 } from '@node-rs/crc32';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { describe, expect, it } from 'vitest';
import { encodeEvent, encodeException } from '../../../src/stream/efo/event-stream.js';

const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => Buffer.from(s, 'utf8'));

/** The framing fields, read by hand as the reference describes them (big-endian). */
function prelude(msg: Buffer) {
  return {
    totalLength: msg.readUInt32BE(0),
    headersLength: msg.readUInt32BE(4),
    preludeCrc: msg.readUInt32BE(8),
    messageCrc: msg.readUInt32BE(msg.length - 4),
  };
}

function headerValues(msg: Buffer): Record<string, string> {
  const decoded = codec.decode(msg);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(decoded.headers)) {
    expect(v.type).toBe('string');
    out[k] = String(v.value);
  }
  return out;
}

describe('event-stream messages', () => {
  it('frames an event: lengths, both CRC32s, string headers, payload', () => {
    const payload = Buffer.from(JSON.stringify({ Records: [], ContinuationSequenceNumber: '49', MillisBehindLatest: 0 }));
    const msg = encodeEvent('SubscribeToShardEvent', payload, 'application/json');
    const p = prelude(msg);
    expect(p.totalLength).toBe(msg.length);
    expect(p.totalLength).toBe(16 + p.headersLength + payload.length);
    expect(p.preludeCrc).toBe(crc32(msg.subarray(0, 8)));
    expect(p.messageCrc).toBe(crc32(msg.subarray(0, msg.length - 4)));
    // Header block: name length (1 byte), name, type 7 (string), value length (2 bytes), value.
    const headers = msg.subarray(12, 12 + p.headersLength);
    expect(headers[0]).toBe(':event-type'.length);
    expect(headers.subarray(1, 12).toString()).toBe(':event-type');
    expect(headers[12]).toBe(7);
    expect(headers.readUInt16BE(13)).toBe('SubscribeToShardEvent'.length);
    expect(headerValues(msg)).toEqual({ ':event-type': 'SubscribeToShardEvent', ':content-type': 'application/json', ':message-type': 'event' });
    expect(Buffer.from(codec.decode(msg).body).equals(payload)).toBe(true);
    expect(msg.subarray(12 + p.headersLength, msg.length - 4).equals(payload)).toBe(true);
  });

  it('frames an exception with its type and message payload', () => {
    const payload = Buffer.from('{"message":"Another active subscription exists"}');
    const msg = encodeException('ResourceInUseException', payload, 'application/x-amz-cbor-1.1');
    expect(headerValues(msg)).toEqual({
      ':exception-type': 'ResourceInUseException',
      ':content-type': 'application/x-amz-cbor-1.1',
      ':message-type': 'exception',
    });
    expect(JSON.parse(Buffer.from(codec.decode(msg).body).toString())).toEqual({ message: 'Another active subscription exists' });
    const p = prelude(msg);
    expect(p.messageCrc).toBe(crc32(msg.subarray(0, msg.length - 4)));
  });

  it('frames an empty payload (the initial-response of an event stream may be empty)', () => {
    const msg = encodeEvent('initial-response', Buffer.alloc(0), 'application/json');
    const p = prelude(msg);
    expect(p.totalLength).toBe(16 + p.headersLength);
    expect(codec.decode(msg).body.length).toBe(0);
  });

  it('is rejected by the decoder when a byte is corrupted (the CRCs protect it)', () => {
    const msg = encodeEvent('SubscribeToShardEvent', Buffer.from('{"Records":[]}'), 'application/json');
    const bad = Buffer.from(msg);
    bad[bad.length - 6] ^= 0xff;
    expect(() => codec.decode(bad)).toThrow(/checksum/i);
  });
});
