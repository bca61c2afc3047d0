/**
 * Hadoop's Snappy block stream (the `HADOOP_SNAPPY` CompressionFormat; what Hadoop's
 * SnappyCodec / BlockCompressorStream writes and Hive, Spark and Athena read): the input in blocks
 * of 256 KiB (Hadoop's `io.compression.codec.snappy.buffersize` default), each written as its
 * uncompressed length (4 bytes, big-endian), then its compressed length and the raw Snappy block.
 * Synchronous: runs in the codec worker.
 */
import { compressSync } from 'snappy';

/** Hadoop's default Snappy buffer size. */
export const HADOOP_BLOCK_BYTES = 256 * 1024;

export function hadoopSnappy(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += HADOOP_BLOCK_BYTES) {
    const block = data.subarray(at, Math.min(at + HADOOP_BLOCK_BYTES, data.length));
    const compressed = compressSync(block);
    const header = Buffer.allocUnsafe(8);
    header.writeUInt32BE(block.length, 0);
    header.writeUInt32BE(compressed.length, 4);
    out.push(header, compressed);
  }
  return out;
}
