/**
 * What an operation returns to answer with an event stream instead of a JSON/CBOR body
 * (Kinesis SubscribeToShard). The dispatcher answers 200 with this content type and a request
 * id, and the transport writes each chunk of `events` as it comes: every chunk holds whole
 * `application/vnd.amazon.eventstream` messages, already encoded by the operation (payloads in
 * the request's protocol, see `encodePayload` in dispatch.ts).
 */
export class EventStreamOutput {
  constructor(readonly events: AsyncIterable<Buffer>, readonly contentType = 'application/vnd.amazon.eventstream') {}
}
