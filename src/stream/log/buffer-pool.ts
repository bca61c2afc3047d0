/** Reusable read buffers (one per concurrent read), so scans do not allocate chunk buffers. */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly bufferBytes: number, private readonly keep = 4) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bufferBytes);
  }

  give(buf: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buf);
  }

  /** Runs `fn` with a pooled buffer and returns the buffer afterwards. */
  async with<T>(fn: (buf: Buffer) => Promise<T>): Promise<T> {
    const buf = this.take();
    try {
      return await fn(buf);
    } finally {
      this.give(buf);
    }
  }
}
