import { EventStreamCodec } from '@smithy/eventstream-codec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { AwsTimestamp } from '../../../src/core/timestamp.js';
import { decodeCbor } from '../../../src/ingest/aws-json/cbor.js';
import type { WireProtocol } from '../../../src/ingest/aws-json/dispatch.js';
import { efoOperations, type EfoOptions } from '../../../src/ingest/aws-json/efo-ops.js';
import { EventStreamOutput } from '../../../src/ingest/aws-json/event-stream-output.js';
import { ConsumerRegistry } from '../../../src/stream/efo/consumers.js';
import type { KinesisStream } from '../../../src/stream/registry/kinesis-stream.js';
import { KinesisStreams } from '../../../src/stream/registry/kinesis-streams.js';
import { tempDir, waitFor } from '../../helpers/util.js';

const ACCOUNT = '123456789012';
const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => Buffer.from(s, 'utf8'));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Message {
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

interface EventJson {
  Records: { SequenceNumber: string; ApproximateArrivalTimestamp: number; Data: string; PartitionKey: string }[];
  ContinuationSequenceNumber?: string;
  MillisBehindLatest: number;
  ChildShards?: { ShardId: string; ParentShards: string[]; HashKeyRange: { StartingHashKey: string; EndingHashKey: string } }[];
}

/** Reads the messages of a SubscribeToShard answer the way a client would. */
class Reader {
  private readonly it: AsyncIterator<Buffer>;
  constructor(readonly out: EventStreamOutput, private readonly protocol: WireProtocol = 'json') {
    this.it = out.events[Symbol.asyncIterator]();
  }

  async next(): Promise<Message | undefined> {
    const r = await this.it.next();
    if (r.done) return undefined;
    const m = codec.decode(r.value);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.headers)) headers[k] = String(v.value);
    const body = Buffer.from(m.body);
    const payload = (this.protocol === 'cbor' ? decodeCbor(body) : JSON.parse(body.toString())) as Record<string, unknown>;
    return { headers, payload };
  }

  /** The next SubscribeToShardEvent with records (skipping heartbeats). */
  async nextWithRecords(): Promise<EventJson> {
    for (;;) {
      const m = await this.next();
      if (!m) throw new Error('stream ended');
      expect(m.headers[':message-type']).toBe('event');
      if (m.headers[':event-type'] === 'initial-response') continue;
      const e = m.payload as unknown as EventJson;
      if (e.Records.length > 0 || e.ChildShards) return e;
    }
  }

  stop(): Promise<unknown> {
    return this.it.return!();
  }
}

async function awsFailure(p: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (AwsError.isInstance(err)) return { type: err.type, message: err.message };
    throw err;
  }
  throw new Error('expected an AWS error');
}

