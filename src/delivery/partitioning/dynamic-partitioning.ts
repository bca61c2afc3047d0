/**
 * `DynamicPartitioningConfiguration` (reference §4.2, §7.4): resolution with AWS's defaults, and
 * the create/update-time rules that tie it to buffering, prefixes and processors. Checks return
 * the InvalidArgumentException message, or null.
 */
import { invalidArgument } from '../../core/aws-error.js';
import { validatePrefixes } from '../../../sinks/s3/prefix-validation.js';
import { queryKeys } from './query-keys.js';
import type { ResolvedProcessing } from '../transform/processing-config.js';

export interface DynamicPartitioningInput {
  Enabled?: boolean;
  RetryOptions?: { DurationInSeconds?: number };
}

export interface ResolvedDynamicPartitioning {
  enabled: boolean;
  /** How long an object that fails to deliver is retried before its records go to the error prefix. */
  retryDurationMs: number;
}

/** AWS's minimum buffer size with dynamic partitioning, in MiB (also Hydrant's default then). */
export const DYNAMIC_PARTITIONING_MIN_BUFFER_MB = 64;
/** RetryOptions.DurationInSeconds default (the CDK's and console's) and range. */
export const DEFAULT_RETRY_SECONDS = 300;
export const MAX_RETRY_SECONDS = 7200;

/** Resolves the configuration; throws InvalidArgumentException for a retry duration out of range. */
export function resolveDynamicPartitioning(input: DynamicPartitioningInput | undefined | null): ResolvedDynamicPartitioning {
  const seconds = input?.RetryOptions?.DurationInSeconds ?? DEFAULT_RETRY_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_RETRY_SECONDS) {
    throw invalidArgument(`DynamicPartitioningConfiguration.RetryOptions.DurationInSeconds must be an integer from 0 to ${MAX_RETRY_SECONDS}, not ${seconds}.`);
  }
  return { enabled: input?.Enabled === true, retryDurationMs: seconds * 1000 };
}

export interface DynamicPartitioningSettings {
  dynamicPartitioning: ResolvedDynamicPartitioning;
  bufferingHints?: { SizeInMBs?: number; IntervalInSeconds?: number };
  prefix?: string | null;
  errorOutputPrefix?: string | null;
  processing: ResolvedProcessing;
}

/** The rules of an S3 destination with dynamic partitioning enabled (null when it is off or fine). */
export function checkDynamicPartitioning(s: DynamicPartitioningSettings): string | null {
  if (!s.dynamicPartitioning.enabled) return null;
  const size = s.bufferingHints?.SizeInMBs;
  if (size !== undefined && size < DYNAMIC_PARTITIONING_MIN_BUFFER_MB) {
    return `BufferingHints.SizeInMBs must be at least ${DYNAMIC_PARTITIONING_MIN_BUFFER_MB} when Dynamic Partitioning is enabled.`;
  }
  if (s.bufferingHints?.IntervalInSeconds === 0) {
    return 'BufferingHints.IntervalInSeconds must be greater than 0 when Dynamic Partitioning is enabled (zero buffering is not supported).';
  }
  const p = s.processing.enabled ? s.processing : undefined;
  return validatePrefixes({
    prefix: s.prefix,
    errorOutputPrefix: s.errorOutputPrefix,
    dynamicPartitioning: true,
    partitionKeySources: {
      query: p?.metadataExtraction !== undefined,
      queryKeys: p?.metadataExtraction ? queryKeys(p.metadataExtraction.query) : undefined,
      lambda: p?.lambda !== undefined,
    },
  });
}

/** UpdateDestination may neither turn dynamic partitioning on nor off (reference §3.6). */
export function checkDynamicPartitioningUpdate(current: boolean, requested: boolean | undefined): string | null {
  if (requested === undefined || requested === current) return null;
  return current
    ? 'Dynamic partitioning cannot be disabled once it is enabled for a Firehose stream.'
    : 'Dynamic partitioning can only be enabled when the Firehose stream is created.';
}
