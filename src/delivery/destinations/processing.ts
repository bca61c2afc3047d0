/**
 * Wires a delivery stream's `ProcessingConfiguration` into its destination: whatever the
 * destination type, the processor chain of the current definition runs before the destination
 * encodes a batch (see `TransformingDestination`). The chain is rebuilt when UpdateDestination
 * changes the configuration. Failed records go to the error prefix of the S3 configuration that
 * takes failed records: the destination's own for S3, else its nested `S3Configuration` (the
 * Redshift intermediate bucket, the backup bucket of HTTP endpoint, Splunk and OpenSearch).
 */
import type { S3DestinationConfiguration } from '../../core/s3-configuration.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { S3Backup } from '../../backup/s3-backup.js';
import type { BackupHealth } from '../../backup/write-retry.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import type { Clock } from '../../util/clock.js';
import type { ObjectStore } from '../../../sinks/s3/object-store.js';
import type { DeliveryStreamDefinition } from '../catalog.js';
import type { Destination } from '../destination.js';
import { ProcessorChain, resolveProcessingConfiguration, type ProcessingConfigurationInput, type ProcessingContext, type TransformServices } from '../transform/index.js';
import type { ErrorOutputLocation } from './error-objects.js';
import { TransformingDestination } from './transforming.js';
import { sinkProcessingFamily } from './sink-kinds.js';
import { recordSequenceNumber, type ShardSeqInfo } from '../../stream/sequence.js';
import type { KinesisSourcedRecord } from '../destination.js';
import type { KinesisRecordMetadata } from '../transform/index.js';

export interface ProcessingWiring {
  current: () => DeliveryStreamDefinition;
  /** The node's Lambda runtime and jq engine (absent: a configuration with a Lambda or jq processor fails its records). */
  services?: TransformServices;
  region: string;
  accountId: string;
  store: ObjectStore;
  logger: Logger;
  clock: Clock;
  backoff: BackoffPolicy;
  health: BackupHealth;
  /** Source-backup metrics (`BackupToS3.*`). */
  metrics?: Metrics;
  /** For a Kinesis data stream source: its shards (sequence numbers in the Lambda event). */
  sourceShard?: (shardId: string) => ShardSeqInfo | undefined;
}

type DestinationMember = Record<string, unknown> & {
  ProcessingConfiguration?: ProcessingConfigurationInput;
  S3Configuration?: S3DestinationConfiguration;
  DynamicPartitioningConfiguration?: { Enabled?: boolean };
};

/** Firehose's destination family of a definition (Lambda buffering defaults depend on it). */
function familyOf(def: DeliveryStreamDefinition): ProcessingContext['destination'] | undefined {
  if (def.destination.sink) return sinkProcessingFamily(def.destination.sink.member);
  return def.destination.Redshift ? 'redshift' : 's3';
}

/** The destination member of a definition (the one configuration object it holds). */
function destinationMember(def: DeliveryStreamDefinition): { name: string; cfg: DestinationMember } {
  const sink = def.destination.sink;
  if (sink) return { name: sink.member.replace(/DestinationConfiguration$/, ''), cfg: sink.config as DestinationMember };
  for (const [name, value] of Object.entries(def.destination)) {
    if (value && typeof value === 'object') return { name, cfg: value as DestinationMember };
  }
  throw new Error(`delivery stream ${def.name} has no destination`);
}

/** Where failed records of this definition go. */
export function errorOutputOf(def: DeliveryStreamDefinition): ErrorOutputLocation {
  const { name, cfg } = destinationMember(def);
  if (name === 'ExtendedS3') return { config: cfg as unknown as S3DestinationConfiguration & { CustomTimeZone?: string }, version: def.versionId };
  if (!cfg.S3Configuration) throw new Error(`delivery stream ${def.name}: the ${name} destination has no S3Configuration for failed records`);
  return { config: cfg.S3Configuration, version: def.versionId };
}

/** The processing configuration of a definition, resolved (throws InvalidArgumentException when it is invalid). */
export function processingOf(def: DeliveryStreamDefinition) {
  const { cfg } = destinationMember(def);
  return resolveProcessingConfiguration(cfg.ProcessingConfiguration, {
    destination: familyOf(def),
    dynamicPartitioning: cfg.DynamicPartitioningConfiguration?.Enabled === true,
  });
}

