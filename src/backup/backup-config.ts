import type { S3DestinationConfiguration } from '../core/s3-configuration.js';

/**
 * Buffering of backup buckets when `BufferingHints` is omitted: AWS's 5 MiB, and Hydrant's 60 s
 * interval (AWS: 300 s) so failed records show up in S3 within a minute.
 */
export const DEFAULT_BACKUP_BUFFERING = { SizeInMBs: 5, IntervalInSeconds: 60 } as const;

/** A nested S3 configuration with every default applied, as DescribeDeliveryStream shows it. */
export type ResolvedS3Configuration = S3DestinationConfiguration & Required<Pick<S3DestinationConfiguration,
  'Prefix' | 'BufferingHints' | 'CompressionFormat' | 'EncryptionConfiguration' | 'CloudWatchLoggingOptions'>>;

/** Apply the defaults of an `S3DestinationConfiguration` (buffering defaults as given). */
export function resolveS3Configuration(cfg: S3DestinationConfiguration, buffering: { SizeInMBs: number; IntervalInSeconds: number } = DEFAULT_BACKUP_BUFFERING): ResolvedS3Configuration {
  return {
    ...cfg,
    Prefix: cfg.Prefix ?? '',
    BufferingHints: {
      SizeInMBs: cfg.BufferingHints?.SizeInMBs ?? buffering.SizeInMBs,
      IntervalInSeconds: cfg.BufferingHints?.IntervalInSeconds ?? buffering.IntervalInSeconds,
    },
    CompressionFormat: cfg.CompressionFormat ?? 'UNCOMPRESSED',
    EncryptionConfiguration: cfg.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
  };
}

/** `S3DestinationDescription`: the resolved configuration's members in the model's order. */
export function describeS3Configuration(cfg: ResolvedS3Configuration): Record<string, unknown> {
  return {
    RoleARN: cfg.RoleARN,
    BucketARN: cfg.BucketARN,
    Prefix: cfg.Prefix,
    ...(cfg.ErrorOutputPrefix !== undefined ? { ErrorOutputPrefix: cfg.ErrorOutputPrefix } : {}),
    BufferingHints: cfg.BufferingHints,
    CompressionFormat: cfg.CompressionFormat,
    EncryptionConfiguration: cfg.EncryptionConfiguration,
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions,
  };
}

/**
 * UpdateDestination's merge for one shape: members given in `update` replace the current ones,
 * omitted members stay; the `nested` members (small structures such as BufferingHints) are
 * merged member-wise in turn.
 */
export function mergeMembers<T extends object>(current: T, update: Partial<T> | undefined, nested: readonly (keyof T)[] = []): T {
  if (!update) return current;
  const out = { ...current } as Record<string, unknown>;
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined) continue;
    out[k] = nested.includes(k as keyof T) ? { ...((out[k] as object | undefined) ?? {}), ...(v as object) } : v;
  }
  return out as T;
}

/** Merge an `S3DestinationUpdate` into a nested S3 configuration (member-wise; BufferingHints too). */
export function mergeS3Configuration(current: S3DestinationConfiguration, update: Partial<S3DestinationConfiguration> | undefined): S3DestinationConfiguration {
  return mergeMembers(current, update, ['BufferingHints', 'CloudWatchLoggingOptions']);
}
