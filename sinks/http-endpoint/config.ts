/**
 * `HttpEndpointDestinationConfiguration`: resolution with AWS's defaults and ranges, checks that
 * name the failing field, the batching limits, and the `HttpEndpointDestinationDescription`
 * DescribeDeliveryStream shows (the access key is never shown). Pure functions: the API layer
 * calls them from CreateDeliveryStream and UpdateDestination.
 *
 * Unlike AWS, plain `http://` URLs and any port are allowed (users run endpoints on localhost).
 */
import { invalidArgument } from '../../src/core/aws-error.js';
import type { SinkLimits } from '../../src/core/plugin-api.js';
import {
  batchLimitsOf, checkS3BackupConfiguration, describeS3Backup, parseDestinationUrl, resolveBackupMode, resolveBufferingHints,
  resolveRetryOptions, resolveSecretValue, type BufferingHints, type BufferingSpec, type ConfigContext, type RetryOptions,
  type S3BackupConfiguration, type SecretsManagerConfiguration,
} from '../common/destination-config.js';

/** The API shape (members Hydrant reads; others such as `RoleARN` are kept and shown as given). */
export interface HttpEndpointDestinationConfiguration {
  EndpointConfiguration: { Url: string; Name?: string; AccessKey?: string };
  RequestConfiguration?: { ContentEncoding?: 'NONE' | 'GZIP'; CommonAttributes?: { AttributeName: string; AttributeValue: string }[] };
  BufferingHints?: BufferingHints;
  RetryOptions?: RetryOptions;
  S3BackupMode?: string;
  S3Configuration: S3BackupConfiguration;
  SecretsManagerConfiguration?: SecretsManagerConfiguration;
  RoleARN?: string;
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  CloudWatchLoggingOptions?: { Enabled?: boolean; LogGroupName?: string; LogStreamName?: string };
}

export type HttpEndpointBackupMode = 'FailedDataOnly' | 'AllData';

/** Everything the sink needs, defaults applied. */
export interface ResolvedHttpEndpointConfig {
  url: URL;
  name?: string;
  /** Sent verbatim as X-Amz-Firehose-Access-Key (from the configuration or its secret). */
  accessKey?: string;
  gzip: boolean;
  commonAttributes: Record<string, string>;
  buffering: Required<BufferingHints>;
  retryDurationSeconds: number;
  backupMode: HttpEndpointBackupMode;
  /** The folder `!{firehose:error-output-type}` stands for in this destination's failed records. */
  errorOutputType: 'http-endpoint-failed';
  s3: S3BackupConfiguration;
}

/** destinations.md §0.2: 1–64 MiB (default 5), 0–900 s (default 300); at most 10,000 records per request. */
export const HTTP_ENDPOINT_BUFFERING: BufferingSpec = {
  sizeInMBs: { min: 1, max: 64, default: 5 },
  intervalInSeconds: { min: 0, max: 900, default: 300 },
  maxRecords: 10_000,
};

/** Retry window when `RetryOptions` is absent (the API states none; AWS's console proposes 300 s). */
export const HTTP_ENDPOINT_DEFAULT_RETRY_SECONDS = 300;

const BACKUP_MODES = ['FailedDataOnly', 'AllData'] as const;
const FIELD = 'HttpEndpointDestinationConfiguration';

