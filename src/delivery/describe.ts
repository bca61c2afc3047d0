import type { DeliveryStreamDefinition } from './catalog.js';
import { resolveS3Destination } from './destinations/s3-config.js';

/** `DeliveryStreamDescription` as AWS returns it: every default filled, epoch-second timestamps. */
export function describeDeliveryStream(def: DeliveryStreamDefinition): Record<string, unknown> {
  const s3 = resolveS3Destination(def.destination.ExtendedS3);
  const legacyMirror = {
    RoleARN: s3.RoleARN,
    BucketARN: s3.BucketARN,
    Prefix: s3.Prefix,
    ...(s3.ErrorOutputPrefix !== undefined ? { ErrorOutputPrefix: s3.ErrorOutputPrefix } : {}),
    BufferingHints: s3.BufferingHints,
    CompressionFormat: s3.CompressionFormat,
    EncryptionConfiguration: s3.EncryptionConfiguration,
    CloudWatchLoggingOptions: s3.CloudWatchLoggingOptions,
  };
  const extended: Record<string, unknown> = { ...legacyMirror, S3BackupMode: s3.S3BackupMode };
  for (const k of ['ProcessingConfiguration', 'DataFormatConversionConfiguration', 'DynamicPartitioningConfiguration', 'FileExtension', 'CustomTimeZone'] as const) {
    if (s3[k] !== undefined) extended[k] = s3[k];
  }
  const description: Record<string, unknown> = {
    DeliveryStreamName: def.name,
    DeliveryStreamARN: def.arn,
    DeliveryStreamStatus: def.status,
    DeliveryStreamEncryptionConfiguration: def.encryption ?? { Status: 'DISABLED' },
    DeliveryStreamType: def.type,
    VersionId: String(def.versionId),
    CreateTimestamp: def.createdAt / 1000,
    Source: def.kinesisSource
      ? {
        KinesisStreamSourceDescription: {
          KinesisStreamARN: def.kinesisSource.KinesisStreamARN,
          RoleARN: def.kinesisSource.RoleARN,
          DeliveryStartTimestamp: def.kinesisSource.deliveryStartedAt / 1000,
        },
      }
      : { DirectPutSourceDescription: def.directPutSource ?? {} },
    Destinations: [{
      DestinationId: def.destinationId,
      S3DestinationDescription: legacyMirror,
      ExtendedS3DestinationDescription: extended,
    }],
    HasMoreDestinations: false,
  };
  if (def.lastUpdatedAt !== undefined) description.LastUpdateTimestamp = def.lastUpdatedAt / 1000;
  return description;
}
