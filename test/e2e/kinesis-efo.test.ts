import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  type KinesisClient,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';

type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString();

/** The SDK error a call fails with. */
async function sdkFailure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected the call to fail');
}

/** Pulls SubscribeToShardEvents off the SDK's event stream, one at a time. */
class Events {
  private readonly it: AsyncIterator<SubscribeToShardEventStream>;
  constructor(stream: AsyncIterable<SubscribeToShardEventStream>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  async next(): Promise<SubscribeToShardEvent | undefined> {
    const r = await this.it.next();
    if (r.done) return undefined;
    expect(r.value.SubscribeToShardEvent).toBeDefined();
    return r.value.SubscribeToShardEvent;
  }

  /** Events until `count` records arrived (heartbeats skipped). */
  async records(count: number): Promise<SubscribeToShardEvent[]> {
    const events: SubscribeToShardEvent[] = [];
    let n = 0;
    while (n < count) {
      const e = await this.next();
      if (!e) throw new Error(`the stream ended after ${n} of ${count} records`);
      if (e.Records?.length) events.push(e);
      n += e.Records?.length ?? 0;
    }
    return events;
  }

  stop(): Promise<unknown> | undefined {
    return this.it.return?.();
  }
}

describe('Kinesis enhanced fan-out through the AWS SDK (HTTP/2)', () => {
  let node: Node;
  let client: KinesisClient;
  let streamArn: string;
  let consumerArn: string;

  beforeAll(async () => {
    node = await startTestHydrant({ kinesis: { createDelayMs: 50, updateDelayMs: 50, deleteDelayMs: 50 } });
    client = kinesisClient(node.endpoint); // the SDK's default request handler: HTTP/2 (h2c)
    await client.send(new CreateStreamCommand({ StreamName: 'clicks', ShardCount: 1 }));
    streamArn = await waitFor(async () => {
      const d = (await client.send(new DescribeStreamSummaryCommand({ StreamName: 'clicks' }))).StreamDescriptionSummary;
      return d?.StreamStatus === 'ACTIVE' ? d.StreamARN : undefined;
    });
  });

  afterAll(async () => {
    client?.destroy();
    await node?.stop();
  });

  it('registers a consumer that becomes ACTIVE', async () => {
    const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'dashboard' }));
    expect(Consumer?.ConsumerStatus).toBe('CREATING');
    expect(Consumer?.ConsumerARN).toMatch(new RegExp(`^${streamArn}/consumer/dashboard:\\d+$`));
    expect(Consumer?.ConsumerCreationTimestamp).toBeInstanceOf(Date);
    consumerArn = Consumer!.ConsumerARN!;
    const active = await waitFor(async () => {
      const d = (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }))).ConsumerDescription;
      return d?.ConsumerStatus === 'ACTIVE' ? d : undefined;
    });
    expect(active).toMatchObject({ ConsumerName: 'dashboard', StreamARN: streamArn });
    const dup = await sdkFailure(client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'dashboard' })));
    expect(dup.name).toBe('ResourceInUseException');
    const list = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
    expect(list.Consumers?.map((c) => c.ConsumerName)).toEqual(['dashboard']);
  });

  it('delivers records in order, refuses a second subscription within 5 s, and ends a split shard with its children', async () => {
    const sub = await client.send(new SubscribeToShardCommand({
      ConsumerARN: consumerArn,
      ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'TRIM_HORIZON' },
    }));
    const events = new Events(sub.EventStream!);
    try {
      const put = await client.send(new PutRecordsCommand({
        StreamName: 'clicks',
        Records: Array.from({ length: 10 }, (_, i) => ({ Data: Buffer.from(`click-${i}`), PartitionKey: `user-${i % 3}` })),
      }));
      expect(put.FailedRecordCount).toBe(0);

      const got = await events.records(10);
      const records = got.flatMap((e) => e.Records ?? []);
      expect(records.map((r) => text(r.Data))).toEqual(Array.from({ length: 10 }, (_, i) => `click-${i}`));
      expect(records.map((r) => r.SequenceNumber)).toEqual(put.Records?.map((r) => r.SequenceNumber));
      expect(records.map((r) => r.PartitionKey)).toEqual(Array.from({ length: 10 }, (_, i) => `user-${i % 3}`));
      expect(records.every((r) => r.ApproximateArrivalTimestamp instanceof Date)).toBe(true);
      for (const e of got) {
        expect(e.ContinuationSequenceNumber).toBe(e.Records![e.Records!.length - 1].SequenceNumber);
        expect(e.MillisBehindLatest).toBeTypeOf('number');
      }

      // The same consumer and shard again within 5 seconds of the call above.
      const again = await sdkFailure(client.send(new SubscribeToShardCommand({
        ConsumerARN: consumerArn,
        ShardId: 'shardId-000000000000',
        StartingPosition: { Type: 'LATEST' },
      })));
      expect(again.name).toBe('ResourceInUseException');
      expect(again.message).toMatch(/Another active subscription exists for this consumer/);

      await client.send(new SplitShardCommand({ StreamName: 'clicks', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
      let last: SubscribeToShardEvent | undefined;
      for (let e = await events.next(); e; e = await events.next()) {
        last = e;
        if (e.ChildShards?.length) break;
        expect(e.Records).toEqual([]); // heartbeats only: nothing was written after the ten records
      }
      expect(last?.ContinuationSequenceNumber).toBeUndefined();
      expect(last?.ChildShards?.map((c) => c.ShardId).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
      expect(last?.ChildShards?.every((c) => c.ParentShards?.join() === 'shardId-000000000000')).toBe(true);
      expect(last?.ChildShards?.map((c) => c.HashKeyRange?.StartingHashKey).sort()).toEqual(['0', (2n ** 127n).toString()]);
      // The closed shard's stream ends after its children were announced.
      expect(await events.next()).toBeUndefined();
    } finally {
      await events.stop();
    }
  });

  it('resumes after a continuation number on a child shard', async () => {
    const put = await client.send(new PutRecordsCommand({
      StreamName: 'clicks',
      Records: ['a', 'b', 'c'].map((d) => ({ Data: Buffer.from(d), PartitionKey: 'p', ExplicitHashKey: '1' })),
    }));
    expect(put.Records?.map((r) => r.ShardId)).toEqual(['shardId-000000000001', 'shardId-000000000001', 'shardId-000000000001']);
    const sub = await client.send(new SubscribeToShardCommand({
      ConsumerARN: consumerArn,
      ShardId: 'shardId-000000000001',
      StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: put.Records![0].SequenceNumber },
    }));
    const events = new Events(sub.EventStream!);
    try {
      const got = (await events.records(2)).flatMap((e) => e.Records ?? []);
      expect(got.map((r) => text(r.Data))).toEqual(['b', 'c']);
    } finally {
      await events.stop();
    }
  });

  it('keeps a stream with consumers until they are deregistered (or deletion is enforced)', async () => {
    const refused = await sdkFailure(client.send(new DeleteStreamCommand({ StreamName: 'clicks' })));
    expect(refused.name).toBe('ResourceInUseException');
    await client.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'dashboard' }));
    // DELETING for a moment, then gone.
    const gone = await waitFor(async () => {
      try {
        const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
        expect(d.ConsumerDescription?.ConsumerStatus).toBe('DELETING');
        return undefined;
      } catch (err) {
        return (err as Error).name;
      }
    });
    expect(gone).toBe('ResourceNotFoundException');
    const missing = await sdkFailure(client.send(new SubscribeToShardCommand({
      ConsumerARN: consumerArn, ShardId: 'shardId-000000000001', StartingPosition: { Type: 'LATEST' },
    })));
    expect(missing.name).toBe('ResourceNotFoundException');
    await client.send(new DeleteStreamCommand({ StreamName: 'clicks' }));
  });
});
