import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogUnavailableError } from '../../src/stream/log/index.js';
import { RedisBackend } from '../../src/stream/redis/backend.js';
import type { RedisShardLog } from '../../src/stream/redis/shard-log.js';
import { deletePrefix, REDIS_URL, testBackend, uniquePrefix } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/util.js';

const recs = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ partitionKey: `${tag}-${i}`, data: Buffer.alloc(64, i) }));

describe('Redis unreachable', () => {
  let prefix: string;
  let proxy: TcpProxy;
  let node: RedisBackend;
  let direct: RedisBackend;
  let log: RedisShardLog;
  let truth: RedisShardLog;
  beforeEach(async () => {
    prefix = uniquePrefix('fault');
    const target = new URL(REDIS_URL);
    proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
    node = await RedisBackend.connect({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix, commandTimeoutMs: 2_000, watch: { blockMs: 500 } });
    // A second client that always reaches Redis: what is really stored.
    direct = await testBackend({ keyPrefix: prefix });
    log = await node.openShardLog('s', 'shardId-000000000000');
    truth = await direct.openShardLog('s', 'shardId-000000000000');
  });
  afterEach(async () => {
    await node.close();
    await direct.close();
    await proxy.stop();
    await deletePrefix(prefix);
  });

  it('appends and reads fail with a retryable error, store nothing, and work again once Redis is back', async () => {
    await log.appendBatch(recs(3, 'before'));
    proxy.setDown(true);
    const failures = await Promise.all([log.appendBatch(recs(100, 'during')), log.read(0), log.positions()].map((p) => p.then(() => undefined, (e: unknown) => e)));
    for (const err of failures) {
      expect(LogUnavailableError.isInstance(err)).toBe(true);
      expect((err as LogUnavailableError).retryable).toBe(true);
    }
    expect((await truth.positions()).next).toBe(3);

    proxy.setDown(false);
    const range = await waitFor(() => log.appendBatch(recs(2, 'after')).catch(() => undefined), 20_000, 100);
    expect(range.first).toBe(3);
    expect((await truth.read(0)).map((r) => r.partitionKey)).toEqual(['before-0', 'before-1', 'before-2', 'after-0', 'after-1']);
  });

  it('a reader waiting for records stays parked through the outage and wakes on the next record', async () => {
    await log.appendBatch(recs(1, 'before'));
    let woke = false;
    const waiting = log.waitForData(1).then(() => { woke = true; });
    proxy.setDown(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(woke).toBe(false);
    proxy.setDown(false);
    await truth.appendBatch(recs(1, 'from-another-node'));
    await waiting;
    expect(woke).toBe(true);
  });

  it('a node that cannot reach Redis at start fails with the same retryable error', async () => {
    proxy.setDown(true);
    const err = await RedisBackend.connect({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix, connectTimeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(LogUnavailableError.isInstance(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('WAITAOF', () => {
  it('is used when the server has it (Redis 7.2+) and refused with a clear message when it does not', async () => {
    const probe = await testBackend();
    const version = /redis_version:(\S+)/.exec(await probe.client.info('server'))![1];
    await probe.close();
    const [major, minor] = version.split('.').map(Number);
    const prefix = uniquePrefix('waitaof');
    try {
      if (major > 7 || (major === 7 && minor >= 2)) {
        const b = await testBackend({ keyPrefix: prefix, waitAof: { local: 0, replicas: 0 } });
        const log = await b.openShardLog('s', 'shardId-000000000000');
        expect((await log.appendBatch(recs(2, 'x'))).count).toBe(2);
        await b.close();
      } else {
        await expect(testBackend({ keyPrefix: prefix, waitAof: { local: 1, replicas: 0 } })).rejects.toThrow(/waitAof needs Redis 7\.2 or newer.*appendfsync always/);
      }
    } finally {
      await deletePrefix(prefix);
    }
  });
});
