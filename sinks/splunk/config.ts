/**
 * `SplunkDestinationConfiguration`: resolution with AWS's defaults and ranges, checks naming the
 * field, the batching limits (1–5 MiB, 0–60 s) and the `SplunkDestinationDescription`
 * DescribeDeliveryStream shows (the HEC token is never shown). Pure functions.
 */
import { invalidArgument } from '../../src/core/aws-error.js';
import type { SinkLimits } from '../../src/core/plugin-api.js';
import {
  batchLimitsOf, checkS3BackupConfiguration, describeS3Backup, parseDestinationUrl, resolveBackupMode, resolveBufferingHints,
  resolveRetryOptions, resolveSecretValue, type BufferingHints, type BufferingSpec, type ConfigContext, type RetryOptions,
  type S3BackupConfiguration, type SecretsManagerConfiguration,
} from '../common/destination-config.js';

export interface SplunkDestinationConfiguration {
  HECEndpoint: string;
  HECEndpointType: 'Raw' | 'Event';
  HECToken?: string;
  HECAcknowledgmentTimeoutInSeconds?: number;
  RetryOptions?: RetryOptions;
  S3BackupMode?: string;
  S3Configuration: S3BackupConfiguration;
  BufferingHints?: BufferingHints;
  SecretsManagerConfiguration?: SecretsManagerConfiguration;
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  CloudWatchLoggingOptions?: { Enabled?: boolean; LogGroupName?: string; LogStreamName?: string };
}

export type SplunkBackupMode = 'FailedEventsOnly' | 'AllEvents';

export interface ResolvedSplunkConfig {
  /** The HEC base URL (`https://splunk:8088`); the sink appends `/services/collector/...`. */
  endpoint: URL;
  type: 'Raw' | 'Event';
  token: string;
  ackTimeoutSeconds: number;
  buffering: Required<BufferingHints>;
  retryDurationSeconds: number;
  backupMode: SplunkBackupMode;
  errorOutputType: 'splunk-failed';
  s3: S3BackupConfiguration;
}

/** destinations.md §0.2: 1–5 MiB (default 5), 0–60 s (default 60). */
export const SPLUNK_BUFFERING: BufferingSpec = {
  sizeInMBs: { min: 1, max: 5, default: 5 },
  intervalInSeconds: { min: 0, max: 60, default: 60 },
};

/** HECAcknowledgmentTimeoutInSeconds: 180–600; AWS's console proposes 180. */
export const SPLUNK_ACK_TIMEOUT = { min: 180, max: 600, default: 180 } as const;
/** Retry window when `RetryOptions` is absent (the API states none). */
export const SPLUNK_DEFAULT_RETRY_SECONDS = 300;

const BACKUP_MODES = ['FailedEventsOnly', 'AllEvents'] as const;
const FIELD = 'SplunkDestinationConfiguration';

export function resolveSplunkConfig(cfg: SplunkDestinationConfiguration, ctx: ConfigContext = {}): ResolvedSplunkConfig {
  const endpoint = parseDestinationUrl(cfg.HECEndpoint, `${FIELD}.HECEndpoint`);
  if (cfg.HECEndpointType !== 'Raw' && cfg.HECEndpointType !== 'Event') {
    throw invalidArgument(`${FIELD}.HECEndpointType must be Raw or Event; got ${String(cfg.HECEndpointType)}.`);
  }
  const token = resolveSecretValue(cfg.HECToken, cfg.SecretsManagerConfiguration, 'hec_token', `${FIELD}.SecretsManagerConfiguration`, ctx);
  if (!token) throw invalidArgument(`${FIELD}.HECToken is required unless SecretsManagerConfiguration is enabled.`);
  const ack = cfg.HECAcknowledgmentTimeoutInSeconds ?? SPLUNK_ACK_TIMEOUT.default;
  if (!Number.isInteger(ack) || ack < SPLUNK_ACK_TIMEOUT.min || ack > SPLUNK_ACK_TIMEOUT.max) {
    throw invalidArgument(`${FIELD}.HECAcknowledgmentTimeoutInSeconds must be an integer from 180 to 600; got ${ack}.`);
  }
  return {
    endpoint,
    type: cfg.HECEndpointType,
    token,
    ackTimeoutSeconds: ack,
    buffering: resolveBufferingHints(cfg.BufferingHints, SPLUNK_BUFFERING, `${FIELD}.BufferingHints`),
    retryDurationSeconds: resolveRetryOptions(cfg.RetryOptions, SPLUNK_DEFAULT_RETRY_SECONDS, `${FIELD}.RetryOptions`).DurationInSeconds,
    backupMode: resolveBackupMode(cfg.S3BackupMode, BACKUP_MODES, `${FIELD}.S3BackupMode`),
    errorOutputType: 'splunk-failed',
    s3: checkS3BackupConfiguration(cfg.S3Configuration, `${FIELD}.S3Configuration`),
  };
}

/** UpdateDestination may turn FailedEventsOnly into AllEvents, never back (as AWS). */
export function checkSplunkUpdate(current: SplunkDestinationConfiguration, next: SplunkDestinationConfiguration): void {
  if ((current.S3BackupMode ?? 'FailedEventsOnly') === 'AllEvents' && (next.S3BackupMode ?? 'FailedEventsOnly') === 'FailedEventsOnly') {
    throw invalidArgument('S3BackupMode cannot be changed from AllEvents to FailedEventsOnly.');
  }
}

export function splunkLimits(cfg: ResolvedSplunkConfig): SinkLimits {
  return batchLimitsOf(cfg.buffering, SPLUNK_BUFFERING);
}

/** `SplunkDestinationDescription`, without the HEC token. */
export function describeSplunkDestination(cfg: SplunkDestinationConfiguration): Record<string, unknown> {
  // The token is never shown, so its presence (inline or in a secret) does not matter here.
  const r = resolveSplunkConfig({ ...cfg, HECToken: 'redacted', SecretsManagerConfiguration: undefined });
  return {
    HECEndpoint: cfg.HECEndpoint,
    HECEndpointType: r.type,
    HECAcknowledgmentTimeoutInSeconds: r.ackTimeoutSeconds,
    RetryOptions: { DurationInSeconds: r.retryDurationSeconds },
    S3BackupMode: r.backupMode,
    S3DestinationDescription: describeS3Backup(r.s3),
    ...(cfg.ProcessingConfiguration !== undefined ? { ProcessingConfiguration: cfg.ProcessingConfiguration } : {}),
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
    BufferingHints: r.buffering,
    ...(cfg.SecretsManagerConfiguration !== undefined ? { SecretsManagerConfiguration: cfg.SecretsManagerConfiguration } : {}),
  };
}
