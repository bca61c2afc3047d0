/**
 * Small buffers carved out of 1 MiB slabs instead of Node's 8 KiB pool. On the hot paths
 * (decoding 500 base64 records per request, copying records out of a read chunk) the 8 KiB pool is
 * replaced every few records, and that allocation churn measured as the biggest single cost after
 * JSON.parse. A view keeps its slab alive until every view into it is gone; records are created
 * and released together (a request, a batch), so that costs little.
 */
export class SlabAllocator {
  private slab = Buffer.allocUnsafeSlow(0);
  private offset = 0;

  constructor(private readonly slabBytes = 1024 * 1024, private readonly maxPiece = 64 * 1024) {}

  alloc(n: number): Buffer {
    if (n > this.maxPiece) return Buffer.allocUnsafe(n);
    if (this.offset + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.offset = 0;
    }
    const out = this.slab.subarray(this.offset, this.offset + n);
    this.offset = (this.offset + n + 7) & ~7;
    return out;
  }
}
