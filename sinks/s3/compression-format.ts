/**
 * `CompressionFormat` values and what they imply for an S3 object: the default file extension
 * and the Content-Encoding header (reference §7.5).
 */

/** Firehose's enum, with AWS's mixed casing (`Snappy`), plus Hydrant's `ZSTD` (Zstandard; not an AWS value). */
export type CompressionFormat = 'UNCOMPRESSED' | 'GZIP' | 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY' | 'ZSTD';

export const COMPRESSION_FORMATS: readonly CompressionFormat[] = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY', 'ZSTD'];

const DEFAULT_EXTENSION: Record<CompressionFormat, string> = {
  UNCOMPRESSED: '',
  GZIP: '.gz',
  ZIP: '.zip',
  Snappy: '.snappy',
  // AWS's table says .hsnappy; one emulator that probed AWS reports .snappy (reference §7.5).
  HADOOP_SNAPPY: '.hsnappy',
  ZSTD: '.zst',
};

export function isCompressionFormat(v: unknown): v is CompressionFormat {
  return typeof v === 'string' && (COMPRESSION_FORMATS as readonly string[]).includes(v);
}

/**
 * The object-name extension: a non-empty `FileExtension` replaces (is not appended to) the
 * default, which is `.parquet` for objects converted to Parquet (their compression is inside the
 * file) and otherwise the compression format's. Absent format = UNCOMPRESSED.
 */
export function extensionFor(format: CompressionFormat | undefined, fileExtension?: string | null, converted?: 'parquet'): string {
  if (fileExtension) return fileExtension;
  if (converted === 'parquet') return '.parquet';
  return DEFAULT_EXTENSION[format ?? 'UNCOMPRESSED'];
}

/**
 * Content-Encoding header for delivered objects: `gzip` for GZIP (as Firehose), `zstd` (the
 * registered HTTP coding) for ZSTD, none otherwise — ZIP and the Snappy formats are containers,
 * not HTTP content codings.
 */
export function contentEncodingFor(format: CompressionFormat | undefined): string | undefined {
  if (format === 'GZIP') return 'gzip';
  if (format === 'ZSTD') return 'zstd';
  return undefined;
}

/** Content-Type Firehose writes for every object. */
export const OBJECT_CONTENT_TYPE = 'application/octet-stream';

export const MAX_FILE_EXTENSION_LENGTH = 128;
/** The API model's pattern for FileExtension (empty = not set). */
export const FILE_EXTENSION_PATTERN = /^$|^\.[0-9a-z!\-_.*'()]+$/;

/**
 * Checks `FileExtension` (§7.5): empty, or a `.` followed by `[0-9a-z!-_.*'()]` characters (the
 * dash is literal), at most 128 characters. Returns a message naming the field, or null.
 */
export function validateFileExtension(fileExtension: string | null | undefined): string | null {
  if (fileExtension === undefined || fileExtension === null || fileExtension === '') return null;
  if (fileExtension.length > MAX_FILE_EXTENSION_LENGTH) {
    return `FileExtension '${fileExtension}' is longer than ${MAX_FILE_EXTENSION_LENGTH} characters`;
  }
  if (!FILE_EXTENSION_PATTERN.test(fileExtension)) {
    return `FileExtension '${fileExtension}' is invalid: it must start with '.' and contain only lowercase letters, digits and the characters !-_.*'()`;
  }
  return null;
}
