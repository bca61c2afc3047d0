import { invalidArgument } from '../core/aws-error.js';
import { validateFileExtension, validatePrefixes } from '../../sinks/s3/key-layout.js';
import { bucketFromArn } from '../../sinks/s3/object-store.js';
import { COMPRESSION_FORMATS, isCompressionFormat } from '../../sinks/s3/compression-format.js';
import type { DestinationDefinition, Tag } from './catalog.js';
import type { ExtendedS3DestinationConfiguration } from './destinations/s3-config.js';
import { conversionOf } from './destinations/s3-conversion.js';
import { checkRedshiftDestination, type RedshiftDestinationConfiguration } from '../../sinks/redshift/config.js';
import { resolveProcessingConfiguration, type ProcessingConfigurationInput } from './transform/processing-config.js';
import { checkDynamicPartitioning, resolveDynamicPartitioning } from './partitioning/dynamic-partitioning.js';
import { resolveSinkDestination, SINK_MEMBERS, type ResolvedSinkDestination, type SinkResolveContext } from './destinations/sink-kinds.js';

/** CreateDeliveryStream's input after model validation (members Hydrant reads). */
export interface CreateDeliveryStreamInput {
  DeliveryStreamName: string;
  DeliveryStreamType?: string;
  DirectPutSourceConfiguration?: { ThroughputHintInMBs?: number };
  KinesisStreamSourceConfiguration?: KinesisStreamSourceConfiguration;
  MSKSourceConfiguration?: unknown;
  DatabaseSourceConfiguration?: unknown;
  DeliveryStreamEncryptionConfigurationInput?: { KeyType?: string; KeyARN?: string };
  S3DestinationConfiguration?: ExtendedS3DestinationConfiguration;
  ExtendedS3DestinationConfiguration?: ExtendedS3DestinationConfiguration;
  RedshiftDestinationConfiguration?: RedshiftDestinationConfiguration;
  Tags?: Tag[];
  [member: string]: unknown;
}

/** The Kinesis data stream a `KinesisStreamAsSource` delivery stream reads (the model checked both ARNs' shapes). */
export interface KinesisStreamSourceConfiguration {
  KinesisStreamARN: string;
  RoleARN: string;
}

/** Where a delivery stream's records come from. */
export type SourceInput =
  | { type: 'DirectPut' }
  | { type: 'KinesisStreamAsSource'; kinesis: KinesisStreamSourceConfiguration };

/** What Redshift's COPY reads from the staged objects here (its S3Configuration.CompressionFormat). */
const REDSHIFT_COMPRESSION = new Set(['UNCOMPRESSED', 'GZIP']);
const SOURCE_MEMBERS = ['DirectPutSourceConfiguration', 'KinesisStreamSourceConfiguration', 'MSKSourceConfiguration', 'DatabaseSourceConfiguration'] as const;

/**
 * The source checks of CreateDeliveryStream: the type and its configuration agree, no other
 * source's configuration is given, and no stream encryption for a Kinesis source (its records
 * are encrypted by the Kinesis stream, as in AWS). Whether the Kinesis stream exists is checked
 * by the caller.
 */
export function checkSource(input: CreateDeliveryStreamInput): SourceInput {
  const type = input.DeliveryStreamType ?? 'DirectPut';
  if (type !== 'DirectPut' && type !== 'KinesisStreamAsSource') {
    throw invalidArgument(`DeliveryStreamType ${type} is not supported by this Hydrant version; use DirectPut or KinesisStreamAsSource.`);
  }
  const own = type === 'DirectPut' ? 'DirectPutSourceConfiguration' : 'KinesisStreamSourceConfiguration';
  for (const source of SOURCE_MEMBERS) {
    if (source !== own && input[source] !== undefined) throw invalidArgument(`${source} cannot be given for a ${type} delivery stream.`);
  }
  if (type === 'DirectPut') return { type };
  const kinesis = input.KinesisStreamSourceConfiguration;
  if (!kinesis) throw invalidArgument('KinesisStreamSourceConfiguration is required for a KinesisStreamAsSource delivery stream.');
  if (input.DeliveryStreamEncryptionConfigurationInput !== undefined) {
    throw invalidArgument('DeliveryStreamEncryptionConfigurationInput cannot be given for a KinesisStreamAsSource delivery stream: its records are encrypted by the source Kinesis stream.');
  }
  return { type, kinesis: { KinesisStreamARN: kinesis.KinesisStreamARN, RoleARN: kinesis.RoleARN } };
}

/** The destination members of CreateDeliveryStream this Hydrant version delivers to. */
export const SUPPORTED_DESTINATIONS: readonly string[] = ['ExtendedS3DestinationConfiguration', 'S3DestinationConfiguration', 'RedshiftDestinationConfiguration', ...SINK_MEMBERS];

/** What checking a destination needs from the node. */
export type CheckContext = SinkResolveContext;

/**
 * The semantic checks AWS makes after model validation (InvalidArgumentException). Returns the
 * destination to store (the legacy `S3DestinationConfiguration` is kept in the extended shape).
 */
