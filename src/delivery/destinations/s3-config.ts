/** The parts of Firehose's `ExtendedS3DestinationConfiguration` Hydrant reads (API shapes, PascalCase). */
export interface BufferingHints {
  SizeInMBs?: number;
  IntervalInSeconds?: number;
}

export interface EncryptionConfiguration {
  NoEncryptionConfig?: 'NoEncryption';
  KMSEncryptionConfig?: { AWSKMSKeyARN: string };
}

export interface CloudWatchLoggingOptions {
  Enabled?: boolean;
  LogGroupName?: string;
  LogStreamName?: string;
}

export interface ExtendedS3DestinationConfiguration {
  RoleARN: string;
  BucketARN: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  BufferingHints?: BufferingHints;
  CompressionFormat?: string;
  EncryptionConfiguration?: EncryptionConfiguration;
  CloudWatchLoggingOptions?: CloudWatchLoggingOptions;
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  S3BackupMode?: string;
  S3BackupConfiguration?: unknown;
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

/** The effective configuration: every default applied, as DescribeDeliveryStream reports it. */
export function resolveS3Destination(cfg: ExtendedS3DestinationConfiguration): Required<Pick<ExtendedS3DestinationConfiguration,
  'RoleARN' | 'BucketARN' | 'Prefix' | 'BufferingHints' | 'CompressionFormat' | 'EncryptionConfiguration' | 'CloudWatchLoggingOptions' | 'S3BackupMode'>> & ExtendedS3DestinationConfiguration {
  return {
    ...cfg,
    Prefix: cfg.Prefix ?? '',
    BufferingHints: {
      SizeInMBs: cfg.BufferingHints?.SizeInMBs ?? DEFAULT_S3_BUFFERING.SizeInMBs,
      IntervalInSeconds: cfg.BufferingHints?.IntervalInSeconds ?? DEFAULT_S3_BUFFERING.IntervalInSeconds,
    },
    CompressionFormat: cfg.CompressionFormat ?? 'UNCOMPRESSED',
    EncryptionConfiguration: cfg.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
    S3BackupMode: cfg.S3BackupMode ?? 'Disabled',
  };
}

/** Merge an `ExtendedS3DestinationUpdate` into the current configuration (same type: member-wise). */
export function mergeS3Update(current: ExtendedS3DestinationConfiguration, update: Partial<ExtendedS3DestinationConfiguration>): ExtendedS3DestinationConfiguration {
  const out: ExtendedS3DestinationConfiguration = { ...current };
  for (const [k, v] of Object.entries(update) as [keyof ExtendedS3DestinationConfiguration, unknown][]) {
    if (v === undefined) continue;
    if (k === 'BufferingHints' || k === 'CloudWatchLoggingOptions') {
      (out as unknown as Record<string, unknown>)[k] = { ...((current[k] as object | undefined) ?? {}), ...(v as object) };
    } else {
      (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}
