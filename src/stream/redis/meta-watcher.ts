import type { Redis } from 'ioredis';
import { duplicateRedis } from './connection.js';
import type { RedisKeys } from './keys.js';

export interface MetaWatcherOptions {
  /**
   * Also compare every watched stream's metadata version this often, in case a change
   * notification was lost (pub/sub does not queue messages for a disconnected subscriber).
   * @defaultValue 2000
   */
  pollMs?: number;
}

/**
 * Tells a node's streams when another node changed their metadata: pub/sub on the
 * deployment's channel for speed, and a cheap version poll (one HGET per stream) for
 * certainty. Callbacks may fire for changes the node made itself; reloading is idempotent.
 */
export class MetaWatcher {
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly versions = new Map<string, string | null>();
  private subscriber: Promise<Redis | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly pollMs: number;

  constructor(private readonly client: Redis, private readonly keys: RedisKeys, opts: MetaWatcherOptions = {}) {
    this.pollMs = opts.pollMs ?? 2_000;
  }

  /** Calls `onChange` when stream `id` may have changed; returns the unsubscribe. */
  watch(id: string, onChange: () => void): () => void {
    if (this.closed) return () => undefined;
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(onChange);
    this.start();
    return () => {
      set.delete(onChange);
      if (set.size === 0) {
        this.watchers.delete(id);
        this.versions.delete(id);
      }
    };
  }

  private start(): void {
    this.subscriber ??= this.subscribe();
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  private async subscribe(): Promise<Redis | undefined> {
    try {
      // Reconnects resubscribe by themselves (ioredis autoResubscribe); the poll covers the gap.
      const sub = await duplicateRedis(this.client, { commandTimeout: undefined, enableAutoPipelining: false, enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub.on('message', (_channel: string, id: string) => this.fire(id));
      await sub.subscribe(this.keys.metaChannel);
      if (this.closed) sub.disconnect();
      return sub;
    } catch {
      this.subscriber = undefined; // retried at the next watch; the poll works meanwhile
      return undefined;
    }
  }

  private async poll(): Promise<void> {
    const ids = [...this.watchers.keys()];
    if (ids.length === 0) return;
    let versions: (string | null)[];
    try {
      versions = await Promise.all(ids.map((id) => this.client.hget(this.keys.streamMeta(id), 'version')));
    } catch {
      return; // Redis unreachable: try again at the next tick
    }
    ids.forEach((id, i) => {
      if (this.versions.has(id) && this.versions.get(id) !== versions[i]) this.fire(id);
      this.versions.set(id, versions[i]);
    });
    if (!this.subscriber) this.subscriber = this.subscribe();
  }

  private fire(id: string): void {
    for (const cb of this.watchers.get(id) ?? []) cb();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watchers.clear();
    const sub = await this.subscriber;
    sub?.disconnect();
  }
}
