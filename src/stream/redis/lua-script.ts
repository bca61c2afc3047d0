import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The argument types ioredis sends as bulk strings. */
export type RedisArg = string | number | Buffer;

/**
 * One Lua script, run by its SHA1 (EVALSHA) and loaded on first use or after a server restart
 * forgot it (NOSCRIPT). Scripts start with `#!lua`: Redis 7 then refuses one that would write
 * while the server is out of memory before it runs, so a script never stops half-way for OOM,
 * and in a cluster refuses keys it was not given.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly name: string, readonly numberOfKeys: number, readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new RangeError(`script ${this.name} takes ${this.numberOfKeys} keys`);
    try {
      return await client.evalsha(this.sha, this.numberOfKeys, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, this.numberOfKeys, ...keys, ...args);
    }
  }
}

/** Prefix of the errors our scripts raise on purpose (`redis.error_reply`). */
export const SCRIPT_ERROR = 'HYDRANT_';

/** The code of an error a script raised on purpose (`HYDRANT_SHARD_CLOSED` → `SHARD_CLOSED`), else undefined. */
export function scriptErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  // Redis 7.0 puts its generic `ERR ` code before a script's error text; later versions may not.
  const msg = err.message.startsWith('ERR ') ? err.message.slice(4) : err.message;
  if (!msg.startsWith(SCRIPT_ERROR)) return undefined;
  const end = msg.indexOf(' ');
  return msg.slice(SCRIPT_ERROR.length, end < 0 ? undefined : end);
}
