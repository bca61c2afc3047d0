/**
 * Configuration fragments every non-S3 destination shares, in Firehose's API shapes:
 * `BufferingHints`, `RetryOptions`, `S3BackupMode` and the backup bucket's `S3Configuration`.
 * Each `resolve…` applies AWS's default and range for the destination and throws an
 * InvalidArgumentException naming the field (the model checks AWS's own shapes first; plugin
 * destinations are not in the model, so the ranges are checked here again). Pure functions.
 */
import { invalidArgument } from '../../src/core/aws-error.js';
import type { SinkLimits } from '../../src/core/plugin-api.js';
import { validatePrefixes } from '../s3/prefix-validation.js';
import { bucketFromArn } from '../s3/object-store.js';
import type { ExtendedS3DestinationConfiguration } from '../../src/delivery/destinations/s3-config.js';

/** `BufferingHints` as the API takes it. */
export interface BufferingHints {
  SizeInMBs?: number;
  IntervalInSeconds?: number;
}

/** `RetryOptions` as the API takes it. */
export interface RetryOptions {
  DurationInSeconds?: number;
}

/** The backup bucket (`S3Configuration`, the `S3DestinationConfiguration` shape: the S3 destination's common members). */
export type S3BackupConfiguration = Pick<ExtendedS3DestinationConfiguration, 'RoleARN' | 'BucketARN' | 'Prefix' | 'ErrorOutputPrefix' | 'BufferingHints' | 'CompressionFormat' | 'EncryptionConfiguration' | 'CloudWatchLoggingOptions'>;

/** `SecretsManagerConfiguration` (HTTP endpoint access key, Splunk HEC token). */
export interface SecretsManagerConfiguration {
  Enabled: boolean;
  SecretARN?: string;
  RoleARN?: string;
}

/** A destination's buffering ranges and defaults (destinations.md §0.2). */
export interface BufferingSpec {
  sizeInMBs: { min: number; max: number; default: number };
  intervalInSeconds: { min: number; max: number; default: number };
  /** Records per request the protocol allows (HTTP endpoint: 10,000). */
  maxRecords?: number;
}

/** What configuration resolution may need from the running node. */
export interface ConfigContext {
  /**
   * The value of a secret named by `SecretsManagerConfiguration.SecretARN` (the secret's JSON
   * text, e.g. `{"api_key":"..."}`), or undefined when the node does not know it.
   */
  resolveSecret?(arn: string): string | undefined;
}

const MIB = 1024 * 1024;

function inRange(value: number | undefined, range: { min: number; max: number }, field: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidArgument(`${field} must be an integer from ${range.min} to ${range.max}; got ${value}.`);
  }
}

/** Both hints or neither, each in range; defaults filled. */
export function resolveBufferingHints(hints: BufferingHints | undefined, spec: BufferingSpec, field: string): Required<BufferingHints> {
  if (hints && (hints.SizeInMBs === undefined) !== (hints.IntervalInSeconds === undefined)) {
    throw invalidArgument(`${field}.SizeInMBs and ${field}.IntervalInSeconds must be given together.`);
  }
  inRange(hints?.SizeInMBs, spec.sizeInMBs, `${field}.SizeInMBs`);
  inRange(hints?.IntervalInSeconds, spec.intervalInSeconds, `${field}.IntervalInSeconds`);
  return {
    SizeInMBs: hints?.SizeInMBs ?? spec.sizeInMBs.default,
    IntervalInSeconds: hints?.IntervalInSeconds ?? spec.intervalInSeconds.default,
  };
}

/** The batcher limits a resolved `BufferingHints` stands for. */
export function batchLimitsOf(hints: Required<BufferingHints>, spec: BufferingSpec): SinkLimits {
  return { maxBytes: hints.SizeInMBs * MIB, maxRecords: spec.maxRecords, intervalMs: hints.IntervalInSeconds * 1000 };
}

/** `RetryOptions.DurationInSeconds`: 0–7200 s, the destination's default when absent. */
export function resolveRetryOptions(opts: RetryOptions | undefined, defaultSeconds: number, field: string): Required<RetryOptions> {
  inRange(opts?.DurationInSeconds, { min: 0, max: 7200 }, `${field}.DurationInSeconds`);
  return { DurationInSeconds: opts?.DurationInSeconds ?? defaultSeconds };
}

/** One of the destination's `S3BackupMode` values; the first is the default. */
export function resolveBackupMode<M extends string>(mode: string | undefined, allowed: readonly [M, ...M[]], field: string): M {
  if (mode === undefined) return allowed[0];
  if (!(allowed as readonly string[]).includes(mode)) throw invalidArgument(`${field} must be one of ${allowed.join(', ')}; got ${mode}.`);
  return mode as M;
}

