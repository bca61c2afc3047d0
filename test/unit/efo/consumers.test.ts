import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { ConsumerRegistry, type ConsumerRegistryOptions } from '../../../src/stream/efo/consumers.js';
import { tempDir } from '../../helpers/util.js';

const ACCOUNT = '123456789012';
const STREAM = 'orders';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${STREAM}`;
const OTHER_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/other`;

/** The AWS error a call fails with: its type and message. */
async function failure(fn: () => unknown): Promise<{ type: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (AwsError.isInstance(err)) return { type: err.type, message: err.message };
    throw err;
  }
  throw new Error('expected an AWS error');
}

describe('ConsumerRegistry', () => {
  let dir: { path: string; remove(): Promise<void> };
  let clock: number;
  const opts = (extra: Partial<ConsumerRegistryOptions> = {}): ConsumerRegistryOptions =>
    ({ dir: dir.path, accountId: ACCOUNT, region: 'us-east-1', now: () => clock, createDelayMs: 1000, deleteDelayMs: 1000, ...extra });

  beforeEach(async () => {
    dir = await tempDir('hydrant-consumers');
    clock = 1_700_000_000_123;
  });
  afterEach(() => dir.remove());

  it('registers a consumer CREATING, with an ARN holding its creation second, ACTIVE after the delay', async () => {
    const reg = await ConsumerRegistry.open(opts());
    const c = await reg.register(STREAM_ARN, STREAM, 'app-1');
    expect(c).toMatchObject({ ConsumerName: 'app-1', ConsumerStatus: 'CREATING', ConsumerARN: `${STREAM_ARN}/consumer/app-1:1700000000` });
    expect(c.ConsumerCreationTimestamp.ms).toBe(clock);
    expect(JSON.parse(JSON.stringify(c)).ConsumerCreationTimestamp).toBe(1700000000.123);
    clock += 999;
    expect(reg.describe({ ConsumerARN: c.ConsumerARN }).ConsumerStatus).toBe('CREATING');
    clock += 1;
    expect(reg.describe({ ConsumerARN: c.ConsumerARN })).toMatchObject({ ConsumerStatus: 'ACTIVE', StreamARN: STREAM_ARN, ConsumerName: 'app-1' });
    expect(reg.find(c.ConsumerARN)?.status).toBe('ACTIVE');
  });

  it('refuses a name already used on the stream, but not on another stream', async () => {
    const reg = await ConsumerRegistry.open(opts());
    await reg.register(STREAM_ARN, STREAM, 'app');
    expect(await failure(() => reg.register(STREAM_ARN, STREAM, 'app'))).toEqual({
      type: 'ResourceInUseException',
      message: `Consumer app under stream ${STREAM} and account ${ACCOUNT} already exists.`,
    });
    await expect(reg.register(OTHER_ARN, 'other', 'app')).resolves.toMatchObject({ ConsumerName: 'app' });
  });

  it('allows 20 consumers per stream and 5 CREATING at once', async () => {
    const reg = await ConsumerRegistry.open(opts());
    for (let i = 0; i < 5; i++) await reg.register(STREAM_ARN, STREAM, `c${i}`);
    const creating = await failure(() => reg.register(STREAM_ARN, STREAM, 'c5'));
    expect(creating.type).toBe('LimitExceededException');
    expect(creating.message).toMatch(/Only 5 consumers can be in CREATING status/);
    // Also across streams: the CREATING rule is per account.
    expect((await failure(() => reg.register(OTHER_ARN, 'other', 'x'))).type).toBe('LimitExceededException');
    for (let i = 5; i < 20; i++) {
      clock += 1000; // the earlier ones become ACTIVE
      await reg.register(STREAM_ARN, STREAM, `c${i}`);
    }
    clock += 1000;
    expect(reg.count(STREAM_ARN)).toBe(20);
    expect(await failure(() => reg.register(STREAM_ARN, STREAM, 'c20'))).toEqual({
      type: 'LimitExceededException',
      message: `Stream ${STREAM} under account ${ACCOUNT} already has the maximum of 20 registered consumers.`,
    });
    expect(reg.count(STREAM_ARN)).toBe(20);
  });

  it('resolves references by ARN or by stream + name, and refuses missing or mixed ones', async () => {
    const reg = await ConsumerRegistry.open(opts());
    const c = await reg.register(STREAM_ARN, STREAM, 'app');
    expect(reg.describe({ StreamARN: STREAM_ARN, ConsumerName: 'app' }).ConsumerARN).toBe(c.ConsumerARN);
    expect(reg.describe({ ConsumerARN: c.ConsumerARN, StreamARN: STREAM_ARN, ConsumerName: 'app' }).ConsumerName).toBe('app');
    expect(await failure(() => reg.describe({ StreamARN: STREAM_ARN }))).toEqual({
      type: 'InvalidArgumentException', message: 'ConsumerARN or both ConsumerName and StreamARN are required for this request.',
    });
    expect(await failure(() => reg.describe({ ConsumerName: 'app' }))).toMatchObject({ type: 'InvalidArgumentException' });
    expect(await failure(() => reg.describe({ ConsumerARN: c.ConsumerARN, ConsumerName: 'other' }))).toMatchObject({ type: 'InvalidArgumentException' });
    expect(await failure(() => reg.describe({ ConsumerARN: c.ConsumerARN, StreamARN: OTHER_ARN }))).toMatchObject({ type: 'InvalidArgumentException' });
    expect(await failure(() => reg.describe({ StreamARN: STREAM_ARN, ConsumerName: 'nobody' }))).toEqual({
      type: 'ResourceNotFoundException', message: `Consumer nobody under stream ${STREAM} and account ${ACCOUNT} not found.`,
    });
    expect(await failure(() => reg.describe({ ConsumerARN: `${STREAM_ARN}/consumer/app:1` }))).toMatchObject({ type: 'ResourceNotFoundException' });
  });

  it('deregisters: DELETING (name still taken, subscriptions told), then gone', async () => {
    const reg = await ConsumerRegistry.open(opts());
    const c = await reg.register(STREAM_ARN, STREAM, 'app');
    const removed = reg.find(c.ConsumerARN)!.removed;
    clock += 1000;
    await reg.deregister({ StreamARN: STREAM_ARN, ConsumerName: 'app' });
    expect(reg.describe({ ConsumerARN: c.ConsumerARN }).ConsumerStatus).toBe('DELETING');
    expect(removed.aborted).toBe(true);
    expect(AwsError.isInstance(removed.reason) && removed.reason.type).toBe('ResourceInUseException');
    expect((await failure(() => reg.register(STREAM_ARN, STREAM, 'app'))).type).toBe('ResourceInUseException');
    await reg.deregister({ ConsumerARN: c.ConsumerARN }); // again while DELETING: no error
    clock += 1000;
    expect(reg.find(c.ConsumerARN)).toBeUndefined();
    expect(reg.count(STREAM_ARN)).toBe(0);
    expect((await failure(() => reg.deregister({ ConsumerARN: c.ConsumerARN }))).type).toBe('ResourceNotFoundException');
    const again = await reg.register(STREAM_ARN, STREAM, 'app');
    expect(again.ConsumerStatus).toBe('CREATING');
  });

  it('lists a stream\'s consumers oldest first, in pages', async () => {
    const reg = await ConsumerRegistry.open(opts({ maxCreating: 100 }));
    for (let i = 0; i < 7; i++) {
      clock += 10;
      await reg.register(STREAM_ARN, STREAM, `c${i}`);
    }
    await reg.register(OTHER_ARN, 'other', 'elsewhere');
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = reg.list(STREAM_ARN, { MaxResults: 3, NextToken: token });
      names.push(...page.Consumers.map((c) => c.ConsumerName));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(names).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(pages).toBe(3);
    expect(reg.list(STREAM_ARN).Consumers).toHaveLength(7);
    expect(reg.list(STREAM_ARN).NextToken).toBeUndefined();

    const first = reg.list(STREAM_ARN, { MaxResults: 2 });
    expect((await failure(() => reg.list(OTHER_ARN, { NextToken: first.NextToken })))).toMatchObject({ type: 'InvalidArgumentException' });
    expect((await failure(() => reg.list(STREAM_ARN, { NextToken: 'garbage!' })))).toEqual({ type: 'InvalidArgumentException', message: 'Invalid NextToken.' });
    clock += 300_001;
    expect((await failure(() => reg.list(STREAM_ARN, { NextToken: first.NextToken })))).toMatchObject({ type: 'ExpiredNextTokenException' });
  });

  it('persists consumers (atomically) and reads them back after a restart', async () => {
    const reg = await ConsumerRegistry.open(opts());
    const a = await reg.register(STREAM_ARN, STREAM, 'a', { team: 'x' });
    const b = await reg.register(STREAM_ARN, STREAM, 'b');
    await reg.deregister({ ConsumerARN: b.ConsumerARN });
    await reg.tag(a.ConsumerARN, { env: 'test' });
    await reg.close();
    const file = JSON.parse(await readFile(join(dir.path, 'consumers.json'), 'utf8')) as { consumers: { name: string }[] };
    expect(file.consumers.map((c) => c.name).sort()).toEqual(['a', 'b']);

    clock += 500;
    const reopened = await ConsumerRegistry.open(opts());
    expect(reopened.describe({ ConsumerARN: a.ConsumerARN })).toMatchObject({ ConsumerName: 'a', ConsumerStatus: 'CREATING' });
    expect(reopened.tags(a.ConsumerARN)).toEqual({ team: 'x', env: 'test' });
    expect(reopened.describe({ ConsumerARN: b.ConsumerARN }).ConsumerStatus).toBe('DELETING');
    clock += 500;
    expect(reopened.describe({ ConsumerARN: a.ConsumerARN }).ConsumerStatus).toBe('ACTIVE');
    expect(reopened.find(b.ConsumerARN)).toBeUndefined();
    await reopened.untag(a.ConsumerARN, ['team']);
    expect(reopened.tags(a.ConsumerARN)).toEqual({ env: 'test' });
  });

  it('removes every consumer of a deleted stream at once', async () => {
    const reg = await ConsumerRegistry.open(opts());
    const a = await reg.register(STREAM_ARN, STREAM, 'a');
    await reg.register(STREAM_ARN, STREAM, 'b');
    const kept = await reg.register(OTHER_ARN, 'other', 'c');
    const removed = reg.find(a.ConsumerARN)!.removed;
    await reg.deleteAllFor(STREAM_ARN);
    expect(reg.count(STREAM_ARN)).toBe(0);
    expect(removed.aborted).toBe(true);
    expect(reg.find(kept.ConsumerARN)).toBeDefined();
    const reopened = await ConsumerRegistry.open(opts());
    expect(reopened.count(STREAM_ARN)).toBe(0);
    expect(reopened.count(OTHER_ARN)).toBe(1);
  });
});
