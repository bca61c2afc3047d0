import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestHydrant, tempDir } from '../helpers/hydrant.js';

const run = promisify(execFile);

type Json = Record<string, unknown>;
interface CliRecord { SequenceNumber: string; PartitionKey: string; Data: string; ApproximateArrivalTimestamp: number }
interface CliShard { ShardId: string; ParentShardId?: string; AdjacentParentShardId?: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange: { StartingSequenceNumber: string; EndingSequenceNumber?: string } }

const HALF = 1n << 127n;
const MAX_KEY = (1n << 128n) - 1n;

/**
 * The Kinesis Data Streams walk-through with the real AWS CLI (v1 on these machines: JSON 1.1 over
 * HTTP/1.1, blobs base64-encoded by botocore on the way in and printed as base64 on the way out).
 * Calls that do not depend on each other run in parallel to keep the test short.
 */
describe('AWS CLI: aws kinesis', () => {
  let node: Awaited<ReturnType<typeof startTestHydrant>>;
  let files: Awaited<ReturnType<typeof tempDir>>;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'any', AWS_SECRET_ACCESS_KEY: 'any', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_KINESIS: '' };
  const aws = async (...args: string[]): Promise<Json> => {
    const { stdout } = await run('aws', ['kinesis', ...args, '--endpoint-url', node.endpoint, '--output', 'json'], { env, timeout: 60_000 });
    return stdout.trim() === '' ? {} : JSON.parse(stdout) as Json;
  };
  const listShards = async (...extra: string[]) => (await aws('list-shards', '--stream-name', 'events', ...extra)).Shards as CliShard[];
  /** A shard's records from TRIM_HORIZON: the few records of this test come in one page. */
  const readShard = async (shardId: string) => {
    const it = (await aws('get-shard-iterator', '--stream-name', 'events', '--shard-id', shardId, '--shard-iterator-type', 'TRIM_HORIZON')).ShardIterator as string;
    const page = await aws('get-records', '--shard-iterator', it);
    return {
      records: page.Records as CliRecord[],
      next: page.NextShardIterator as string | undefined,
      childShards: (page.ChildShards as { ShardId: string }[] | undefined)?.map((c) => c.ShardId),
    };
  };

  beforeAll(async () => {
    // Short state transitions: the CLI's waiters poll DescribeStream every 10 s; with these the
    // stream is ACTIVE before a waiter's first look (the CLI's own start-up takes longer).
    node = await startTestHydrant({ kinesis: { createDelayMs: 100, updateDelayMs: 100, deleteDelayMs: 100, shardLimits: false } });
    files = await tempDir();
  });
  afterAll(async () => {
    await node?.stop();
    await files?.remove();
  });

  it('creates a stream, writes and reads records byte for byte, tags, retains, reshards and deletes it', async () => {
    const [, missing] = await Promise.all([
      aws('create-stream', '--stream-name', 'events', '--shard-count', '2'),
      // The error case: exit status 255 and AWS's wording on stderr.
      run('aws', ['kinesis', 'describe-stream', '--stream-name', 'nope', '--endpoint-url', node.endpoint], { env, timeout: 60_000 })
        .then(() => undefined, (e: { code: number; stderr: string }) => e),
    ]);
    expect(missing?.code).toBe(255);
    expect(missing?.stderr).toContain('An error occurred (ResourceNotFoundException) when calling the DescribeStream operation: Stream nope under account 000000000000 not found.');

    await aws('wait', 'stream-exists', '--stream-name', 'events');
    const summary = (await aws('describe-stream-summary', '--stream-name', 'events')).StreamDescriptionSummary as Json;
    expect(summary).toMatchObject({ StreamName: 'events', StreamStatus: 'ACTIVE', OpenShardCount: 2, RetentionPeriodHours: 24, StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events' });

    // --data as text: the CLI sends the string's UTF-8 bytes; fileb:// sends a file's raw bytes.
    const text = 'hello wörld ✓ {"a":1}';
    const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256));
    await writeFile(join(files.path, 'binary.dat'), binary);
    const [putText, putBinary, batch, , , limits] = await Promise.all([
      aws('put-record', '--stream-name', 'events', '--partition-key', 'user-1', '--data', text),
      aws('put-record', '--stream-name', 'events', '--partition-key', 'user-2', '--data', `fileb://${join(files.path, 'binary.dat')}`),
      aws('put-records', '--stream-name', 'events', '--records', JSON.stringify([
        { PartitionKey: 'low', ExplicitHashKey: '0', Data: 'first' },
        { PartitionKey: 'high', ExplicitHashKey: MAX_KEY.toString(), Data: 'second' },
        { PartitionKey: 'user-1', Data: 'third' },
      ])),
      aws('add-tags-to-stream', '--stream-name', 'events', '--tags', 'team=data,env=test'),
      aws('increase-stream-retention-period', '--stream-name', 'events', '--retention-period-hours', '48'),
      aws('describe-limits'),
    ]);
    expect(putText.SequenceNumber).toMatch(/^\d{56}$/);
    expect(putBinary.SequenceNumber).toMatch(/^\d{56}$/);
    expect(batch.FailedRecordCount).toBe(0);
    const batchRecords = batch.Records as { ShardId: string; SequenceNumber: string }[];
    expect(batchRecords.map((r) => r.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', putText.ShardId]);
    expect(limits).toEqual({ ShardLimit: 500, OpenShardCount: 2, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50 });

    const [shard0, shard1, shards, tags, afterIncrease] = await Promise.all([
      readShard('shardId-000000000000'),
      readShard('shardId-000000000001'),
      listShards(),
      aws('list-tags-for-stream', '--stream-name', 'events'),
      aws('describe-stream-summary', '--stream-name', 'events'),
    ]);
    const sent = new Map<string, { key: string; data: Buffer }>([
      [putText.SequenceNumber as string, { key: 'user-1', data: Buffer.from(text, 'utf8') }],
      [putBinary.SequenceNumber as string, { key: 'user-2', data: binary }],
      [batchRecords[0].SequenceNumber, { key: 'low', data: Buffer.from('first') }],
      [batchRecords[1].SequenceNumber, { key: 'high', data: Buffer.from('second') }],
      [batchRecords[2].SequenceNumber, { key: 'user-1', data: Buffer.from('third') }],
    ]);
    const received = [...shard0.records, ...shard1.records];
    expect(received).toHaveLength(sent.size);
    for (const r of received) {
      const expected = sent.get(r.SequenceNumber);
      expect(expected, r.SequenceNumber).toBeDefined();
      expect(r.PartitionKey).toBe(expected!.key);
      expect(Buffer.from(r.Data, 'base64').equals(expected!.data), `data of ${r.PartitionKey}`).toBe(true);
      expect(Math.abs(r.ApproximateArrivalTimestamp * 1000 - Date.now())).toBeLessThan(60_000);
    }
    expect(shard0.next).toMatch(/\S/); // open shards go on
    expect(shard0.records.map((r) => r.PartitionKey)).toContain('low');
    expect(shard1.records.map((r) => r.PartitionKey)).toContain('high');
    expect(shards.map((s) => [s.ShardId, s.HashKeyRange])).toEqual([
      ['shardId-000000000000', { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() }],
      ['shardId-000000000001', { StartingHashKey: HALF.toString(), EndingHashKey: MAX_KEY.toString() }],
    ]);
    expect(tags).toEqual({ Tags: [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'data' }], HasMoreTags: false });
    expect((afterIncrease.StreamDescriptionSummary as Json).RetentionPeriodHours).toBe(48);

    await Promise.all([
      aws('remove-tags-from-stream', '--stream-name', 'events', '--tag-keys', 'env'),
      aws('decrease-stream-retention-period', '--stream-name', 'events', '--retention-period-hours', '24'),
    ]);
    const [tagsLeft, afterDecrease] = await Promise.all([
      aws('list-tags-for-stream', '--stream-name', 'events'),
      aws('describe-stream-summary', '--stream-name', 'events'),
    ]);
    expect(tagsLeft).toEqual({ Tags: [{ Key: 'team', Value: 'data' }], HasMoreTags: false });
    expect((afterDecrease.StreamDescriptionSummary as Json).RetentionPeriodHours).toBe(24);

    // Split shard 0 in the middle of its range; the parent is closed and leads to its children.
    const quarter = 1n << 126n;
    await aws('split-shard', '--stream-name', 'events', '--shard-to-split', 'shardId-000000000000', '--new-starting-hash-key', quarter.toString());
    await aws('wait', 'stream-exists', '--stream-name', 'events');
    const [afterSplit, parent] = await Promise.all([listShards(), readShard('shardId-000000000000')]);
    expect(afterSplit.map((s) => [s.ShardId, s.ParentShardId ?? null, s.HashKeyRange.StartingHashKey])).toEqual([
      ['shardId-000000000000', null, '0'],
      ['shardId-000000000001', null, HALF.toString()],
      ['shardId-000000000002', 'shardId-000000000000', '0'],
      ['shardId-000000000003', 'shardId-000000000000', quarter.toString()],
    ]);
    expect(afterSplit[0].SequenceNumberRange.EndingSequenceNumber).toMatch(/^\d+$/);
    expect(parent.records.map((r) => r.SequenceNumber)).toEqual(shard0.records.map((r) => r.SequenceNumber));
    expect(parent.next).toBeUndefined();
    expect(parent.childShards).toEqual(['shardId-000000000002', 'shardId-000000000003']);

    await aws('merge-shards', '--stream-name', 'events', '--shard-to-merge', 'shardId-000000000002', '--adjacent-shard-to-merge', 'shardId-000000000003');
    await aws('wait', 'stream-exists', '--stream-name', 'events');
    const merged = (await listShards()).find((s) => s.ShardId === 'shardId-000000000004');
    expect(merged).toMatchObject({ ParentShardId: 'shardId-000000000002', AdjacentParentShardId: 'shardId-000000000003', HashKeyRange: { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() } });

    const scaled = await aws('update-shard-count', '--stream-name', 'events', '--target-shard-count', '4', '--scaling-type', 'UNIFORM_SCALING');
    expect(scaled).toMatchObject({ StreamName: 'events', CurrentShardCount: 2, TargetShardCount: 4 });
    await aws('wait', 'stream-exists', '--stream-name', 'events');
    const open = await listShards('--shard-filter', 'Type=AT_LATEST');
    expect(open.map((s) => s.HashKeyRange.StartingHashKey)).toEqual(['0', quarter.toString(), (2n * quarter).toString(), (3n * quarter).toString()]);
    expect(open.every((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined)).toBe(true);

    await aws('delete-stream', '--stream-name', 'events');
    await aws('wait', 'stream-not-exists', '--stream-name', 'events');
    expect((await aws('list-streams')).StreamNames).toEqual([]);
  }, 120_000);
});
