import { AwsError, invalidArgument, limitExceeded, resourceInUse, resourceNotFound } from '../../core/aws-error.js';

/** Kinesis error texts, as AWS words them (see the Kinesis reference, §4 and §7). */
export const kinesisErrors = {
  streamNotFound: (name: string, account: string) => resourceNotFound(`Stream ${name} under account ${account} not found.`),
  streamExists: (name: string, account: string) => resourceInUse(`Stream ${name} under account ${account} already exists.`),
  notActive: (name: string, account: string, status: string) => resourceInUse(`Stream ${name} under account ${account} not ACTIVE, instead in state ${status}`),
  shardNotFound: (shardId: string, name: string, account: string) => resourceNotFound(`Shard ${shardId} in stream ${name} under account ${account} does not exist`),
  couldNotFindShard: (raw: string, name: string, account: string) => resourceNotFound(`Could not find shard ${raw} in stream ${name} under account ${account}.`),
  shardLimit: (account: string, region: string, current: number, limit: number, extra: number) => limitExceeded(
    `This request would exceed the shard limit for the account ${account} in ${region}. Current shard count for the account: ${current}. Limit: ${limit}. ` +
    `Number of additional shards that would have resulted from this request: ${extra}. Refer to the AWS Service Limits page ` +
    '(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.'),
  explicitHashKey: (value: string) => invalidArgument(`Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${value}`),
  orderingKey: (value: string, name: string, account: string) => invalidArgument(`ExclusiveMinimumSequenceNumber ${value} used in PutRecord on stream ${name} under account ${account} is invalid.`),
  writeThrottled: (shardId: string, name: string, account: string) => new AwsError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${shardId} in stream ${name} under account ${account}.`),
  readThrottled: (shardId: string, name: string, account: string) => new AwsError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${shardId} in stream ${name} under account ${account}.`),
  recordTooLarge: (size: number, max: number) => invalidArgument(`Record size ${size} bytes (data plus partition key) exceeds the stream's maximum record size of ${max} bytes.`),
  invalidIterator: () => invalidArgument('Invalid ShardIterator.'),
  iteratorTypeNeedsSequence: (type: string, given: boolean) => invalidArgument(
    'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. ' +
    `Request specified ${type} and ${given ? 'also a' : 'no'} StartingSequenceNumber.`),
  timestampMissing: () => invalidArgument('Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.'),
  timestampInFuture: (ms: number, now: number) => invalidArgument(`The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${ms}, currentTimestampInMillis: ${now}`),
  sequenceOtherShard: (encoded: string, shardId: string) => invalidArgument(`Invalid StartingSequenceNumber. It encodes ${encoded}, while it was used in a call to a shard with ${shardId}`),
  sequenceInvalid: (seq: string, shardId: string, name: string, account: string, foreign = false) => invalidArgument(
    `StartingSequenceNumber ${seq} used in GetShardIterator on shard ${shardId} in stream ${name} under account ${account} is invalid${foreign ? ' because it did not come from this stream' : ''}.`),
  splitKey: (key: string, shardId: string, name: string, account: string, start: string, end: string) => invalidArgument(
    `NewStartingHashKey ${key} used in SplitShard() on shard ${shardId} in stream ${name} under account ${account} is not both greater than one plus the shard's StartingHashKey ${start} and less than the shard's EndingHashKey ${end}.`),
  notAdjacent: (a: string, b: string, name: string, account: string) => invalidArgument(`Shards ${a} and ${b} in stream ${name} under account ${account} are not an adjacent pair of shards eligible for merging`),
  retentionTooShort: (h: number) => invalidArgument(`Minimum allowed retention period is 24 hours. Requested retention period (${h} hours) is too short.`),
  retentionTooLong: (h: number) => invalidArgument(`Maximum allowed retention period is 8760 hours. Requested retention period (${h} hours) is too long.`),
  retentionNotLonger: (h: number, name: string, cur: number) => invalidArgument(`Requested retention period (${h} hours) for stream ${name} can not be shorter than existing retention period (${cur} hours). Use DecreaseRetentionPeriod API.`),
  retentionNotShorter: (h: number, name: string, cur: number) => invalidArgument(`Requested retention period (${h} hours) for stream ${name} can not be longer than existing retention period (${cur} hours). Use IncreaseRetentionPeriod API.`),
  tagChars: () => invalidArgument('Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.'),
  tooManyTags: (name: string, account: string) => invalidArgument(`Failed to add tags to stream ${name} under account ${account} because a given stream cannot have more than 50 tags associated with it.`),
  provisionedOnly: (op: string, name: string, account: string) => invalidArgument(`${op} is not supported for stream ${name} under account ${account} in ON_DEMAND capacity mode.`),
};
