/**
 * `AmazonopensearchserviceDestinationConfiguration` (and the legacy
 * `ElasticsearchDestinationConfiguration`, same members): resolution with AWS's defaults and
 * ranges, checks naming the field, batching limits (1–100 MiB, 0–900 s), index rotation, and
 * the `…DestinationDescription` DescribeDeliveryStream shows (no password). Pure functions.
 *
 * Hydrant additions: `ClusterEndpoint` may be plain `http://` and may carry basic-auth
 * credentials (`https://user:password@host:9200`); a `DomainARN` is resolved through the node's
 * configuration (it names an AWS domain Hydrant cannot look up by itself).
 */
import { invalidArgument } from '../../src/core/aws-error.js';
import type { SinkLimits } from '../../src/core/plugin-api.js';
import {
  batchLimitsOf, checkS3BackupConfiguration, describeS3Backup, parseDestinationUrl, redactUrl, resolveBackupMode, resolveBufferingHints,
  resolveRetryOptions, type BufferingHints, type BufferingSpec, type ConfigContext, type RetryOptions, type S3BackupConfiguration,
} from '../common/destination-config.js';

export type IndexRotationPeriod = 'NoRotation' | 'OneHour' | 'OneDay' | 'OneWeek' | 'OneMonth';
export type DocumentIdFormat = 'FIREHOSE_DEFAULT' | 'NO_DOCUMENT_ID';

export interface OpenSearchDestinationConfiguration {
  RoleARN?: string;
  DomainARN?: string;
  ClusterEndpoint?: string;
  IndexName: string;
  TypeName?: string;
  IndexRotationPeriod?: IndexRotationPeriod;
  BufferingHints?: BufferingHints;
  RetryOptions?: RetryOptions;
  S3BackupMode?: string;
  S3Configuration: S3BackupConfiguration;
  DocumentIdOptions?: { DefaultDocumentIdFormat: DocumentIdFormat };
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  CloudWatchLoggingOptions?: { Enabled?: boolean; LogGroupName?: string; LogStreamName?: string };
  VpcConfiguration?: Record<string, unknown>;
}

/** Which API member the configuration came in. */
export type OpenSearchFlavor = 'AmazonopensearchserviceDestinationConfiguration' | 'ElasticsearchDestinationConfiguration';

export interface ResolvedOpenSearchConfig {
  /** Cluster URL without credentials. */
  endpoint: URL;
  auth?: { username: string; password: string };
  indexName: string;
  typeName: string;
  rotation: IndexRotationPeriod;
  documentIds: DocumentIdFormat;
  buffering: Required<BufferingHints>;
  retryDurationSeconds: number;
  backupMode: 'FailedDocumentsOnly' | 'AllDocuments';
  errorOutputType: 'AmazonOpenSearchService-failed' | 'elasticsearch-failed';
  s3: S3BackupConfiguration;
}

/** destinations.md §0.2: 1–100 MiB (default 5), 0–900 s (default 300). */
export const OPENSEARCH_BUFFERING: BufferingSpec = {
  sizeInMBs: { min: 1, max: 100, default: 5 },
  intervalInSeconds: { min: 0, max: 900, default: 300 },
};
/** AWS's default retry window for this destination. */
export const OPENSEARCH_DEFAULT_RETRY_SECONDS = 300;

const ROTATIONS = new Set<string>(['NoRotation', 'OneHour', 'OneDay', 'OneWeek', 'OneMonth']);
const BACKUP_MODES = ['FailedDocumentsOnly', 'AllDocuments'] as const;

export interface OpenSearchConfigContext extends ConfigContext {
  /** The cluster URL of a `DomainARN` (from Hydrant's configuration), or undefined. */
  resolveDomainEndpoint?(domainArn: string): string | undefined;
}

