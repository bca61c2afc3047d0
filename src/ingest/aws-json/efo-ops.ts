import type { ConsumerRef, ConsumerRegistry } from '../../stream/efo/consumers.js';
import { encodeEvent, encodeException, EVENT_STREAM_CONTENT_TYPE } from '../../stream/efo/event-stream.js';
import { efoErrors } from '../../stream/efo/messages.js';
import { shardSubscription, type SubscriptionLimits, type SubscriptionMessage } from '../../stream/efo/shard-subscription.js';
import { SubscriptionTable } from '../../stream/efo/subscriptions.js';
import type { KinesisStream } from '../../stream/registry/kinesis-stream.js';
import type { KinesisStreams } from '../../stream/registry/kinesis-streams.js';
import { kinesisErrors } from '../../stream/registry/messages.js';
import { CBOR_CONTENT_TYPE } from './cbor.js';
import { encodePayload, type AwsOperation, type WireProtocol } from './dispatch.js';
import { EventStreamOutput } from './event-stream-output.js';

type Input = Record<string, unknown>;

export interface EfoOptions {
  /** Heartbeat, duration and read-limit settings of SubscribeToShard streams (defaults: AWS's). */
  subscription?: Partial<SubscriptionLimits>;
  /** The re-subscribe window for one consumer and shard; default 5,000 ms (AWS). */
  resubscribeWindowMs?: number;
  now?: () => number;
  /** Told about unexpected failures inside a subscription (the client gets InternalFailureException). */
  onError?: (err: unknown, context: { consumerArn: string; shardId: string }) => void;
}

const TAG_CHARS = /^[\p{L}\p{N}\s_./=+\-%@]*$/u;

/** The `:content-type` of event payloads in a protocol. */
function payloadType(protocol: WireProtocol): string {
  return protocol === 'cbor' ? CBOR_CONTENT_TYPE : 'application/json';
}

const consumerRef = (i: Input): ConsumerRef => ({
  ConsumerARN: i.ConsumerARN as string | undefined,
  StreamARN: i.StreamARN as string | undefined,
  ConsumerName: i.ConsumerName as string | undefined,
});

/**
 * Kinesis enhanced fan-out: the consumer registry operations and SubscribeToShard, which answers
 * with an event stream (an `initial-response` event, then `SubscribeToShardEvent`s; errors after
 * the response started are exception messages). Merged into the Kinesis service's operations.
 */
