import { EventStreamCodec } from '@smithy/eventstream-codec';

/** HTTP content type of an AWS event stream response. */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

function frame(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const tagged: Record<string, { type: 'string'; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) tagged[k] = { type: 'string', value: v };
  const bytes = codec.encode({ headers: tagged, body: payload });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One event-stream message carrying an event (`:message-type` event): the binary framing AWS
 * uses for SubscribeToShard (total length, headers length, prelude CRC32, string headers,
 * payload, message CRC32). `contentType` names the payload's encoding.
 */
export function encodeEvent(eventType: string, payload: Uint8Array, contentType: string): Buffer {
  return frame({ ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' }, payload);
}

/** One event-stream message carrying a modeled exception (`:message-type` exception); the payload holds `{"message": …}`. */
export function encodeException(exceptionType: string, payload: Uint8Array, contentType: string): Buffer {
  return frame({ ':exception-type': exceptionType, ':content-type': contentType, ':message-type': 'exception' }, payload);
}
