/**
 * `RedshiftDestinationConfiguration` (firehose.md §4.6, destinations.md §4.1): its defaults,
 * the checks CreateDeliveryStream / UpdateDestination make after model validation (each message
 * names the field), the `RedshiftDestinationDescription` DescribeDeliveryStream shows (never the
 * password) and UpdateDestination's merge. Pure: the caller turns messages into
 * InvalidArgumentException.
 */
import type { S3DestinationConfiguration, CloudWatchLoggingOptions } from '../../src/core/s3-configuration.js';
import type { SecretResolver } from '../../src/config/secrets.js';
import { describeS3Configuration, mergeMembers, mergeS3Configuration, resolveS3Configuration } from '../../src/backup/backup-config.js';
import { bucketFromArn } from '../s3/object-store.js';
import { parsePrefix, validatePrefixes } from '../s3/key-layout.js';
import { resolveProcessingConfiguration, type ProcessingConfigurationInput } from '../../src/delivery/transform/processing-config.js';
import { compressionProblem, CopyOptionsError, parseCopyOptions, postgresProblem, type ParsedCopyOptions } from './copy-options.js';
import { IdentifierError, parseColumns, parseTableName } from './identifiers.js';
import { JdbcUrlError, parseJdbcUrl, type JdbcTarget } from './jdbc-url.js';

export interface CopyCommand {
  DataTableName: string;
  DataTableColumns?: string;
  CopyOptions?: string;
}

export interface SecretsManagerConfiguration {
  Enabled: boolean;
  SecretARN?: string;
  RoleARN?: string;
}

export interface RedshiftDestinationConfiguration {
  RoleARN: string;
  ClusterJDBCURL: string;
  CopyCommand: CopyCommand;
  Username?: string;
  Password?: string;
  RetryOptions?: { DurationInSeconds?: number };
  /** The intermediate bucket batches are staged in before COPY. */
  S3Configuration: S3DestinationConfiguration;
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  /** `Enabled`: every source record is also written to `S3BackupConfiguration`. */
  S3BackupMode?: 'Disabled' | 'Enabled';
  S3BackupConfiguration?: S3DestinationConfiguration;
  CloudWatchLoggingOptions?: CloudWatchLoggingOptions;
  SecretsManagerConfiguration?: SecretsManagerConfiguration;
}

/** `RedshiftDestinationUpdate`: every member optional; nested S3 shapes are `S3Update` / `S3BackupUpdate`. */
export type RedshiftDestinationUpdate = Partial<Omit<RedshiftDestinationConfiguration, 'S3Configuration' | 'S3BackupConfiguration' | 'CopyCommand'>> & {
  CopyCommand?: Partial<CopyCommand>;
  S3Update?: Partial<S3DestinationConfiguration>;
  S3BackupUpdate?: Partial<S3DestinationConfiguration>;
};

/** Firehose's default retry duration for Redshift (s). */
export const DEFAULT_REDSHIFT_RETRY_SECONDS = 3600;

/**
 * Buffering of the intermediate bucket when omitted: Hydrant's S3 defaults (32 MiB / 60 s; AWS
 * 5 MiB / 300 s), so a COPY runs at most once a minute per stream.
 */
export const DEFAULT_REDSHIFT_BUFFERING = { SizeInMBs: 32, IntervalInSeconds: 60 } as const;

/** Everything a load needs, derived from the configuration at the time of the attempt. */
export interface RedshiftSettings {
  target: JdbcTarget;
  table: string;
  columns: string[];
  options: ParsedCopyOptions;
  optionsText: string;
  retrySeconds: number;
  user: string;
  password: string;
}

/** The credentials of a configuration: inline, or from its secret. Throws Error naming the field. */
export function credentialsOf(cfg: RedshiftDestinationConfiguration, secrets: SecretResolver): { user: string; password: string } {
  const sm = cfg.SecretsManagerConfiguration;
  if (sm?.Enabled) {
    if (!sm.SecretARN) throw new Error('SecretsManagerConfiguration.SecretARN is required when SecretsManagerConfiguration.Enabled is true.');
    if (cfg.Password !== undefined) throw new Error('Password cannot be given when SecretsManagerConfiguration is enabled.');
    let secret;
    try {
      secret = secrets(sm.SecretARN);
    } catch (err) {
      throw new Error(`SecretsManagerConfiguration.SecretARN ${sm.SecretARN}: ${(err as Error).message}.`, { cause: err });
    }
    if (!secret) {
      throw new Error(`SecretsManagerConfiguration.SecretARN ${sm.SecretARN} is not configured in Hydrant: add it to the config file's "secrets" or set the environment variable shown in the README.`);
    }
    const user = typeof secret.username === 'string' ? secret.username : cfg.Username;
    if (typeof secret.password !== 'string') throw new Error(`the secret ${sm.SecretARN} has no "password" string.`);
    if (!user) throw new Error(`the secret ${sm.SecretARN} has no "username" and no Username is given.`);
    return { user, password: secret.password };
  }
  if (!cfg.Username) throw new Error('Username is required unless SecretsManagerConfiguration is enabled.');
  if (cfg.Password === undefined) throw new Error('Password is required unless SecretsManagerConfiguration is enabled.');
  return { user: cfg.Username, password: cfg.Password };
}

