import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBackend, type RedisBackendOptions } from '../../src/stream/redis/backend.js';

/** The shared test Redis (started by scripts/services.sh); never stopped or flushed by tests. */
export const REDIS_URL = process.env.HYDRANT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function uniquePrefix(label = 'test'): string {
  return `hydrant-${label}-${randomUUID().slice(0, 8)}`;
}

/** Calls `visit` with each batch of keys of a prefix (keys are `<prefix>:…` or `{<prefix>:…}…`). */
async function scanPrefix(prefix: string, url: string, visit: (admin: Redis, keys: string[]) => Promise<void>): Promise<void> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await visit(admin, keys);
      } while (cursor !== '0');
    }
  } finally {
    admin.disconnect();
  }
}

/** Deletes every key of a prefix; answers how many there were. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<number> {
  let n = 0;
  await scanPrefix(prefix, url, async (admin, keys) => { n += await admin.del(...keys); });
  return n;
}

/** Counts the keys of a prefix. */
export async function countPrefix(prefix: string, url = REDIS_URL): Promise<number> {
  let n = 0;
  await scanPrefix(prefix, url, async (_admin, keys) => { n += keys.length; });
  return n;
}

/** A backend on the test Redis under a fresh prefix (or the given one). */
export function testBackend(opts: RedisBackendOptions = {}): Promise<RedisBackend> {
  return RedisBackend.connect({ url: REDIS_URL, keyPrefix: opts.keyPrefix ?? uniquePrefix(), ...opts });
}