describe('SubscribeToShard (operation level)', () => {
  let dir: { path: string; remove(): Promise<void> };
  let streams: KinesisStreams;
  let consumers: ConsumerRegistry;
  let ops: ReturnType<typeof efoOperations>;
  const readers: Reader[] = [];

  async function start(options: EfoOptions = {}, now?: () => number): Promise<void> {
    await streams?.close();
    await consumers?.close();
    consumers = await ConsumerRegistry.open({ dir: `${dir.path}/efo`, accountId: ACCOUNT, region: 'us-east-1', createDelayMs: 0, deleteDelayMs: 0 });
    streams = await KinesisStreams.open({
      dataDir: dir.path, region: 'us-east-1', accountId: ACCOUNT, logger: quiet, fsync: false,
      createDelayMs: 0, updateDelayMs: 0, deleteDelayMs: 0, shardLimits: false, consumers, now,
    });
    ops = efoOperations(streams, consumers, { subscription: { heartbeatMs: 100 }, ...options });
  }

  async function stream(name: string, shards = 1) {
    await streams.create({ StreamName: name, ShardCount: shards });
    return waitFor(() => {
      const s = streams.find(name);
      return s?.status === 'ACTIVE' ? s : undefined;
    });
  }

  async function consumer(streamArn: string, name = 'app'): Promise<string> {
    const out = await ops.RegisterStreamConsumer({ StreamARN: streamArn, ConsumerName: name }, { requestId: 'r', protocol: 'json' }) as { Consumer: { ConsumerARN: string } };
    return out.Consumer.ConsumerARN;
  }

  async function subscribe(input: Record<string, unknown>, protocol: WireProtocol = 'json'): Promise<Reader> {
    const out = await ops.SubscribeToShard(input, { requestId: 'r', protocol });
    expect(out).toBeInstanceOf(EventStreamOutput);
    const reader = new Reader(out as EventStreamOutput, protocol);
    readers.push(reader);
    return reader;
  }

  const put = (s: KinesisStream, records: string[], key = 'pk') =>
    s.put(records.map((r) => ({ data: Buffer.from(r), partitionKey: key })));

  beforeEach(async () => {
    dir = await tempDir('hydrant-efo');
  });

  afterEach(async () => {
    for (const r of readers.splice(0)) await r.stop();
    await streams?.close();
    await consumers?.close();
    streams = undefined as unknown as KinesisStreams;
    consumers = undefined as unknown as ConsumerRegistry;
    await dir.remove();
  });

  it('streams an initial-response, then the records in order with continuation numbers, then heartbeats', async () => {
    await start();
    const s = await stream('orders');
    const arn = await consumer(s.arn);
    await put(s, ['a', 'b', 'c']);
    const r = await subscribe({ ConsumerARN: arn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } });
    const first = await r.next();
    expect(first).toEqual({ headers: { ':event-type': 'initial-response', ':content-type': 'application/json', ':message-type': 'event' }, payload: {} });

    const e1 = await r.nextWithRecords();
    expect(e1.Records.map((x) => Buffer.from(x.Data, 'base64').toString())).toEqual(['a', 'b', 'c']);
    expect(e1.Records.every((x) => x.PartitionKey === 'pk' && typeof x.ApproximateArrivalTimestamp === 'number')).toBe(true);
    expect(e1.ContinuationSequenceNumber).toBe(e1.Records[2].SequenceNumber);
    expect(e1.MillisBehindLatest).toBe(0);

    await put(s, ['d']);
    const e2 = await r.nextWithRecords();
    expect(e2.Records.map((x) => Buffer.from(x.Data, 'base64').toString())).toEqual(['d']);
    expect(BigInt(e2.Records[0].SequenceNumber) > BigInt(e1.ContinuationSequenceNumber!)).toBe(true);

    // Idle: empty events carrying the checkpoint to resume from.
    const hb = await r.next();
    expect(hb?.headers[':event-type']).toBe('SubscribeToShardEvent');
    expect(hb?.payload).toEqual({ Records: [], ContinuationSequenceNumber: e2.ContinuationSequenceNumber, MillisBehindLatest: 0 });

    // AFTER_SEQUENCE_NUMBER = the continuation number resumes exactly after it (a new shard+consumer pair has no window).
    const arn2 = await consumer(s.arn, 'second');
    const r2 = await subscribe({ ConsumerARN: arn2, ShardId: '0', StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: e1.ContinuationSequenceNumber } });
    expect((await r2.nextWithRecords()).Records.map((x) => Buffer.from(x.Data, 'base64').toString())).toEqual(['d']);
  });

  it('an idle event continues from the last record\'s own sequence number, whatever second the shard was created in', async () => {
    let offset = 0;
    await start({}, () => Date.now() + offset);
    const s = await stream('idle');
    const arn = await consumer(s.arn);
    offset += 5_000; // the record arrives in a later second than the shard's creation
    await put(s, ['x']);
    const r = await subscribe({ ConsumerARN: arn, ShardId: '0', StartingPosition: { Type: 'TRIM_HORIZON' } });
    await r.next();
    const e = await r.nextWithRecords();
    const idle = await r.next();
    expect(idle?.payload).toEqual({ Records: [], ContinuationSequenceNumber: e.Records[0].SequenceNumber, MillisBehindLatest: 0 });
    // A subscription starting after the record (nothing read yet) names it the same way.
    const arn2 = await consumer(s.arn, 'late');
    const r2 = await subscribe({ ConsumerARN: arn2, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    await r2.next();
    const first = await r2.next();
    expect(first?.payload).toEqual({ Records: [], ContinuationSequenceNumber: e.Records[0].SequenceNumber, MillisBehindLatest: 0 });
  });

  it('encodes event payloads in CBOR for CBOR requests (byte strings, millisecond timestamps)', async () => {
    await start();
    const s = await stream('cbor');
    const arn = await consumer(s.arn);
    await put(s, ['x']);
    const r = await subscribe({ ConsumerARN: arn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } }, 'cbor');
    expect((await r.next())?.headers[':content-type']).toBe('application/x-amz-cbor-1.1');
    const m = await r.next();
    const records = (m?.payload as { Records: { Data: unknown; ApproximateArrivalTimestamp: AwsTimestamp }[] }).Records;
    expect(records[0].Data).toBeInstanceOf(Uint8Array); // a CBOR byte string, not base64 text
    expect(Buffer.from(records[0].Data as Uint8Array).toString()).toBe('x');
    expect(records[0].ApproximateArrivalTimestamp).toBeInstanceOf(AwsTimestamp);
    expect(Math.abs(records[0].ApproximateArrivalTimestamp.ms - Date.now())).toBeLessThan(60_000);
  });

  it('ends a closed shard with its child shards and no continuation number', async () => {
    await start();
    const s = await stream('split');
    const arn = await consumer(s.arn);
    await put(s, ['before']);
    const r = await subscribe({ ConsumerARN: arn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } });
    expect((await r.nextWithRecords()).Records).toHaveLength(1);
    await streams.split({ StreamName: 'split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() });
    const last = await r.nextWithRecords();
    expect(last.ContinuationSequenceNumber).toBeUndefined();
    expect(last.Records).toEqual([]);
    expect(last.ChildShards?.map((c) => c.ShardId).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    expect(last.ChildShards?.every((c) => c.ParentShards.join() === 'shardId-000000000000')).toBe(true);
    expect(await r.next()).toBeUndefined();
  });

  it('refuses a second subscription within the window, then lets a later one take over', async () => {
    await start({ resubscribeWindowMs: 300 });
    const s = await stream('busy');
    const arn = await consumer(s.arn);
    const input = { ConsumerARN: arn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } };
    const old = await subscribe(input);
    await old.next();
    expect(await awsFailure(ops.SubscribeToShard(input, { requestId: 'r', protocol: 'json' }) as Promise<unknown>)).toEqual({
      type: 'ResourceInUseException',
      message: `Another active subscription exists for this consumer: ${ACCOUNT}:busy:shardId-000000000000:app`,
    });
    await new Promise((r) => setTimeout(r, 300));
    const fresh = await subscribe(input);
    let m = await old.next();
    while (m && m.headers[':message-type'] === 'event') m = await old.next();
    expect(m?.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': 'ResourceInUseException' });
    expect(await old.next()).toBeUndefined();
    expect((await fresh.next())?.headers[':event-type']).toBe('initial-response');
  });

  it('checks the consumer, the shard and the starting position before answering', async () => {
    await start();
    const s = await stream('checks');
    // A registry whose consumers stay CREATING for a minute.
    const slow = await ConsumerRegistry.open({ dir: `${dir.path}/efo-slow`, accountId: ACCOUNT, region: 'us-east-1', createDelayMs: 60_000 });
    const slowOps = efoOperations(streams, slow);
    const creating = (await slowOps.RegisterStreamConsumer({ StreamARN: s.arn, ConsumerName: 'new' }, { requestId: 'r', protocol: 'json' }) as { Consumer: { ConsumerARN: string; ConsumerCreationTimestamp: AwsTimestamp } }).Consumer;
    const sec = Math.floor(creating.ConsumerCreationTimestamp.ms / 1000);
    expect(await awsFailure(Promise.resolve().then(() => slowOps.SubscribeToShard({ ConsumerARN: creating.ConsumerARN, ShardId: '0', StartingPosition: { Type: 'LATEST' } }, { requestId: 'r', protocol: 'json' })))).toEqual({
      type: 'ResourceInUseException',
      message: `Consumer new with creation timestamp ${sec} under stream: checks , account ${ACCOUNT} is not in ACTIVE status.`,
    });
    const arn = await consumer(s.arn);
    const sub = (i: Record<string, unknown>) => awsFailure(Promise.resolve().then(() => ops.SubscribeToShard({ ConsumerARN: arn, ShardId: '0', StartingPosition: { Type: 'LATEST' }, ...i }, { requestId: 'r', protocol: 'json' })));
    expect((await sub({ ConsumerARN: `${s.arn}/consumer/ghost:1` })).type).toBe('ResourceNotFoundException');
    expect((await sub({ ShardId: 'shardId-000000000007' })).type).toBe('ResourceNotFoundException');
    expect((await sub({ StartingPosition: { Type: 'AT_SEQUENCE_NUMBER' } })).type).toBe('InvalidArgumentException');
    expect((await sub({ StartingPosition: { Type: 'AT_TIMESTAMP' } })).type).toBe('InvalidArgumentException');
    // None of the failed calls counts as a subscription: a valid one goes through at once.
    const r = await subscribe({ ConsumerARN: arn, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    expect((await r.next())?.headers[':event-type']).toBe('initial-response');
    await slow.close();
  });

  it('ends with an exception when the consumer is deregistered or the stream deleted', async () => {
    await start();
    const s = await stream('gone');
    const arnA = await consumer(s.arn, 'a');
    const a = await subscribe({ ConsumerARN: arnA, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    await a.next();
    await ops.DeregisterStreamConsumer({ ConsumerARN: arnA }, { requestId: 'r', protocol: 'json' });
    let m = await a.next();
    while (m && m.headers[':message-type'] === 'event') m = await a.next();
    expect(m?.headers[':exception-type']).toBe('ResourceInUseException');
    expect(await a.next()).toBeUndefined();

    const arnB = await consumer(s.arn, 'b');
    const b = await subscribe({ ConsumerARN: arnB, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    await b.next();
    await streams.delete({ StreamName: 'gone', EnforceConsumerDeletion: true });
    m = await b.next();
    while (m && m.headers[':message-type'] === 'event') m = await b.next();
    expect(m?.headers[':exception-type']).toBe('ResourceNotFoundException');
    expect(m?.payload).toEqual({ message: `Stream gone under account ${ACCOUNT} not found.` });
    expect(await b.next()).toBeUndefined();
    expect(consumers.count(s.arn)).toBe(0);
  });

  it('ends after the subscription duration, and at once when the client stops reading', async () => {
    await start({ subscription: { heartbeatMs: 60_000, maxDurationMs: 200 } });
    const s = await stream('short');
    const arn = await consumer(s.arn);
    const r = await subscribe({ ConsumerARN: arn, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    const seen: string[] = [];
    for (let m = await r.next(); m; m = await r.next()) seen.push(m.headers[':event-type']);
    expect(seen).toEqual(['initial-response', 'SubscribeToShardEvent']);

    const long = await start({ subscription: { heartbeatMs: 60_000, maxDurationMs: 600_000 }, resubscribeWindowMs: 0 }).then(() => stream('long'));
    const arn2 = await consumer(long.arn);
    const r2 = await subscribe({ ConsumerARN: arn2, ShardId: '0', StartingPosition: { Type: 'LATEST' } });
    await r2.next();
    await r2.next(); // the first (empty) event; the subscription now waits up to a minute for data
    await r2.stop(); // resolves once the subscription has really finished (not at the next heartbeat)
    expect(await r2.next()).toBeUndefined();
  });

  it('paces reads by the per-consumer read limit', async () => {
    await start({ subscription: { readBytesPerSecond: 8000, heartbeatMs: 60_000 } });
    const s = await stream('paced');
    const arn = await consumer(s.arn);
    const record = 'r'.repeat(1998); // 2,000 bytes with the partition key
    await put(s, Array.from({ length: 12 }, () => record));
    const r = await subscribe({ ConsumerARN: arn, ShardId: '0', StartingPosition: { Type: 'TRIM_HORIZON' } });
    const sizes: number[] = [];
    let total = 0;
    while (total < 12) {
      const e = await r.nextWithRecords();
      sizes.push(e.Records.length);
      total += e.Records.length;
    }
    expect(total).toBe(12);
    // At most one second's worth (8,000 bytes = 4 records) per read: the 12 records take several events.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
  });
});

describe('consumer operations', () => {
  it('register, describe, list and deregister through the operations', async () => {
    const dir = await tempDir('hydrant-efo-ops');
    const consumers = await ConsumerRegistry.open({ dir: `${dir.path}/efo`, accountId: ACCOUNT, region: 'us-east-1', createDelayMs: 0, deleteDelayMs: 60_000 });
    const streams = await KinesisStreams.open({ dataDir: dir.path, region: 'us-east-1', accountId: ACCOUNT, logger: quiet, fsync: false, createDelayMs: 0, consumers });
    try {
      const ops = efoOperations(streams, consumers);
      const ctx = { requestId: 'r', protocol: 'json' as const };
      await streams.create({ StreamName: 's1', ShardCount: 1 });
      const s = await waitFor(() => (streams.find('s1')?.status === 'ACTIVE' ? streams.find('s1') : undefined));
      const reg = await ops.RegisterStreamConsumer({ StreamARN: s.arn, ConsumerName: 'c1', Tags: { team: 'data' } }, ctx) as { Consumer: { ConsumerARN: string } };
      const desc = await ops.DescribeStreamConsumer({ StreamARN: s.arn, ConsumerName: 'c1' }, ctx) as { ConsumerDescription: Record<string, unknown> };
      expect(desc.ConsumerDescription).toMatchObject({ ConsumerARN: reg.Consumer.ConsumerARN, StreamARN: s.arn, ConsumerStatus: 'ACTIVE' });
      const list = await ops.ListStreamConsumers({ StreamARN: s.arn, StreamCreationTimestamp: s.createdAt / 1000 }, ctx) as { Consumers: { ConsumerName: string }[] };
      expect(list.Consumers.map((c) => c.ConsumerName)).toEqual(['c1']);
      expect((await awsFailure(Promise.resolve().then(() => ops.ListStreamConsumers({ StreamARN: s.arn, StreamCreationTimestamp: 1 }, ctx)))).type).toBe('ResourceNotFoundException');
      const missing = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/nope`;
      expect(await awsFailure(Promise.resolve().then(() => ops.RegisterStreamConsumer({ StreamARN: missing, ConsumerName: 'c' }, ctx)))).toEqual({
        type: 'ResourceNotFoundException', message: `Stream nope under account ${ACCOUNT} not found.`,
      });
      expect((await awsFailure(Promise.resolve().then(() => ops.DescribeStreamConsumer({ StreamARN: missing, ConsumerName: 'c1' }, ctx)))).type).toBe('ResourceNotFoundException');
      expect(await awsFailure(Promise.resolve().then(() => ops.RegisterStreamConsumer({ StreamARN: s.arn, ConsumerName: 'c2', Tags: { 'bad#': 'x' } }, ctx)))).toMatchObject({ type: 'InvalidArgumentException' });
      expect(consumers.count(s.arn)).toBe(1);
      // DeleteStream refuses while consumers are registered.
      expect((await awsFailure(streams.delete({ StreamName: 's1' }))).type).toBe('ResourceInUseException');
      expect(await ops.DeregisterStreamConsumer({ ConsumerARN: reg.Consumer.ConsumerARN }, ctx)).toBeUndefined();
      expect((await ops.DescribeStreamConsumer({ ConsumerARN: reg.Consumer.ConsumerARN }, ctx) as { ConsumerDescription: { ConsumerStatus: string } }).ConsumerDescription.ConsumerStatus).toBe('DELETING');
    } finally {
      await streams.close();
      await consumers.close();
      await dir.remove();
    }
  });
});
