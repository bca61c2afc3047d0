import { AwsError, invalidArgument } from '../../core/aws-error.js';
import { expiredIteratorMessage } from '../../stream/iterator.js';
import type { KinesisStream, PutEntry } from '../../stream/registry/kinesis-stream.js';
import type { KinesisStreams, StreamRef } from '../../stream/registry/kinesis-streams.js';
import { kinesisErrors } from '../../stream/registry/messages.js';
import type { AwsOperation } from './dispatch.js';
import { getRecordsJson, putRecordsJson } from './records-json.js';

type Input = Record<string, unknown>;

/** AWS's model-style message for a record over the stream's maximum record size. */
function recordTooLarge(path: string, size: number, max: number): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${size} cap=${size}]' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
}

/** Per request: 5 MiB for streams with 1 MiB records, 10 MiB once larger records are enabled. */
function requestLimit(stream: KinesisStream): number {
  return stream.maxRecordBytes > 1024 * 1024 ? 10 * 1024 * 1024 : 5 * 1024 * 1024;
}

/**
 * PutRecords' size rules for a stream (after the model checked counts and key lengths): each
 * record's data and data + partition key within the stream's maximum record size, the whole
 * request within its limit. Throws AWS's errors; shared with the REST ingest route.
 */
export function checkPutRecordsEntries(s: KinesisStream, entries: PutEntry[]): PutEntry[] {
  let total = 0;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k];
    if (e.data.length > s.maxRecordBytes) throw recordTooLarge(`records.${k + 1}.member.data`, e.data.length, s.maxRecordBytes);
    const size = e.data.length + Buffer.byteLength(e.partitionKey);
    if (size > s.maxRecordBytes) throw kinesisErrors.recordTooLarge(size, s.maxRecordBytes);
    total += size;
  }
  const limit = requestLimit(s);
  if (total > limit) throw invalidArgument(`Records size exceeds ${limit / (1024 * 1024)} MB limit`);
  return entries;
}

const ref = (i: Input): StreamRef => ({ StreamName: i.StreamName as string | undefined, StreamARN: i.StreamARN as string | undefined });
/** Operations without an output shape answer 200 with an empty body, as Kinesis does. */
const empty = () => undefined;

/**
 * Kinesis_20131202 operations. Handlers translate between API shapes and the stream registry;
 * the model already validated types and constraints.
 */
