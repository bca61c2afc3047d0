/**
 * The codec worker thread: compresses one object body per task (ZIP, Snappy framing,
 * HADOOP_SNAPPY, ZSTD) and moves the result back as one buffer.
 */
import { compress as zstdCompress } from 'zstd-napi';
import { serveTasks } from '../../src/util/worker-task.js';
import type { CodecTask } from './codec-task.js';
import { hadoopSnappy } from './hadoop-snappy.js';
import { snappyFrame } from './snappy-framing.js';
import { zipSingle } from './zip.js';

function encode(task: CodecTask): Buffer[] {
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  switch (task.format) {
    case 'ZIP': return zipSingle(data, task.zip);
    case 'Snappy': return snappyFrame(data);
    case 'HADOOP_SNAPPY': return hadoopSnappy(data);
    case 'ZSTD': return [zstdCompress(data, { compressionLevel: task.zstdLevel ?? 3 })];
  }
}

serveTasks((payload) => {
  const parts = encode(payload as CodecTask);
  // One fresh buffer: pooled Buffer memory cannot be moved between threads.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { result: out, transfer: [out.buffer] };
});