/** `inner` with the definition's processor chain in front of it. */
export function withProcessing(inner: Destination, w: ProcessingWiring): Destination {
  let cached: { key: string; chain: ProcessorChain | undefined } | undefined;
  const chain = (): ProcessorChain | undefined => {
    const def = w.current();
    const { cfg } = destinationMember(def);
    const key = JSON.stringify([cfg.ProcessingConfiguration ?? null, cfg.DynamicPartitioningConfiguration?.Enabled === true, def.arn]);
    if (cached?.key === key) return cached.chain;
    const config = processingOf(def);
    const built = config.enabled
      ? new ProcessorChain({
        config,
        deliveryStreamArn: def.arn,
        region: w.region,
        accountId: w.accountId,
        sourceKinesisStreamArn: def.kinesisSource?.KinesisStreamARN,
        key: def.name,
        lambda: w.services?.lambda ?? (async () => ({ ok: false, errorCode: 'Lambda.ResourceNotFound', errorMessage: 'no Lambda runtime on this node', durationMs: 0 })),
        jq: w.services?.jq,
        onInvocation: invocationMetrics(w.metrics, def.name),
      })
      : undefined;
    cached = { key, chain: built };
    return built;
  };
  return new TransformingDestination({
    inner,
    streamName: w.current().name,
    chain,
    errorOutput: () => errorOutputOf(w.current()),
    store: w.store,
    clock: w.clock,
    backoff: w.backoff,
    health: w.health,
    logger: w.logger,
    kinesisMetadata: w.sourceShard && kinesisMetadata(w.sourceShard),
    onProcessed: (c) => {
      const name = w.current().name;
      w.metrics?.succeedProcessingRecords.labels(name).inc(c.ok + c.dropped);
      w.metrics?.succeedProcessingBytes.labels(name).inc(c.okBytes);
      if (c.failed > 0) w.metrics?.failedProcessingRecords.labels(name).inc(c.failed);
    },
    sourceBackup: destinationMember(w.current()).name === 'ExtendedS3' ? extendedS3SourceBackup(w) : undefined,
  });
}

/**
 * `S3BackupMode: Enabled` on Extended S3: the records as they arrived (before any transform or
 * conversion) are also written under `S3BackupConfiguration`, with its own buffering. (Redshift's
 * destination writes its own source backup.)
 */
function extendedS3SourceBackup(w: ProcessingWiring): { enabled: () => boolean; backup: S3Backup } {
  const cfg = () => w.current().destination.ExtendedS3;
  const name = w.current().name;
  const backup = new S3Backup({
    streamName: name,
    // Only written while S3BackupMode is Enabled, which requires S3BackupConfiguration.
    current: () => ({ config: cfg()!.S3BackupConfiguration as S3DestinationConfiguration, version: w.current().versionId }),
    store: w.store,
    clock: w.clock,
    backoff: w.backoff,
    health: w.health,
    onWritten: (o) => {
      w.metrics?.backupToS3Records.labels(name).inc(o.records);
      w.metrics?.backupToS3Bytes.labels(name).inc(o.bytes);
    },
  });
  return { enabled: () => cfg()?.S3BackupMode === 'Enabled' && cfg()?.S3BackupConfiguration !== undefined, backup };
}

/** `kinesisRecordMetadata` of records read from a Kinesis data stream (reference §8.2). */
function kinesisMetadata(shardOf: (shardId: string) => ShardSeqInfo | undefined): (record: KinesisSourcedRecord) => KinesisRecordMetadata | undefined {
  return (record) => {
    const src = record.kinesisSource;
    const shard = src && shardOf(src.shardId);
    if (!src || !shard) return undefined;
    return {
      shardId: src.shardId,
      partitionKey: record.partitionKey,
      approximateArrivalTimestamp: record.arrivedAt,
      sequenceNumber: recordSequenceNumber(shard, record.position, record.arrivedAt),
      subsequenceNumber: src.subsequenceNumber,
    };
  };
}

/** `ExecuteProcessing.Duration` (the last invocation) and `.Success` (since start) of one stream. */
function invocationMetrics(metrics: Metrics | undefined, stream: string): ((o: { ok: boolean; durationMs: number }) => void) | undefined {
  if (!metrics) return undefined;
  let attempts = 0;
  let successes = 0;
  return (o) => {
    attempts++;
    if (o.ok) successes++;
    metrics.executeProcessingDuration.labels(stream).set(o.durationMs);
    metrics.executeProcessingSuccess.labels(stream).set(successes / attempts);
  };
}