export function resolveOpenSearchConfig(cfg: OpenSearchDestinationConfiguration, flavor: OpenSearchFlavor = 'AmazonopensearchserviceDestinationConfiguration', ctx: OpenSearchConfigContext = {}): ResolvedOpenSearchConfig {
  const F = flavor;
  if ((cfg.DomainARN === undefined) === (cfg.ClusterEndpoint === undefined)) throw invalidArgument(`${F}: exactly one of DomainARN and ClusterEndpoint must be given.`);
  let raw = cfg.ClusterEndpoint;
  if (cfg.DomainARN !== undefined) {
    raw = ctx.resolveDomainEndpoint?.(cfg.DomainARN);
    if (raw === undefined) throw invalidArgument(`${F}.DomainARN ${cfg.DomainARN} is not a domain this Hydrant node knows; give ClusterEndpoint, or map the ARN to a URL in the node's configuration.`);
  }
  const url = parseDestinationUrl(raw, `${F}.ClusterEndpoint`);
  const auth = url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  if (typeof cfg.IndexName !== 'string' || cfg.IndexName.length < 1 || cfg.IndexName.length > 80) throw invalidArgument(`${F}.IndexName must have 1 to 80 characters.`);
  if (cfg.IndexName !== cfg.IndexName.toLowerCase() || /[\\/*?"<>| ,#:]/.test(cfg.IndexName) || /^[-_+.]/.test(cfg.IndexName)) {
    throw invalidArgument(`${F}.IndexName ${cfg.IndexName} is not a valid index name (lowercase, no spaces or \\ / * ? " < > | , # :, not starting with - _ + or .).`);
  }
  if (cfg.TypeName !== undefined && cfg.TypeName.length > 100) throw invalidArgument(`${F}.TypeName must have at most 100 characters.`);
  const rotation = cfg.IndexRotationPeriod ?? 'OneDay';
  if (!ROTATIONS.has(rotation)) throw invalidArgument(`${F}.IndexRotationPeriod must be one of NoRotation, OneHour, OneDay, OneWeek, OneMonth; got ${rotation}.`);
  const ids = cfg.DocumentIdOptions?.DefaultDocumentIdFormat ?? 'FIREHOSE_DEFAULT';
  if (ids !== 'FIREHOSE_DEFAULT' && ids !== 'NO_DOCUMENT_ID') throw invalidArgument(`${F}.DocumentIdOptions.DefaultDocumentIdFormat must be FIREHOSE_DEFAULT or NO_DOCUMENT_ID; got ${String(ids)}.`);
  return {
    endpoint: url,
    auth,
    indexName: cfg.IndexName,
    typeName: cfg.TypeName ?? '',
    rotation,
    documentIds: ids,
    buffering: resolveBufferingHints(cfg.BufferingHints, OPENSEARCH_BUFFERING, `${F}.BufferingHints`),
    retryDurationSeconds: resolveRetryOptions(cfg.RetryOptions, OPENSEARCH_DEFAULT_RETRY_SECONDS, `${F}.RetryOptions`).DurationInSeconds,
    backupMode: resolveBackupMode(cfg.S3BackupMode, BACKUP_MODES, `${F}.S3BackupMode`),
    errorOutputType: flavor === 'ElasticsearchDestinationConfiguration' ? 'elasticsearch-failed' : 'AmazonOpenSearchService-failed',
    s3: checkS3BackupConfiguration(cfg.S3Configuration, `${F}.S3Configuration`),
  };
}

/** S3BackupMode cannot be changed after creation (as AWS). */
export function checkOpenSearchUpdate(current: OpenSearchDestinationConfiguration, next: OpenSearchDestinationConfiguration): void {
  if ((current.S3BackupMode ?? 'FailedDocumentsOnly') !== (next.S3BackupMode ?? 'FailedDocumentsOnly')) {
    throw invalidArgument('S3BackupMode of an OpenSearch destination cannot be changed after the delivery stream is created.');
  }
}

export function openSearchLimits(cfg: ResolvedOpenSearchConfig): SinkLimits {
  return batchLimitsOf(cfg.buffering, OPENSEARCH_BUFFERING);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** strftime `%U`: weeks start on Sunday; days before the year's first Sunday are week 00 (AWS: 2016-02-25 → w08). */
export function sundayWeekOfYear(d: Date): number {
  const yday = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000);
  return Math.floor((yday + 7 - d.getUTCDay()) / 7);
}

/** The index a record arriving at `arrivedAt` (epoch ms) goes to: `IndexName` plus the rotation suffix (UTC). */
export function indexNameFor(indexName: string, rotation: IndexRotationPeriod, arrivedAt: number): string {
  if (rotation === 'NoRotation') return indexName;
  const d = new Date(arrivedAt);
  const y = d.getUTCFullYear();
  switch (rotation) {
    case 'OneHour': return `${indexName}-${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}`;
    case 'OneDay': return `${indexName}-${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'OneWeek': return `${indexName}-${y}-w${pad(sundayWeekOfYear(d))}`;
    case 'OneMonth': return `${indexName}-${y}-${pad(d.getUTCMonth() + 1)}`;
  }
}

/** `AmazonopensearchserviceDestinationDescription` (or `ElasticsearchDestinationDescription`): credentials redacted. */
export function describeOpenSearchDestination(cfg: OpenSearchDestinationConfiguration, flavor: OpenSearchFlavor = 'AmazonopensearchserviceDestinationConfiguration'): Record<string, unknown> {
  // Describe shows the DomainARN as given; its URL mapping is not needed for that.
  const r = resolveOpenSearchConfig(cfg, flavor, { resolveDomainEndpoint: () => 'https://domain.invalid' });
  return {
    ...(cfg.RoleARN !== undefined ? { RoleARN: cfg.RoleARN } : {}),
    ...(cfg.DomainARN !== undefined ? { DomainARN: cfg.DomainARN } : {}),
    ...(cfg.ClusterEndpoint !== undefined ? { ClusterEndpoint: redactUrl(cfg.ClusterEndpoint) } : {}),
    IndexName: r.indexName,
    ...(cfg.TypeName !== undefined ? { TypeName: cfg.TypeName } : {}),
    IndexRotationPeriod: r.rotation,
    BufferingHints: r.buffering,
    RetryOptions: { DurationInSeconds: r.retryDurationSeconds },
    S3BackupMode: r.backupMode,
    S3DestinationDescription: describeS3Backup(r.s3),
    ...(cfg.ProcessingConfiguration !== undefined ? { ProcessingConfiguration: cfg.ProcessingConfiguration } : {}),
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
    ...(cfg.VpcConfiguration !== undefined ? { VpcConfigurationDescription: cfg.VpcConfiguration } : {}),
    DocumentIdOptions: { DefaultDocumentIdFormat: r.documentIds },
  };
}