/** Resolve the settings of a load (the same checks as at create time; throws Error with the message). */
export function redshiftSettings(cfg: RedshiftDestinationConfiguration, secrets: SecretResolver): RedshiftSettings {
  let target: JdbcTarget;
  try {
    target = parseJdbcUrl(cfg.ClusterJDBCURL);
  } catch (err) {
    if (err instanceof JdbcUrlError) throw new Error(err.message, { cause: err });
    throw err;
  }
  let table: string;
  let columns: string[];
  try {
    table = parseTableName(cfg.CopyCommand.DataTableName).map((p) => p.sql).join('.');
    columns = parseColumns(cfg.CopyCommand.DataTableColumns).map((c) => c.name);
  } catch (err) {
    if (err instanceof IdentifierError) throw new Error(`CopyCommand: ${err.message}.`, { cause: err });
    throw err;
  }
  const optionsText = cfg.CopyCommand.CopyOptions ?? '';
  let options: ParsedCopyOptions;
  try {
    options = parseCopyOptions(optionsText);
  } catch (err) {
    if (!(err instanceof CopyOptionsError)) throw err;
    // Redshift is the judge of its own options; the PostgreSQL stand-in must understand them.
    if (target.dialect === 'postgresql') throw new Error(err.message, { cause: err });
    options = { ...parseCopyOptions(''), gzip: /\bGZIP\b/i.test(optionsText) };
  }
  if (target.dialect === 'postgresql') {
    const problem = postgresProblem(options);
    if (problem) throw new Error(problem);
  }
  const compression = compressionProblem(options, cfg.S3Configuration.CompressionFormat ?? 'UNCOMPRESSED');
  if (compression) throw new Error(compression);
  return {
    target,
    table,
    columns,
    options,
    optionsText,
    retrySeconds: cfg.RetryOptions?.DurationInSeconds ?? DEFAULT_REDSHIFT_RETRY_SECONDS,
    ...credentialsOf(cfg, secrets),
  };
}

function checkBucket(cfg: S3DestinationConfiguration, field: string): string | undefined {
  try {
    bucketFromArn(cfg.BucketARN);
  } catch {
    return `${field}.BucketARN ${cfg.BucketARN} is not an S3 bucket ARN (arn:aws:s3:::<bucket>).`;
  }
  const hints = cfg.BufferingHints;
  if (hints && (hints.SizeInMBs === undefined) !== (hints.IntervalInSeconds === undefined)) {
    return `${field}.BufferingHints.SizeInMBs and ${field}.BufferingHints.IntervalInSeconds must be given together.`;
  }
  return undefined;
}

/**
 * The checks of a Redshift destination at create and update time. Returns the message of the
 * InvalidArgumentException to answer with, or undefined when the configuration can be used.
 * `supportedCompression` is what this Hydrant version can write to S3 (for the backup bucket).
 */
