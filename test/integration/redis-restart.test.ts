import { afterEach, describe, expect, it } from 'vitest';
import type { AppendedRange } from '../../src/core/record.js';
import { LogUnavailableError } from '../../src/stream/log/index.js';
import { RedisBackend } from '../../src/stream/redis/backend.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { waitFor } from '../helpers/util.js';

describe('Redis killed and restarted under load (AOF appendfsync always)', () => {
  let redis: PrivateRedis | undefined;
  let backend: RedisBackend | undefined;
  afterEach(async () => {
    await backend?.close();
    await redis?.stop();
  });

  it('producers get retryable errors while it is down, and every acknowledged record is there after', async () => {
    redis = await startPrivateRedis();
    backend = await RedisBackend.connect({ url: redis.url, keyPrefix: 'restart', commandTimeoutMs: 2_000 });
    const log = await backend.openShardLog('s', 'shardId-000000000000');
    const acked: { range: AppendedRange; tag: string }[] = [];
    const errors: unknown[] = [];
    let stop = false;
    let sent = 0;
    const producer = async (p: number) => {
      for (let k = 0; !stop; k++) {
        const tag = `p${p}-${k}`;
        sent++;
        try {
          const range = await log.appendBatch(Array.from({ length: 20 }, (_, i) => ({ partitionKey: tag, data: Buffer.from(`${tag}-${i}`) })));
          acked.push({ range, tag });
        } catch (err) {
          errors.push(err);
          await new Promise((r) => setTimeout(r, 20)); // a producer's retry backoff
        }
      }
    };
    const producers = Array.from({ length: 4 }, (_, p) => producer(p));
    await waitFor(() => acked.length >= 50);
    await redis.kill();
    await waitFor(() => errors.length >= 4);
    const ackedBeforeRestart = acked.length;
    await redis.start();
    await waitFor(() => acked.length >= ackedBeforeRestart + 50, 30_000);
    stop = true;
    await Promise.all(producers);

    expect(errors.every((e) => LogUnavailableError.isInstance(e))).toBe(true);
    const records = [];
    for (let pos = 0; ;) {
      const part = await log.read(pos);
      if (part.length === 0) break;
      records.push(...part);
      pos = part[part.length - 1].position + 1;
    }
    // Positions stay contiguous across the restart (the position counter is in the AOF too).
    expect(records.map((r) => r.position)).toEqual(records.map((_, i) => i));
    // Every acknowledged append is there, whole, at the positions it was told.
    for (const { range, tag } of acked) {
      for (let i = 0; i < range.count; i++) {
        expect(records[range.first + i].data.toString()).toBe(`${tag}-${i}`);
      }
    }
    // Unacknowledged appends are whole or absent: no append is cut in two.
    const perTag = new Map<string, number>();
    for (const r of records) perTag.set(r.partitionKey, (perTag.get(r.partitionKey) ?? 0) + 1);
    expect([...perTag.values()].every((n) => n === 20)).toBe(true);
    expect(sent).toBeGreaterThan(acked.length);
  });
});
