/** What `compress` sends the codec worker and gets back (shared by both sides; types only). */
import type { ZipOptions } from './zip.js';

/** The formats compressed in the codec worker (GZIP uses node:zlib's thread pool directly). */
export type WorkerCodec = 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY' | 'ZSTD';

export interface CodecTask {
  format: WorkerCodec;
  /** The whole object body (moved to the worker, not copied). */
  data: Uint8Array;
  zip?: ZipOptions;
  /** ZSTD level (1–19). */
  zstdLevel?: number;
}
