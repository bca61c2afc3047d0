import { AwsError } from '../../core/aws-error.js';
import { TokenBucket } from '../../util/token-bucket.js';
import type { ApiRecord, ChildShard, KinesisStream } from '../registry/kinesis-stream.js';

/** One `SubscribeToShardEvent` (the API shape: Buffers and AwsTimestamps, encoded by the protocol layer). */
export interface SubscribeToShardEvent {
  Records: ApiRecord[];
  /** Absent on the last event of a closed shard (the one with `ChildShards`), as in AWS. */
  ContinuationSequenceNumber?: string;
  MillisBehindLatest: number;
  ChildShards?: ChildShard[];
}

/** What a subscription produces: events, and at most one exception, which ends it. */
export type SubscriptionMessage =
  | { kind: 'event'; event: SubscribeToShardEvent }
  | { kind: 'exception'; error: AwsError };

export interface SubscriptionLimits {
  /** An event with no records is sent after this long without one; default 5,000 ms. */
  heartbeatMs: number;
  /** The subscription ends after this long; default 300,000 ms (AWS: 5 minutes). */
  maxDurationMs: number;
  /** Read limit per consumer and shard in bytes per second; `false` turns it off. Default 2 MiB (AWS). */
  readBytesPerSecond: number | false;
  /** Records per event at most; default 10,000. */
  maxRecordsPerEvent: number;
  /** Bytes of record data per event, about (a record is never split); default 1 MiB. */
  maxBytesPerEvent: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  heartbeatMs: 5_000,
  maxDurationMs: 300_000,
  readBytesPerSecond: 2 * 1024 * 1024,
  maxRecordsPerEvent: 10_000,
  maxBytesPerEvent: 1024 * 1024,
};

export interface ShardSubscriptionOptions {
  stream: KinesisStream;
  /** Canonical shard id (`shardId-000000000000`). */
  shardId: string;
  /** Log position to start at (from `KinesisStream.startPosition`). */
  position: number;
  /**
   * Ends the subscription. An `AwsError` reason is sent to the client as the closing exception
   * (a newer subscription took over, the consumer was deregistered, …); any other reason (the
   * client went away, the server is closing) ends it silently.
   */
  signal: AbortSignal;
  limits?: Partial<SubscriptionLimits>;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The records of one shard for one enhanced fan-out consumer, as SubscribeToShard delivers
 * them: an event as soon as records are durable (at most `maxBytesPerEvent` each, paced by the
 * per-consumer read limit), an empty event every `heartbeatMs` while idle (carrying the
 * continuation number to resume from), and — when a closed shard has been read to its end —
 * a last event with `ChildShards` and no continuation number. Ends after `maxDurationMs`, or
 * when `signal` aborts.
 */
export async function* shardSubscription(opts: ShardSubscriptionOptions): AsyncGenerator<SubscriptionMessage> {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...(opts.limits ?? {}) };
  const now = opts.now ?? Date.now;
  const { stream, shardId, signal } = opts;
  const deadline = now() + limits.maxDurationMs;
  const bucket = limits.readBytesPerSecond === false ? undefined : new TokenBucket(limits.readBytesPerSecond, now);
  let position = opts.position;
  let lastEventAt = -Infinity;

  // One reshard wait at a time (a new one after each reshard), not one per idle cycle.
  const waits = new AbortController();
  const stopWaits = () => waits.abort();
  signal.addEventListener('abort', stopWaits, { once: true });
  let reshard: Promise<void> | undefined;
  const nextReshard = () => {
    reshard ??= stream.log.waitForReshard(waits.signal).then(() => {
      reshard = undefined;
    });
    return reshard;
  };

  try {
    for (;;) {
      if (signal.aborted) break;
      const t = now();
      if (t >= deadline) return;
      if (bucket) {
        const available = bucket.available();
        if (available <= 0) {
          await sleep(Math.min(deadline - t, Math.ceil((-available / (limits.readBytesPerSecond as number)) * 1000) + 1), signal);
          continue;
        }
      }
      const maxBytes = bucket ? Math.max(1, Math.min(limits.maxBytesPerEvent, Math.floor(bucket.available()))) : limits.maxBytesPerEvent;
      const from = position;
      const read = await stream.read(shardId, position, { maxRecords: limits.maxRecordsPerEvent, maxBytes });
      if (signal.aborted) break;
      bucket?.take(read.bytes);
      position = read.nextPosition;
      if (read.records.length > 0) {
        yield { kind: 'event', event: { Records: read.records, ContinuationSequenceNumber: read.records[read.records.length - 1].SequenceNumber, MillisBehindLatest: read.millisBehindLatest } };
        lastEventAt = now();
      }
      if (read.childShards) {
        yield { kind: 'event', event: { Records: [], MillisBehindLatest: 0, ChildShards: read.childShards } };
        return;
      }
      if (read.records.length > 0 || position > from) continue; // more may be waiting
      if (now() - lastEventAt >= limits.heartbeatMs) {
        yield { kind: 'event', event: { Records: [], ContinuationSequenceNumber: await stream.continuationBefore(shardId, position), MillisBehindLatest: read.millisBehindLatest } };
        lastEventAt = now();
      }
      const idleMs = Math.min(lastEventAt + limits.heartbeatMs - now(), deadline - now());
      if (idleMs <= 0) continue;
      const wake = new AbortController();
      const stopWake = () => wake.abort();
      waits.signal.addEventListener('abort', stopWake, { once: true });
      try {
        await Promise.race([
          // Resolves once the log's durable end passes `position`: a record to read there.
          stream.log.log(shardId).waitForData(position, wake.signal),
          nextReshard(),
          sleep(idleMs, wake.signal),
        ]);
      } finally {
        wake.abort();
        waits.signal.removeEventListener('abort', stopWake);
      }
      // Reads of the tail cache settle without I/O: never let an idle loop run on microtasks
      // alone, which would starve the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (AwsError.isInstance(signal.reason)) yield { kind: 'exception', error: signal.reason };
  } catch (err) {
    if (signal.aborted) {
      if (AwsError.isInstance(signal.reason)) yield { kind: 'exception', error: signal.reason };
      return;
    }
    opts.onError?.(err);
    yield { kind: 'exception', error: new AwsError('InternalFailureException', 'An internal failure ended the subscription; subscribe again.', 500) };
  } finally {
    signal.removeEventListener('abort', stopWaits);
    waits.abort();
  }
}
