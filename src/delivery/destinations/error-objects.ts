/**
 * Objects of failed-record documents written by delivery itself (transform failures,
 * `activePartitionExceeded`): one object per batch and error output type, under the error prefix
 * of the S3 configuration that takes failed records (the destination's own bucket for S3, the
 * intermediate bucket for Redshift, the backup bucket for the other destinations). The key
 * derives from the batch identity and the type, so a batch processed again after a crash
 * overwrites its error object instead of adding a second one.
 */
import type { S3DestinationConfiguration } from '../../core/s3-configuration.js';
import { resolveS3Configuration } from '../../backup/backup-config.js';
import { compress, type CompressionFormat } from '../../../sinks/s3/compress.js';
import { batchObjectId, evaluateErrorPrefix, extensionFor, objectKey, seededRandomStrings } from '../../../sinks/s3/key-layout.js';
import { bucketFromArn } from '../../../sinks/s3/object-store.js';
import type { ObjectTarget } from './object-writer.js';

/** Where failed records of a delivery stream go, and the stream's VersionId (part of object names). */
export interface ErrorOutputLocation {
  config: S3DestinationConfiguration & { CustomTimeZone?: string };
  version: number;
}

/** One failed-record document and the arrival time of its record. */
export interface ErrorDocument {
  doc: object;
  arrivedAt: number;
}

/** An error object ready to put. */
export interface ErrorObject {
  errorOutputType: string;
  target: ObjectTarget;
  body: Buffer[];
  records: number;
}

/** The error object of one batch for one error output type: key fixed by (batch, type), JSON Lines body compressed as the bucket's configuration says. */
export async function errorObject(streamName: string, location: ErrorOutputLocation, batchId: string, errorOutputType: string, docs: readonly ErrorDocument[]): Promise<ErrorObject> {
  const cfg = resolveS3Configuration(location.config);
  const compression = cfg.CompressionFormat as CompressionFormat;
  const identity = `${batchId}\0${errorOutputType}`;
  let oldest = Infinity;
  for (const d of docs) if (d.arrivedAt < oldest) oldest = d.arrivedAt;
  const timeZone = location.config.CustomTimeZone;
  const prefix = evaluateErrorPrefix(cfg.Prefix, cfg.ErrorOutputPrefix, { arrivalMs: oldest, timeZone, random: seededRandomStrings(identity), errorOutputType });
  const key = objectKey({ prefix, streamName, version: location.version, arrivalMs: oldest, timeZone, id: batchObjectId(identity), extension: extensionFor(compression) });
  const lines = docs.map((d) => Buffer.from(`${JSON.stringify(d.doc)}\n`));
  const body = compression === 'UNCOMPRESSED' ? [Buffer.concat(lines)] : await compress(compression, lines);
  return {
    errorOutputType,
    target: { bucket: bucketFromArn(cfg.BucketARN), key, compression, kmsKeyArn: cfg.EncryptionConfiguration.KMSEncryptionConfig?.AWSKMSKeyARN },
    body,
    records: docs.length,
  };
}