const BACKUP_COMPRESSION = new Set(['UNCOMPRESSED', 'GZIP']);

/** Checks of the backup bucket's configuration (required for every non-S3 destination). */
export function checkS3BackupConfiguration(s3: S3BackupConfiguration | undefined, field: string): S3BackupConfiguration {
  if (!s3 || typeof s3 !== 'object') throw invalidArgument(`${field} is required: failed records are written to that bucket.`);
  if (typeof s3.BucketARN !== 'string') throw invalidArgument(`${field}.BucketARN is required.`);
  try {
    bucketFromArn(s3.BucketARN);
  } catch {
    throw invalidArgument(`${field}.BucketARN ${s3.BucketARN} is not an S3 bucket ARN (arn:aws:s3:::<bucket>).`);
  }
  resolveBufferingHints(s3.BufferingHints, S3_BACKUP_BUFFERING, `${field}.BufferingHints`);
  const compression = s3.CompressionFormat ?? 'UNCOMPRESSED';
  if (!BACKUP_COMPRESSION.has(compression)) {
    throw invalidArgument(`${field}.CompressionFormat ${compression} is not supported by this Hydrant version; use UNCOMPRESSED or GZIP.`);
  }
  const prefixError = validatePrefixes({ prefix: s3.Prefix, errorOutputPrefix: s3.ErrorOutputPrefix, dynamicPartitioning: false });
  if (prefixError) throw invalidArgument(`${field}: ${prefixError}`);
  return s3;
}

/** The backup bucket's buffering (AWS's S3 ranges and defaults). */
export const S3_BACKUP_BUFFERING: BufferingSpec = {
  sizeInMBs: { min: 1, max: 128, default: 5 },
  intervalInSeconds: { min: 0, max: 900, default: 300 },
};

/** `S3DestinationDescription` of a backup bucket: every default filled, as DescribeDeliveryStream shows it. */
export function describeS3Backup(s3: S3BackupConfiguration): Record<string, unknown> {
  return {
    RoleARN: s3.RoleARN,
    BucketARN: s3.BucketARN,
    Prefix: s3.Prefix ?? '',
    ...(s3.ErrorOutputPrefix !== undefined ? { ErrorOutputPrefix: s3.ErrorOutputPrefix } : {}),
    BufferingHints: resolveBufferingHints(s3.BufferingHints, S3_BACKUP_BUFFERING, 'S3Configuration.BufferingHints'),
    CompressionFormat: s3.CompressionFormat ?? 'UNCOMPRESSED',
    EncryptionConfiguration: s3.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: s3.CloudWatchLoggingOptions ?? { Enabled: false },
  };
}

/**
 * A secret-backed credential: the inline value, or `field` of the secret's JSON when
 * `SecretsManagerConfiguration.Enabled` (AWS's names: `api_key` for HTTP endpoints, `hec_token`
 * for Splunk). Throws naming the configuration member when the secret is unknown or malformed.
 */
export function resolveSecretValue(inline: string | undefined, secrets: SecretsManagerConfiguration | undefined, key: string, field: string, ctx: ConfigContext): string | undefined {
  if (!secrets?.Enabled) return inline;
  if (!secrets.SecretARN) throw invalidArgument(`${field}.SecretARN is required when ${field}.Enabled is true.`);
  const text = ctx.resolveSecret?.(secrets.SecretARN);
  if (text === undefined) throw invalidArgument(`${field}.SecretARN ${secrets.SecretARN} is not a secret this Hydrant node knows (configure it under secrets).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument(`The secret ${secrets.SecretARN} must be JSON text such as {"${key}": "..."}.`);
  }
  const value = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[key] : undefined;
  if (typeof value !== 'string') throw invalidArgument(`The secret ${secrets.SecretARN} has no string member ${key}.`);
  return value;
}

/**
 * A destination URL: absolute, http or https (Hydrant, unlike AWS, allows plain HTTP and any
 * port, since users run endpoints on localhost). Throws naming the field.
 */
export function parseDestinationUrl(value: unknown, field: string): URL {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`${field} is required.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${field} ${redactUrl(value)} is not an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidArgument(`${field} must be an http:// or https:// URL; got ${url.protocol}.`);
  return url;
}

/** A URL with any password replaced by `****` (DescribeDeliveryStream never shows secrets). */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = '****';
    return url.toString();
  } catch {
    return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:****@');
  }
}