export function checkRedshiftDestination(cfg: RedshiftDestinationConfiguration, secrets: SecretResolver, supportedCompression: ReadonlySet<string>): string | undefined {
  const s3 = cfg.S3Configuration;
  const bucket = checkBucket(s3, 'S3Configuration');
  if (bucket) return bucket;
  const compression = s3.CompressionFormat ?? 'UNCOMPRESSED';
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    return `S3Configuration.CompressionFormat ${compression} is not allowed for Redshift's intermediate bucket; COPY reads UNCOMPRESSED or GZIP.`;
  }
  if (s3.ErrorOutputPrefix) return 'S3Configuration.ErrorOutputPrefix must not be given for a Redshift destination (failed loads leave their manifest under <Prefix>errors/).';
  try {
    if (parsePrefix(s3.Prefix ?? '').hasExpressions) return 'S3Configuration.Prefix must not contain expressions (!{...}) for a Redshift destination.';
  } catch (err) {
    return `S3Configuration.Prefix: ${(err as Error).message}`;
  }
  if (cfg.S3BackupMode === 'Enabled' && !cfg.S3BackupConfiguration) return 'S3BackupConfiguration is required when S3BackupMode is Enabled.';
  if (cfg.S3BackupConfiguration) {
    const b = cfg.S3BackupConfiguration;
    const backupBucket = checkBucket(b, 'S3BackupConfiguration');
    if (backupBucket) return backupBucket;
    const bc = b.CompressionFormat ?? 'UNCOMPRESSED';
    if (!supportedCompression.has(bc)) return `S3BackupConfiguration.CompressionFormat ${bc} is not supported by this Hydrant version; use ${[...supportedCompression].join(' or ')}.`;
    const prefixError = validatePrefixes({ prefix: b.Prefix, errorOutputPrefix: b.ErrorOutputPrefix, dynamicPartitioning: false });
    if (prefixError) return `S3BackupConfiguration: ${prefixError}`;
  }
  try {
    resolveProcessingConfiguration(cfg.ProcessingConfiguration as ProcessingConfigurationInput | undefined, { destination: 'redshift' });
  } catch (err) {
    return (err as Error).message;
  }
  try {
    redshiftSettings(cfg, secrets);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** The intermediate bucket's configuration with its defaults. */
export function resolveIntermediate(cfg: RedshiftDestinationConfiguration) {
  return resolveS3Configuration(cfg.S3Configuration, DEFAULT_REDSHIFT_BUFFERING);
}

/** `RedshiftDestinationDescription`: defaults filled, `Password` never included. */
export function describeRedshiftDestination(cfg: RedshiftDestinationConfiguration): Record<string, unknown> {
  const out: Record<string, unknown> = {
    RoleARN: cfg.RoleARN,
    ClusterJDBCURL: cfg.ClusterJDBCURL,
    CopyCommand: cfg.CopyCommand,
    ...(cfg.Username !== undefined ? { Username: cfg.Username } : {}),
    RetryOptions: { DurationInSeconds: cfg.RetryOptions?.DurationInSeconds ?? DEFAULT_REDSHIFT_RETRY_SECONDS },
    S3DestinationDescription: describeS3Configuration(resolveIntermediate(cfg)),
    ...(cfg.ProcessingConfiguration !== undefined ? { ProcessingConfiguration: cfg.ProcessingConfiguration } : {}),
    S3BackupMode: cfg.S3BackupMode ?? 'Disabled',
    ...(cfg.S3BackupConfiguration ? { S3BackupDescription: describeS3Configuration(resolveS3Configuration(cfg.S3BackupConfiguration)) } : {}),
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
  };
  if (cfg.SecretsManagerConfiguration) out.SecretsManagerConfiguration = cfg.SecretsManagerConfiguration;
  return out;
}

/**
 * UpdateDestination's merge for a Redshift destination (same destination type): given members
 * replace, omitted ones stay; CopyCommand, RetryOptions and the nested S3 configurations merge
 * member-wise. Returns the message of the InvalidArgumentException for a forbidden change.
 */
export function mergeRedshiftUpdate(current: RedshiftDestinationConfiguration, update: RedshiftDestinationUpdate): RedshiftDestinationConfiguration | string {
  if (current.S3BackupMode === 'Enabled' && update.S3BackupMode === 'Disabled') {
    return 'S3BackupMode cannot be changed from Enabled to Disabled.';
  }
  const { S3Update, S3BackupUpdate, ...rest } = update;
  const merged = mergeMembers(current, rest as Partial<RedshiftDestinationConfiguration>, ['CopyCommand', 'RetryOptions', 'SecretsManagerConfiguration', 'CloudWatchLoggingOptions']);
  merged.S3Configuration = mergeS3Configuration(current.S3Configuration, S3Update);
  if (S3BackupUpdate) {
    merged.S3BackupConfiguration = current.S3BackupConfiguration
      ? mergeS3Configuration(current.S3BackupConfiguration, S3BackupUpdate)
      : S3BackupUpdate as S3DestinationConfiguration;
  }
  // Enabling the secret replaces the inline password, as AWS does.
  if (update.SecretsManagerConfiguration?.Enabled && update.Password === undefined) delete merged.Password;
  return merged;
}