export function kinesisOperations(streams: KinesisStreams): Record<string, AwsOperation> {
  const account = streams.accountId;
  const encryption = (s: KinesisStream) => (s.settings.encryption.type === 'KMS' ? { EncryptionType: 'KMS' } : {});
  const resourceArnStream = (arn: string) => {
    const s = streams.byArn(arn);
    if (!s) throw kinesisErrors.streamNotFound(arn.slice(arn.lastIndexOf('/') + 1), account);
    return s;
  };

  return {
    CreateStream: async (i) => {
      await streams.create(i as Parameters<KinesisStreams['create']>[0]);
      return empty();
    },
    DeleteStream: async (i) => {
      await streams.delete({ ...ref(i), EnforceConsumerDeletion: i.EnforceConsumerDeletion as boolean | undefined });
      return empty();
    },
    DescribeStream: (i) => streams.describe({ ...ref(i), Limit: i.Limit as number | undefined, ExclusiveStartShardId: i.ExclusiveStartShardId as string | undefined }),
    DescribeStreamSummary: (i) => streams.describeSummary(ref(i)),
    ListStreams: (i) => streams.list(i as Parameters<KinesisStreams['list']>[0]),
    ListShards: (i) => streams.listShards(i as Parameters<KinesisStreams['listShards']>[0]),
    DescribeLimits: () => streams.describeLimits(),

    PutRecord: async (i) => {
      const s = streams.requireWritable(ref(i));
      const data = i.Data as Buffer;
      const partitionKey = i.PartitionKey as string;
      const size = data.length + Buffer.byteLength(partitionKey);
      if (data.length > s.maxRecordBytes) throw recordTooLarge('data', data.length, s.maxRecordBytes);
      if (size > s.maxRecordBytes) throw kinesisErrors.recordTooLarge(size, s.maxRecordBytes);
      if (i.SequenceNumberForOrdering !== undefined) s.checkOrderingKey(i.SequenceNumberForOrdering as string);
      const { results } = await s.put([{ data, partitionKey, explicitHashKey: i.ExplicitHashKey as string | undefined }]);
      const r = results[0];
      if ('ErrorCode' in r) throw new AwsError(r.ErrorCode, r.ErrorMessage);
      return { ShardId: r.ShardId, SequenceNumber: r.SequenceNumber, ...encryption(s) };
    },

    PutRecords: async (i, ctx) => {
      const s = streams.requireWritable(ref(i));
      const records = i.Records as { Data: Buffer; PartitionKey: string; ExplicitHashKey?: string }[];
      const entries = checkPutRecordsEntries(s, records.map((r) => ({ data: r.Data, partitionKey: r.PartitionKey, explicitHashKey: r.ExplicitHashKey })));
      const { results, failed } = await s.put(entries);
      if (ctx.protocol === 'json') return putRecordsJson(failed, results, s.settings.encryption.type === 'KMS');
      return { FailedRecordCount: failed, Records: results, ...encryption(s) };
    },

    GetShardIterator: async (i) => {
      const s = streams.require(ref(i));
      const shardId = i.ShardId as string;
      if (s.status === 'CREATING' || s.status === 'DELETING') throw kinesisErrors.shardNotFound(shardId, s.name, account);
      const { shard, position } = await s.startPosition(shardId, i.ShardIteratorType as string, i.StartingSequenceNumber as string | undefined, i.Timestamp as number | undefined);
      return {
        ShardIterator: streams.iterators.encode({ streamName: s.name, streamCreatedAt: s.createdAt, shardId: shard.shardId, position, issuedAt: streams.now() }),
      };
    },

    GetRecords: async (i, ctx) => {
      const state = streams.iterators.decode(i.ShardIterator as string);
      if (!state) throw kinesisErrors.invalidIterator();
      const now = streams.now();
      if (now - state.issuedAt > streams.iteratorTtlMs) {
        throw new AwsError('ExpiredIteratorException', expiredIteratorMessage(state.issuedAt, now, streams.iteratorTtlMs));
      }
      const s = streams.find(state.streamName);
      if (!s || s.createdAt !== state.streamCreatedAt || s.status === 'DELETING') throw kinesisErrors.shardNotFound(state.shardId, state.streamName, account);
      if (i.StreamARN !== undefined && i.StreamARN !== s.arn) throw invalidArgument(`StreamARN ${String(i.StreamARN)} does not match the stream of the ShardIterator.`);
      const throttle = s.throttle(state.shardId);
      if (!throttle.admitRead()) throw kinesisErrors.readThrottled(state.shardId, s.name, account);
      const read = await s.read(state.shardId, state.position, { maxRecords: (i.Limit as number | undefined) ?? 10_000 });
      throttle.chargeRead(read.bytes);
      const rest: Record<string, unknown> = { MillisBehindLatest: read.millisBehindLatest };
      if (read.childShards) rest.ChildShards = read.childShards;
      else rest.NextShardIterator = streams.iterators.encode({ ...state, position: read.nextPosition, issuedAt: now });
      // JSON clients get the body written directly (the hot read path); CBOR needs byte strings.
      return ctx.protocol === 'json' ? getRecordsJson(read.records, rest) : { Records: read.records, ...rest };
    },

    SplitShard: async (i) => {
      await streams.split(i as Parameters<KinesisStreams['split']>[0]);
      return empty();
    },
    MergeShards: async (i) => {
      await streams.merge(i as Parameters<KinesisStreams['merge']>[0]);
      return empty();
    },
    UpdateShardCount: (i) => streams.updateShardCount(i as Parameters<KinesisStreams['updateShardCount']>[0]),
    UpdateStreamMode: async (i) => {
      await streams.updateStreamMode(i as Parameters<KinesisStreams['updateStreamMode']>[0]);
      return empty();
    },
    UpdateMaxRecordSize: async (i) => {
      await streams.updateMaxRecordSize(i as Parameters<KinesisStreams['updateMaxRecordSize']>[0]);
      return empty();
    },
    IncreaseStreamRetentionPeriod: async (i) => {
      await streams.setRetention(i as Parameters<KinesisStreams['setRetention']>[0], 'increase');
      return empty();
    },
    DecreaseStreamRetentionPeriod: async (i) => {
      await streams.setRetention(i as Parameters<KinesisStreams['setRetention']>[0], 'decrease');
      return empty();
    },
    StartStreamEncryption: async (i) => {
      await streams.setEncryption(i as Parameters<KinesisStreams['setEncryption']>[0], true);
      return empty();
    },
    StopStreamEncryption: async (i) => {
      await streams.setEncryption(i as Parameters<KinesisStreams['setEncryption']>[0], false);
      return empty();
    },
    EnableEnhancedMonitoring: (i) => streams.setShardLevelMetrics(i as Parameters<KinesisStreams['setShardLevelMetrics']>[0], true),
    DisableEnhancedMonitoring: (i) => streams.setShardLevelMetrics(i as Parameters<KinesisStreams['setShardLevelMetrics']>[0], false),

    AddTagsToStream: async (i) => {
      await streams.addTags(i as Parameters<KinesisStreams['addTags']>[0]);
      return empty();
    },
    RemoveTagsFromStream: async (i) => {
      await streams.removeTags(i as Parameters<KinesisStreams['removeTags']>[0]);
      return empty();
    },
    ListTagsForStream: (i) => streams.listTags(i as Parameters<KinesisStreams['listTags']>[0]),
    TagResource: async (i) => {
      const s = resourceArnStream(i.ResourceARN as string);
      await streams.addTags({ StreamName: s.name, Tags: i.Tags as Record<string, string> });
      return empty();
    },
    UntagResource: async (i) => {
      const s = resourceArnStream(i.ResourceARN as string);
      await streams.removeTags({ StreamName: s.name, TagKeys: i.TagKeys as string[] });
      return empty();
    },
    ListTagsForResource: (i) => {
      const s = resourceArnStream(i.ResourceARN as string);
      return { Tags: Object.entries(s.settings.tags).sort(([a], [b]) => (a < b ? -1 : 1)).map(([Key, Value]) => ({ Key, Value })) };
    },
  };
}
