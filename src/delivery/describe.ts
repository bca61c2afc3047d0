import type { DeliveryStreamDefinition, DestinationDefinition } from './catalog.js';
import { resolveS3Destination, type ExtendedS3DestinationConfiguration } from './destinations/s3-config.js';
import { describeS3Configuration, resolveS3Configuration } from '../backup/backup-config.js';
import { describeRedshiftDestination } from '../../sinks/redshift/config.js';
import { describeSinkDestination } from './destinations/sink-kinds.js';

/** The members of a `DestinationDescription` besides `DestinationId`. */
function describeDestination(d: DestinationDefinition): Record<string, unknown> {
  if (d.Redshift) return { RedshiftDestinationDescription: describeRedshiftDestination(d.Redshift) };
  if (d.sink) return describeSinkDestination(d.sink);
  return describeS3(d.ExtendedS3!);
}

/** An S3 destination: the extended description and AWS's legacy-shaped mirror of it. */
function describeS3(cfg: ExtendedS3DestinationConfiguration): Record<string, unknown> {
  const s3 = resolveS3Destination(cfg);
  const legacyMirror = describeS3Configuration(s3);
  const extended: Record<string, unknown> = { ...legacyMirror, S3BackupMode: s3.S3BackupMode };
  for (const k of ['ProcessingConfiguration', 'DataFormatConversionConfiguration', 'DynamicPartitioningConfiguration', 'FileExtension', 'CustomTimeZone'] as const) {
    if (s3[k] !== undefined) extended[k] = s3[k];
  }
  if (s3.S3BackupConfiguration) extended.S3BackupDescription = describeS3Configuration(resolveS3Configuration(s3.S3BackupConfiguration));
  return { S3DestinationDescription: legacyMirror, ExtendedS3DestinationDescription: extended };
}

/** `DeliveryStreamDescription` as AWS returns it: every default filled, epoch-second timestamps. */
export function describeDeliveryStream(def: DeliveryStreamDefinition): Record<string, unknown> {
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
    Destinations: [{ DestinationId: def.destinationId, ...describeDestination(def.destination) }],
    HasMoreDestinations: false,
  };
  if (def.lastUpdatedAt !== undefined) description.LastUpdateTimestamp = def.lastUpdatedAt / 1000;
  return description;
}
