import type { BufferingHints, CloudWatchLoggingOptions, EncryptionConfiguration, S3DestinationConfiguration } from '../../core/s3-configuration.js';
import { mergeMembers, mergeS3Configuration, resolveS3Configuration } from '../../backup/backup-config.js';
import { CONVERSION_DEFAULT_BUFFER_MB } from '../convert/format-conversion-config.js';

export type { BufferingHints, CloudWatchLoggingOptions, EncryptionConfiguration, S3DestinationConfiguration };

/** The parts of Firehose's `ExtendedS3DestinationConfiguration` Hydrant reads (API shapes, PascalCase). */
export interface ExtendedS3DestinationConfiguration extends S3DestinationConfiguration {
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  S3BackupMode?: string;
  S3BackupConfiguration?: S3DestinationConfiguration;
  DataFormatConversionConfiguration?: { Enabled?: boolean } & Record<string, unknown>;
  DynamicPartitioningConfiguration?: { Enabled?: boolean; RetryOptions?: { DurationInSeconds?: number } };
  FileExtension?: string;
  CustomTimeZone?: string;
}

/**
 * Hydrant's buffering defaults when `BufferingHints` is omitted: 32 MiB / 60 s. (AWS's are
 * 5 MiB / 300 s; Hydrant delivers fresher data by default and documents the difference.)
 */
export const DEFAULT_S3_BUFFERING = { SizeInMBs: 32, IntervalInSeconds: 60 } as const;
/** With record format conversion the size default is AWS's (128 MiB; at least 64 MiB may be set). */
export const CONVERSION_S3_BUFFERING = { SizeInMBs: CONVERSION_DEFAULT_BUFFER_MB, IntervalInSeconds: 60 } as const;

/** The effective configuration: every default applied, as DescribeDeliveryStream reports it. */
export function resolveS3Destination(cfg: ExtendedS3DestinationConfiguration): Required<Pick<ExtendedS3DestinationConfiguration,
  'RoleARN' | 'BucketARN' | 'Prefix' | 'BufferingHints' | 'CompressionFormat' | 'EncryptionConfiguration' | 'CloudWatchLoggingOptions' | 'S3BackupMode'>> & ExtendedS3DestinationConfiguration {
  const converting = cfg.DataFormatConversionConfiguration != null && cfg.DataFormatConversionConfiguration.Enabled !== false;
  return { ...resolveS3Configuration(cfg, converting ? CONVERSION_S3_BUFFERING : DEFAULT_S3_BUFFERING), S3BackupMode: cfg.S3BackupMode ?? 'Disabled' };
}

/** Merge an `ExtendedS3DestinationUpdate` into the current configuration (same type: member-wise). */
export function mergeS3Update(current: ExtendedS3DestinationConfiguration, update: Partial<ExtendedS3DestinationConfiguration> & { S3BackupUpdate?: Partial<S3DestinationConfiguration> }): ExtendedS3DestinationConfiguration {
  const { S3BackupUpdate: backup, ...rest } = update;
  const merged = mergeMembers(current, rest, ['BufferingHints', 'CloudWatchLoggingOptions']);
  // The update shape names the backup bucket S3BackupUpdate; the configuration, S3BackupConfiguration.
  if (backup) merged.S3BackupConfiguration = current.S3BackupConfiguration ? mergeS3Configuration(current.S3BackupConfiguration, backup) : backup as S3DestinationConfiguration;
  return merged;
}
