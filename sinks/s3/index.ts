/** S3 sink building blocks: key layout, prefix expressions, object stores, compression, errors. */
export * from './key-layout.js';
export { contentEncodingFor, isCompressionFormat, COMPRESSION_FORMATS, OBJECT_CONTENT_TYPE } from './compression-format.js';
export { compress, closeCodecWorkers, gzipChunks, DEFAULT_GZIP_LEVEL, UnsupportedCompressionError, type CompressOptions } from './compress.js';
export { bucketFromArn, createObjectStore, type CreateObjectStoreOptions, type ObjectStore, type PutObjectInput } from './object-store.js';
export { SdkObjectStore, resolveS3Endpoint, type SdkObjectStoreOptions } from './sdk-store.js';
export { LocalObjectStore, keyToRelativePath, type LocalObjectStoreOptions } from './local-store.js';
export { S3DeliveryError, type S3ErrorClassification, type S3Fault } from './errors.js';
export { classifyS3Error, toS3DeliveryError } from './retry.js';
export { formatJavaPattern, compilePattern, PatternError } from './java-time-pattern.js';
export { isValidTimeZone, zonedFields, type ZonedFields } from './zoned-time.js';