export async function checkCreateInput(input: CreateDeliveryStreamInput, ctx: CheckContext): Promise<DestinationDefinition> {
  const destinations = Object.keys(input).filter((k) => k.endsWith('DestinationConfiguration') && input[k] !== undefined && input[k] !== null);
  if (destinations.length !== 1) throw invalidArgument('Exactly one destination configuration is supported for a Firehose');
  checkSource(input);
  if (input.DeliveryStreamEncryptionConfigurationInput !== undefined) {
    throw invalidArgument('DeliveryStreamEncryptionConfigurationInput (server-side encryption of the stream) is not supported by this Hydrant version.');
  }
  const which = destinations[0];
  if (!SUPPORTED_DESTINATIONS.includes(which)) {
    throw invalidArgument(`${which} is not supported by this Hydrant version; use one of ${SUPPORTED_DESTINATIONS.filter((m) => m !== 'S3DestinationConfiguration').join(', ')}.`);
  }
  if (typeof input[which] !== 'object' || Array.isArray(input[which])) throw invalidArgument(`${which} must be a structure.`);
  const dest: DestinationDefinition = which === 'RedshiftDestinationConfiguration'
    ? { Redshift: input.RedshiftDestinationConfiguration }
    : SINK_MEMBERS.includes(which)
      ? { sink: { member: which, config: input[which] as Record<string, unknown> } }
      : { ExtendedS3: input[which] as ExtendedS3DestinationConfiguration, ...(which === 'S3DestinationConfiguration' ? { legacyS3: true } : {}) };
  await checkDestination(dest, ctx);
  return dest;
}

/**
 * The checks of a destination (create, or the result of an update). A sink destination is
 * resolved (a plugin is loaded and its options checked): the resolution is returned for reuse.
 */
export async function checkDestination(dest: DestinationDefinition, ctx: CheckContext): Promise<ResolvedSinkDestination | undefined> {
  if (dest.Redshift) {
    const problem = checkRedshiftDestination(dest.Redshift, ctx.secrets, REDSHIFT_COMPRESSION);
    if (problem) throw invalidArgument(problem);
    return undefined;
  }
  if (dest.sink) return resolveSinkDestination(dest.sink, ctx);
  checkS3Destination(dest.ExtendedS3!);
  return undefined;
}

/** Checks of an S3 destination (create, or the merged result of an update). */
export function checkS3Destination(cfg: ExtendedS3DestinationConfiguration): void {
  try {
    bucketFromArn(cfg.BucketARN);
  } catch {
    throw invalidArgument(`BucketARN ${cfg.BucketARN} is not an S3 bucket ARN (arn:aws:s3:::<bucket>).`);
  }
  const hints = cfg.BufferingHints;
  if (hints && (hints.SizeInMBs === undefined) !== (hints.IntervalInSeconds === undefined)) {
    throw invalidArgument('BufferingHints.SizeInMBs and BufferingHints.IntervalInSeconds must be given together.');
  }
  const compression = cfg.CompressionFormat ?? 'UNCOMPRESSED';
  if (!isCompressionFormat(compression)) {
    throw invalidArgument(`CompressionFormat ${compression} is not supported; use one of ${COMPRESSION_FORMATS.join(', ')}.`);
  }
  const dynamicPartitioning = resolveDynamicPartitioning(cfg.DynamicPartitioningConfiguration);
  const processing = resolveProcessingConfiguration(cfg.ProcessingConfiguration as ProcessingConfigurationInput | undefined, { destination: 's3', dynamicPartitioning: dynamicPartitioning.enabled });
  // Record format conversion: its own checks (CompressionFormat UNCOMPRESSED, buffer ≥ 64 MiB, SerDes; ORC refused).
  conversionOf(cfg);
  const partitioningError = checkDynamicPartitioning({
    dynamicPartitioning, bufferingHints: cfg.BufferingHints, prefix: cfg.Prefix, errorOutputPrefix: cfg.ErrorOutputPrefix, processing,
  });
  if (partitioningError) throw invalidArgument(partitioningError);
  checkSourceBackup(cfg);
  if (!dynamicPartitioning.enabled) {
    const prefixError = validatePrefixes({ prefix: cfg.Prefix, errorOutputPrefix: cfg.ErrorOutputPrefix, dynamicPartitioning: false });
    if (prefixError) throw invalidArgument(prefixError);
  }
  if (cfg.FileExtension) {
    const extError = validateFileExtension(cfg.FileExtension);
    if (extError) throw invalidArgument(extError);
  }
  if (cfg.CustomTimeZone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: cfg.CustomTimeZone });
    } catch {
      throw invalidArgument(`CustomTimeZone ${cfg.CustomTimeZone} is not a valid time zone.`);
    }
  }
}

/** `S3BackupMode` / `S3BackupConfiguration` of an Extended S3 destination (the source-record backup). */
function checkSourceBackup(cfg: ExtendedS3DestinationConfiguration): void {
  if (cfg.S3BackupMode === 'Enabled' && !cfg.S3BackupConfiguration) throw invalidArgument('S3BackupConfiguration is required when S3BackupMode is Enabled.');
  const b = cfg.S3BackupConfiguration;
  if (!b) return;
  try {
    bucketFromArn(b.BucketARN);
  } catch {
    throw invalidArgument(`S3BackupConfiguration.BucketARN ${b.BucketARN} is not an S3 bucket ARN (arn:aws:s3:::<bucket>).`);
  }
  const compression = b.CompressionFormat ?? 'UNCOMPRESSED';
  if (!isCompressionFormat(compression)) throw invalidArgument(`S3BackupConfiguration.CompressionFormat ${compression} is not supported; use one of ${COMPRESSION_FORMATS.join(', ')}.`);
  const prefixError = validatePrefixes({ prefix: b.Prefix, errorOutputPrefix: b.ErrorOutputPrefix, dynamicPartitioning: false });
  if (prefixError) throw invalidArgument(`S3BackupConfiguration: ${prefixError}`);
}