export function efoOperations(
  streams: KinesisStreams,
  consumers: ConsumerRegistry,
  options: EfoOptions = {},
  /** The stream operations TagResource / UntagResource / ListTagsForResource fall back to for stream ARNs. */
  streamOps: Record<string, AwsOperation> = {},
): Record<string, AwsOperation> {
  const account = streams.accountId;
  const subscriptions = new SubscriptionTable({ now: options.now ?? (() => streams.now()), resubscribeWindowMs: options.resubscribeWindowMs });

  /** The stream a StreamARN names, if one is given (ResourceNotFound for a missing stream). */
  const streamOf = (ref: ConsumerRef): KinesisStream | undefined =>
    ref.StreamARN === undefined ? undefined : streams.require({ StreamARN: ref.StreamARN });

  /** The resource operation for consumer ARNs, else the stream one. */
  const byResource = (op: string, forConsumer: (arn: string, i: Input) => unknown): AwsOperation => (i, ctx) => {
    const arn = i.ResourceARN as string;
    if (arn.includes('/consumer/')) return forConsumer(arn, i);
    const fallback = streamOps[op];
    if (!fallback) throw kinesisErrors.streamNotFound(arn.slice(arn.lastIndexOf('/') + 1), account);
    return fallback(i, ctx);
  };

  return {
    TagResource: byResource('TagResource', async (arn, i) => {
      const tags = i.Tags as Record<string, string>;
      if (Object.entries(tags).some(([k, v]) => !TAG_CHARS.test(k) || !TAG_CHARS.test(v))) throw kinesisErrors.tagChars();
      await consumers.tag(arn, tags);
      return undefined;
    }),
    UntagResource: byResource('UntagResource', async (arn, i) => {
      await consumers.untag(arn, i.TagKeys as string[]);
      return undefined;
    }),
    ListTagsForResource: byResource('ListTagsForResource', (arn) => ({
      Tags: Object.entries(consumers.tags(arn)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([Key, Value]) => ({ Key, Value })),
    })),

    RegisterStreamConsumer: async (i) => {
      const stream = streams.require({ StreamARN: i.StreamARN as string });
      if (stream.status === 'CREATING' || stream.status === 'DELETING') throw kinesisErrors.notActive(stream.name, account, stream.status);
      const tags = i.Tags as Record<string, string> | undefined;
      if (tags && Object.entries(tags).some(([k, v]) => !TAG_CHARS.test(k) || !TAG_CHARS.test(v))) throw kinesisErrors.tagChars();
      return { Consumer: await consumers.register(stream.arn, stream.name, i.ConsumerName as string, tags) };
    },

    DeregisterStreamConsumer: async (i) => {
      const ref = consumerRef(i);
      if (ref.ConsumerARN === undefined) streamOf(ref);
      await consumers.deregister(ref);
      return undefined;
    },

    DescribeStreamConsumer: (i) => {
      const ref = consumerRef(i);
      if (ref.ConsumerARN === undefined) streamOf(ref);
      return { ConsumerDescription: consumers.describe(ref) };
    },

    ListStreamConsumers: (i) => {
      const stream = streams.require({ StreamARN: i.StreamARN as string });
      const created = i.StreamCreationTimestamp as number | undefined;
      if (created !== undefined && Math.floor(created) !== Math.floor(stream.createdAt / 1000)) {
        throw kinesisErrors.streamNotFound(stream.name, account);
      }
      return consumers.list(stream.arn, { NextToken: i.NextToken as string | undefined, MaxResults: i.MaxResults as number | undefined });
    },

    SubscribeToShard: async (i, ctx) => {
      const consumerArn = i.ConsumerARN as string;
      const described = consumers.describe({ ConsumerARN: consumerArn });
      const consumer = consumers.find(consumerArn);
      const stream = streams.byArn(described.StreamARN);
      if (!consumer || !stream || stream.deleted.aborted) {
        throw kinesisErrors.streamNotFound(described.StreamARN.slice(described.StreamARN.lastIndexOf('/') + 1), account);
      }
      if (consumer.status !== 'ACTIVE') {
        throw efoErrors.subscribeConsumerNotActive(consumer.name, Math.floor(consumer.createdAt / 1000), stream.name, account);
      }
      const start = i.StartingPosition as { Type: string; SequenceNumber?: string; Timestamp?: number };
      const { shard, position } = await stream.startPosition(i.ShardId as string, start.Type, start.SequenceNumber, start.Timestamp);
      const lease = subscriptions.claim(consumerArn, shard.shardId, {
        busy: () => efoErrors.activeSubscription(account, stream.name, shard.shardId, consumer.name),
        takenOver: () => efoErrors.subscriptionTakenOver(account, stream.name, shard.shardId, consumer.name),
      });

      // Everything that ends the subscription, with the exception the client is told (if any).
      const ended = new AbortController();
      const client = new AbortController();
      const links: [AbortSignal, () => void][] = [];
      const link = (signal: AbortSignal, reason: () => unknown) => {
        const on = () => ended.abort(reason());
        if (signal.aborted) on();
        else {
          signal.addEventListener('abort', on, { once: true });
          links.push([signal, on]);
        }
      };
      link(lease.signal, () => lease.signal.reason);
      link(consumer.removed, () => consumer.removed.reason);
      link(stream.deleted, () => kinesisErrors.streamNotFound(stream.name, account));
      link(client.signal, () => client.signal.reason);
      let cleaned = false;
      const cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        for (const [signal, on] of links) signal.removeEventListener('abort', on);
        lease.release();
      };

      const protocol = ctx.protocol;
      const contentType = payloadType(protocol);
      const frameOf = (m: SubscriptionMessage): Buffer => m.kind === 'event'
        ? encodeEvent('SubscribeToShardEvent', encodePayload(m.event, protocol), contentType)
        : encodeException(m.error.type, encodePayload({ message: m.error.message }, protocol), contentType);

      const frames = async function* (): AsyncGenerator<Buffer> {
        try {
          yield encodeEvent('initial-response', encodePayload({}, protocol), contentType);
          const messages = shardSubscription({
            stream,
            shardId: shard.shardId,
            position,
            signal: ended.signal,
            limits: options.subscription,
            now: options.now ?? (() => streams.now()),
            onError: (err) => options.onError?.(err, { consumerArn, shardId: shard.shardId }),
          });
          for await (const m of messages) yield frameOf(m);
        } finally {
          cleanup();
        }
      };
      const gen = frames();
      // Stopping the iteration (the client went away, the server is closing) aborts the
      // subscription's waits at once: an async generator's return() alone would wait for its
      // next yield, which an idle subscription only reaches at its next heartbeat.
      const iterator: AsyncIterator<Buffer> = {
        next: () => gen.next(),
        return: (value?: unknown) => {
          client.abort();
          cleanup();
          return gen.return(value as undefined);
        },
      };
      return new EventStreamOutput({ [Symbol.asyncIterator]: () => iterator }, EVENT_STREAM_CONTENT_TYPE);
    },
  };
}