/** Resolve and check a configuration (create, or the merged result of an update). */
export function resolveHttpEndpointConfig(cfg: HttpEndpointDestinationConfiguration, ctx: ConfigContext = {}): ResolvedHttpEndpointConfig {
  const ep = cfg.EndpointConfiguration;
  if (!ep || typeof ep !== 'object') throw invalidArgument(`${FIELD}.EndpointConfiguration is required.`);
  const url = parseDestinationUrl(ep.Url, `${FIELD}.EndpointConfiguration.Url`);
  if (ep.Url.length > 1000) throw invalidArgument(`${FIELD}.EndpointConfiguration.Url must have at most 1000 characters.`);
  if (ep.AccessKey !== undefined && Buffer.byteLength(ep.AccessKey) > 4096) throw invalidArgument(`${FIELD}.EndpointConfiguration.AccessKey must have at most 4096 bytes.`);
  const req = cfg.RequestConfiguration ?? {};
  const encoding = req.ContentEncoding ?? 'NONE';
  if (encoding !== 'NONE' && encoding !== 'GZIP') throw invalidArgument(`${FIELD}.RequestConfiguration.ContentEncoding must be NONE or GZIP; got ${String(encoding)}.`);
  const attrs = req.CommonAttributes ?? [];
  if (attrs.length > 50) throw invalidArgument(`${FIELD}.RequestConfiguration.CommonAttributes can have at most 50 items; got ${attrs.length}.`);
  const commonAttributes: Record<string, string> = {};
  for (const [i, a] of attrs.entries()) {
    const at = `${FIELD}.RequestConfiguration.CommonAttributes.${i + 1}`;
    if (typeof a?.AttributeName !== 'string' || a.AttributeName.length < 1 || a.AttributeName.length > 256) throw invalidArgument(`${at}.AttributeName must have 1 to 256 characters.`);
    if (typeof a.AttributeValue !== 'string' || a.AttributeValue.length > 1024) throw invalidArgument(`${at}.AttributeValue must have at most 1024 characters.`);
    if (a.AttributeName in commonAttributes) throw invalidArgument(`${at}.AttributeName ${a.AttributeName} is given twice.`);
    commonAttributes[a.AttributeName] = a.AttributeValue;
  }
  const accessKey = resolveSecretValue(ep.AccessKey, cfg.SecretsManagerConfiguration, 'api_key', `${FIELD}.SecretsManagerConfiguration`, ctx);
  return {
    url,
    name: ep.Name,
    accessKey,
    gzip: encoding === 'GZIP',
    commonAttributes,
    buffering: resolveBufferingHints(cfg.BufferingHints, HTTP_ENDPOINT_BUFFERING, `${FIELD}.BufferingHints`),
    retryDurationSeconds: resolveRetryOptions(cfg.RetryOptions, HTTP_ENDPOINT_DEFAULT_RETRY_SECONDS, `${FIELD}.RetryOptions`).DurationInSeconds,
    backupMode: resolveBackupMode(cfg.S3BackupMode, BACKUP_MODES, `${FIELD}.S3BackupMode`),
    errorOutputType: 'http-endpoint-failed',
    s3: checkS3BackupConfiguration(cfg.S3Configuration, `${FIELD}.S3Configuration`),
  };
}

/** The batcher limits of a resolved configuration. */
export function httpEndpointLimits(cfg: ResolvedHttpEndpointConfig): SinkLimits {
  return batchLimitsOf(cfg.buffering, HTTP_ENDPOINT_BUFFERING);
}

/** `HttpEndpointDestinationDescription`: the access key is left out, as AWS does. */
export function describeHttpEndpointDestination(cfg: HttpEndpointDestinationConfiguration): Record<string, unknown> {
  // The description never shows the key, so a secret that cannot be resolved here must not fail it.
  const r = resolveHttpEndpointConfig(cfg, { resolveSecret: () => '{"api_key":""}' });
  return {
    EndpointConfiguration: { Url: cfg.EndpointConfiguration.Url, ...(r.name !== undefined ? { Name: r.name } : {}) },
    BufferingHints: r.buffering,
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
    RequestConfiguration: {
      ContentEncoding: r.gzip ? 'GZIP' : 'NONE',
      CommonAttributes: cfg.RequestConfiguration?.CommonAttributes ?? [],
    },
    ...(cfg.ProcessingConfiguration !== undefined ? { ProcessingConfiguration: cfg.ProcessingConfiguration } : {}),
    ...(cfg.RoleARN !== undefined ? { RoleARN: cfg.RoleARN } : {}),
    RetryOptions: { DurationInSeconds: r.retryDurationSeconds },
    S3BackupMode: r.backupMode,
    S3DestinationDescription: describeS3Backup(r.s3),
    ...(cfg.SecretsManagerConfiguration !== undefined ? { SecretsManagerConfiguration: cfg.SecretsManagerConfiguration } : {}),
  };
}
