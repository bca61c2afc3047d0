/**
 * The built-in destinations other than S3, by the CreateDeliveryStream member that configures
 * them, behind one shape the delivery wiring uses for all of them (and for user plugins):
 * resolve and check a configuration, describe it, merge an update into it, and build its sink.
 * Everything a delivery driver needs to run a destination is in the resolved value: batching
 * limits, the retry window and how it is counted, the backup mode and failed-record folder.
 */
import type { SinkContext, SinkLimits } from '../src/core/plugin-api.js';
import type { Sink } from '../src/core/sink.js';
import type { ConfigContext, S3BackupConfiguration } from './common/destination-config.js';
import { mergeDestinationUpdate } from './common/merge-update.js';
import {
  createHttpEndpointSink, describeHttpEndpointDestination, httpEndpointLimits, resolveHttpEndpointConfig, type HttpEndpointDestinationConfiguration,
} from './http-endpoint/index.js';
import {
  checkOpenSearchUpdate, createOpenSearchSink, describeOpenSearchDestination, openSearchLimits, resolveOpenSearchConfig,
  type OpenSearchConfigContext, type OpenSearchDestinationConfiguration, type OpenSearchFlavor,
} from './opensearch/index.js';
import { checkSplunkUpdate, createSplunkSink, describeSplunkDestination, resolveSplunkConfig, splunkLimits, type SplunkDestinationConfiguration } from './splunk/index.js';

/** A destination ready to run: what the driver needs, and a sink factory. */
export interface ResolvedDestination {
  /** The CreateDeliveryStream member, e.g. `SplunkDestinationConfiguration`. */
  member: string;
  limits: SinkLimits;
  /** `RetryOptions.DurationInSeconds` in force (0 = no retries). */
  retryDurationSeconds: number;
  /**
   * When the retry window starts (destinations.md §0.3): OpenSearch counts from the first
   * attempt, including it; Splunk and HTTP endpoints from the first failure, without time spent
   * waiting for a response or an indexer acknowledgement.
   */
  retryWindow: 'from-first-attempt' | 'after-first-failure';
  /** `failed`: only records that exhausted retries go to S3; `all`: every record too (raw, under the normal prefix). */
  backup: 'failed' | 'all';
  /** `!{firehose:error-output-type}` of this destination's failed records. */
  errorOutputType: string;
  /** The backup bucket (`S3Configuration`). */
  s3: S3BackupConfiguration;
  /** Build the sink of one delivery stream (called at start and after every UpdateDestination; plugins may build asynchronously). */
  createSink(ctx: SinkContext): Sink | Promise<Sink>;
}

export type DestinationConfigContext = ConfigContext & OpenSearchConfigContext;

/** One built-in destination kind. */
export interface DestinationKind<C extends object = object> {
  /** The `…DestinationConfiguration` member of CreateDeliveryStream. */
  member: string;
  /** The `…DestinationUpdate` member of UpdateDestination. */
  updateMember: string;
  /** The `…DestinationDescription` member of DescribeDeliveryStream's destination. */
  descriptionMember: string;
  /** Check a configuration (InvalidArgumentException naming the field) and resolve it. */
  resolve(cfg: C, ctx?: DestinationConfigContext): ResolvedDestination;
  /** The description (secrets left out or redacted). */
  describe(cfg: C): Record<string, unknown>;
  /** Merge an update into the current configuration and check the transition (e.g. backup mode changes). */
  update(current: C, update: Record<string, unknown>): C;
}

const backupOf = (mode: string): 'failed' | 'all' => (mode === 'AllData' || mode === 'AllEvents' || mode === 'AllDocuments' ? 'all' : 'failed');

/** What a sink module provides; `kind` turns it into a DestinationKind. */
interface KindSpec<C extends object, R extends { retryDurationSeconds: number; backupMode: string; errorOutputType: string; s3: S3BackupConfiguration }> {
  member: string;
  /** `SplunkDestination` → `SplunkDestinationUpdate`, `SplunkDestinationDescription`. */
  prefix: string;
  retryWindow: ResolvedDestination['retryWindow'];
  resolve(cfg: C, ctx?: DestinationConfigContext): R;
  limits(r: R): SinkLimits;
  create(r: R, ctx: SinkContext): Sink;
  describe(cfg: C): Record<string, unknown>;
  checkUpdate?(current: C, next: C): void;
}

function kind<C extends object, R extends { retryDurationSeconds: number; backupMode: string; errorOutputType: string; s3: S3BackupConfiguration }>(spec: KindSpec<C, R>): DestinationKind {
  const k: DestinationKind<C> = {
    member: spec.member,
    updateMember: `${spec.prefix}Update`,
    descriptionMember: `${spec.prefix}Description`,
    resolve(cfg, ctx) {
      const r = spec.resolve(cfg, ctx);
      return {
        member: spec.member, limits: spec.limits(r), retryDurationSeconds: r.retryDurationSeconds, retryWindow: spec.retryWindow,
        backup: backupOf(r.backupMode), errorOutputType: r.errorOutputType, s3: r.s3, createSink: (sctx) => spec.create(r, sctx),
      };
    },
    describe: spec.describe,
    update(current, update) {
      const next = mergeDestinationUpdate(current, update);
      spec.checkUpdate?.(current, next);
      return next;
    },
  };
  return k as unknown as DestinationKind;
}

const openSearch = (flavor: OpenSearchFlavor, prefix: string) => kind({
  member: flavor,
  prefix,
  retryWindow: 'from-first-attempt',
  resolve: (cfg: OpenSearchDestinationConfiguration, ctx) => resolveOpenSearchConfig(cfg, flavor, ctx),
  limits: openSearchLimits,
  create: (r, ctx) => createOpenSearchSink(r, ctx),
  describe: (cfg) => describeOpenSearchDestination(cfg, flavor),
  checkUpdate: checkOpenSearchUpdate,
});

/** Built-in destination kinds by CreateDeliveryStream member. */
export const DESTINATION_KINDS: Readonly<Record<string, DestinationKind>> = Object.freeze({
  HttpEndpointDestinationConfiguration: kind({
    member: 'HttpEndpointDestinationConfiguration',
    prefix: 'HttpEndpointDestination',
    retryWindow: 'after-first-failure',
    resolve: (cfg: HttpEndpointDestinationConfiguration, ctx) => resolveHttpEndpointConfig(cfg, ctx),
    limits: httpEndpointLimits,
    create: (r, ctx) => createHttpEndpointSink(r, ctx),
    describe: describeHttpEndpointDestination,
  }),
  SplunkDestinationConfiguration: kind({
    member: 'SplunkDestinationConfiguration',
    prefix: 'SplunkDestination',
    retryWindow: 'after-first-failure',
    resolve: (cfg: SplunkDestinationConfiguration, ctx) => resolveSplunkConfig(cfg, ctx),
    limits: splunkLimits,
    create: (r, ctx) => createSplunkSink(r, ctx),
    describe: describeSplunkDestination,
    checkUpdate: checkSplunkUpdate,
  }),
  AmazonopensearchserviceDestinationConfiguration: openSearch('AmazonopensearchserviceDestinationConfiguration', 'AmazonopensearchserviceDestination'),
  ElasticsearchDestinationConfiguration: openSearch('ElasticsearchDestinationConfiguration', 'ElasticsearchDestination'),
});
