import type { ShardLogBackend } from '../log/backend.js';
import type { StreamMeta } from '../log-stream.js';
import type { StreamStorage } from '../storage.js';
import type { RedisBackend } from './backend.js';
import { unavailable } from './connection.js';
import { LuaScript } from './lua-script.js';
import { RedisShardLog } from './shard-log.js';

/*
 * A stream's metadata is one hash, `{<prefix>:<stream>}:meta`: `version` and `meta` (the JSON
 * document). Every change is a compare-and-set on `version` and announces itself on the
 * deployment's metadata channel (the message is the stream's id).
 */

/** ARGV: version, JSON, stream id. 1 when created, 0 when the stream exists. */
const CREATE = new LuaScript('meta-create', 1, `#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'meta', ARGV[2])
return 1
`);

/** ARGV: expected version, new version, JSON. 1 when stored, 0 when the version moved on (or the stream is gone). */
const UPDATE = new LuaScript('meta-update', 1, `#!lua
local v = redis.call('HGET', KEYS[1], 'version')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'meta', ARGV[3])
return 1
`);

/**
 * A `LogStream`'s storage in Redis: the metadata hash above, and a `RedisShardLog` per shard.
 * `id` names the stream in the deployment (callers keep Kinesis streams and the hidden logs of
 * delivery streams apart, e.g. `kinesis/<name>` and `firehose/<name>`).
 *
 * Resharding needs no multi-key transaction: the metadata is one key (the compare-and-set
 * decides between nodes), and each parent is sealed by a script on its own keys; a node that
 * crashes between the two leaves a closed shard without an end, which the next node to look
 * finishes (sealing is idempotent).
 */
export class RedisStreamStorage implements StreamStorage {
  constructor(private readonly backend: RedisBackend, readonly id: string) {}

  private get key(): string {
    return this.backend.keys.streamMeta(this.id);
  }

  async load(): Promise<StreamMeta | undefined> {
    let raw: string | null;
    try {
      raw = await this.backend.client.hget(this.key, 'meta');
    } catch (err) {
      throw unavailable(err, `loading stream ${this.id} failed`);
    }
    return raw === null ? undefined : (JSON.parse(raw) as StreamMeta);
  }

  async create(meta: StreamMeta): Promise<boolean> {
    const created = Number(await this.run(CREATE, [meta.version ?? 1, JSON.stringify(meta)], 'creating')) === 1;
    if (created) await this.announce();
    return created;
  }

  async update(meta: StreamMeta, expectedVersion: number): Promise<boolean> {
    const stored = Number(await this.run(UPDATE, [expectedVersion, meta.version ?? expectedVersion + 1, JSON.stringify(meta)], 'updating')) === 1;
    if (stored) await this.announce();
    return stored;
  }

  openLog(shardId: string): Promise<ShardLogBackend> {
    return this.backend.openShardLog(this.id, shardId);
  }

  seal(shardId: string, log: ShardLogBackend): Promise<number> {
    if (!(log instanceof RedisShardLog)) throw new Error(`shard ${shardId} of ${this.id} is not a Redis log`);
    return log.seal();
  }

  watch(onChange: () => void): () => void {
    return this.backend.metaWatcher.watch(this.id, onChange);
  }

  async destroy(): Promise<void> {
    try {
      await this.backend.client.del(this.key);
    } catch (err) {
      throw unavailable(err, `deleting stream ${this.id} failed`);
    }
    await this.announce();
  }

  /** Tell the other nodes (a lost message is caught by their version poll). */
  private async announce(): Promise<void> {
    await this.backend.client.publish(this.backend.keys.metaChannel, this.id).catch(() => undefined);
  }

  private async run(script: LuaScript, args: (string | number)[], what: string): Promise<unknown> {
    try {
      return await script.run(this.backend.client, [this.key], args);
    } catch (err) {
      throw unavailable(err, `${what} stream ${this.id} failed`);
    }
  }
}
