/** What the format converter sends its worker and gets back (shared by both sides; types only). */
import type { Deserializer, ParquetOptions } from './format-conversion-config.js';
import type { Column } from './json-rows.js';

export interface ConvertTask {
  columns: Column[];
  deserializer: Deserializer;
  serializer: ParquetOptions;
  /** The records, back to back (moved to the worker, not copied). */
  data: Uint8Array;
  /** Record i is data[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array;
}

export interface RecordConversionFailure {
  /** Index of the record in the batch. */
  index: number;
  errorCode: string;
  errorMessage: string;
}

export interface ConvertResult {
  /** The Parquet file; null when no record converted. */
  file: Uint8Array | null;
  rows: number;
  failures: RecordConversionFailure[];
}
