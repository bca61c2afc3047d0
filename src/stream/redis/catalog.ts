import { unavailable } from './connection.js';
import type { RedisBackend } from './backend.js';

/**
 * A catalog of named definitions shared by every node: one hash, name → JSON. Saving replaces a
 * definition whole (one HSET), so a reader sees the old or the new one, never a mix. Nodes learn
 * of other nodes' changes by reading it again (`loadAll`), which is one HGETALL.
 */
export class RedisCatalog<T> {
  private readonly key: string;

  constructor(private readonly backend: RedisBackend, kind: string) {
    this.key = backend.keys.catalog(kind);
  }

  async loadAll(): Promise<Map<string, T>> {
    let raw: Record<string, string>;
    try {
      raw = await this.backend.client.hgetall(this.key);
    } catch (err) {
      throw unavailable(err, `reading the ${this.key} catalog failed`);
    }
    const out = new Map<string, T>();
    for (const [name, json] of Object.entries(raw)) out.set(name, JSON.parse(json) as T);
    return out;
  }

  async save(name: string, def: T): Promise<void> {
    try {
      await this.backend.client.hset(this.key, name, JSON.stringify(def));
    } catch (err) {
      throw unavailable(err, `saving ${name} in the catalog failed`);
    }
  }

  /** Stores `def` only if no definition of that name exists; false when one does. */
  async create(name: string, def: T): Promise<boolean> {
    try {
      return (await this.backend.client.hsetnx(this.key, name, JSON.stringify(def))) === 1;
    } catch (err) {
      throw unavailable(err, `saving ${name} in the catalog failed`);
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.backend.client.hdel(this.key, name);
    } catch (err) {
      throw unavailable(err, `removing ${name} from the catalog failed`);
    }
  }
}
