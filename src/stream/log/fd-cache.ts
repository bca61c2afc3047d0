import type { LogIo } from './io.js';

/** A read descriptor lent out by `FdCache.acquire`; hand it back with `FdCache.release`. */
export interface FdLease {
  readonly fd: number;
  readonly entry: Entry;
}

interface Entry {
  fd: Promise<number>;
  refs: number;
  /** No longer in the cache (evicted or forgotten): close when the last lease is released. */
  detached: boolean;
}

/**
 * Read-only file descriptors for segment files, shared by concurrent reads and capped with LRU
 * eviction. A descriptor in use is never closed; the cap may be exceeded while all are busy.
 */
export class FdCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly io: LogIo, private readonly capacity = 16) {}

  async acquire(path: string): Promise<FdLease> {
    let entry = this.entries.get(path);
    if (entry) {
      this.entries.delete(path); // re-insert at the most-recently-used end
    } else {
      entry = { fd: this.io.open(path, 'r'), refs: 0, detached: false };
    }
    this.entries.set(path, entry);
    entry.refs++;
    this.evict();
    try {
      return { fd: await entry.fd, entry };
    } catch (err) {
      if (this.entries.get(path) === entry) this.entries.delete(path);
      entry.detached = true;
      entry.refs--;
      throw err;
    }
  }

  release(lease: FdLease): void {
    const e = lease.entry;
    e.refs--;
    if (e.detached && e.refs === 0) this.close(e);
  }

  /** Drops the descriptor of a deleted segment (closed once no read uses it). */
  forget(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    this.detach(e);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) e.detached = true;
    await Promise.all(all.filter((e) => e.refs === 0).map((e) => e.fd.then((fd) => this.io.close(fd), () => undefined)));
  }

  private evict(): void {
    if (this.entries.size <= this.capacity) return;
    for (const [path, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (e.refs > 0) continue;
      this.entries.delete(path);
      this.detach(e);
    }
  }

  private detach(e: Entry): void {
    e.detached = true;
    if (e.refs === 0) this.close(e);
  }

  private close(e: Entry): void {
    e.fd.then((fd) => this.io.close(fd)).catch(() => undefined);
  }
}
