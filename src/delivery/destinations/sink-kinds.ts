/**
 * The destinations delivered through a `Sink` (HTTP endpoint, Splunk, OpenSearch/Elasticsearch
 * and user plugins), by CreateDeliveryStream member: resolving a stored definition (which checks
 * it, InvalidArgumentException naming the field), its description, and an UpdateDestination
 * member merged into it.
 */
import { invalidArgument } from '../../core/aws-error.js';
import { resolveProcessingConfiguration, type ProcessingConfigurationInput, type ProcessingContext } from '../transform/processing-config.js';
import type { SecretResolver } from '../../config/secrets.js';
import { DESTINATION_KINDS, type DestinationConfigContext, type ResolvedDestination } from '../../../sinks/index.js';
import {
  describePluginDestination, pluginResolvedDestination, resolvePluginDestination, type HydrantPluginDestinationConfiguration, type ResolvedPluginDestination,
} from '../../plugins/plugin-destination.js';
import { mergeDestinationUpdate } from '../../../sinks/common/merge-update.js';
import type { SinkDestinationDefinition } from '../catalog.js';

export const PLUGIN_MEMBER = 'HydrantPluginDestinationConfiguration';

/** The CreateDeliveryStream members delivered through a sink. */
export const SINK_MEMBERS: readonly string[] = [...Object.keys(DESTINATION_KINDS), PLUGIN_MEMBER];

/** What resolving a sink destination needs from the node. */
export interface SinkResolveContext {
  secrets: SecretResolver;
  /** Relative plugin module paths resolve from here (the config file's directory, else the working directory). */
  pluginBaseDir: string;
  /** `DomainARN` → cluster URL for OpenSearch destinations given by domain. */
  opensearchDomains?: Record<string, string>;
}

/** A resolved sink destination plus the names it goes by in journals, logs and metrics. */
export interface ResolvedSinkDestination extends ResolvedDestination {
  /** Journal target kind and log name, e.g. `http-endpoint`. */
  kind: string;
  /** `DeliveryTo<metricName>.*` metrics. */
  metricName: string;
}

/**
 * Per sink member: its journal/log name, its metrics' name, and Firehose's destination family
 * (Lambda buffering defaults depend on it; Splunk's are smaller).
 */
const NAMES: Record<string, { kind: string; metricName: string; family?: ProcessingContext['destination'] }> = {
  HttpEndpointDestinationConfiguration: { kind: 'http-endpoint', metricName: 'HttpEndpoint', family: 'http' },
  SplunkDestinationConfiguration: { kind: 'splunk', metricName: 'Splunk', family: 'splunk' },
  AmazonopensearchserviceDestinationConfiguration: { kind: 'opensearch', metricName: 'AmazonOpenSearchService', family: 'opensearch' },
  ElasticsearchDestinationConfiguration: { kind: 'elasticsearch', metricName: 'Elasticsearch', family: 'opensearch' },
  [PLUGIN_MEMBER]: { kind: 'plugin', metricName: 'Plugin' },
};

/** Firehose's destination family of a sink member, for its processing configuration. */
export function sinkProcessingFamily(member: string): ProcessingContext['destination'] | undefined {
  return NAMES[member]?.family;
}

function configContext(ctx: SinkResolveContext): DestinationConfigContext {
  return {
    resolveSecret: (arn) => {
      const value = ctx.secrets(arn);
      return value === undefined ? undefined : JSON.stringify(value);
    },
    resolveDomainEndpoint: (arn) => ctx.opensearchDomains?.[arn],
  };
}

/** Plugin descriptions need the loaded plugin (its schema says which options are secret): kept per stored config. */
const pluginResolutions = new WeakMap<object, ResolvedPluginDestination>();

/** Check a sink destination and resolve it (plugins are loaded, so this is asynchronous). */
export async function resolveSinkDestination(def: SinkDestinationDefinition, ctx: SinkResolveContext): Promise<ResolvedSinkDestination> {
  const names = NAMES[def.member];
  if (!names) throw invalidArgument(`${def.member} is not supported by this Hydrant version.`);
  // Transforms run in front of every destination (TransformingDestination); failed records go to S3Configuration's error prefix.
  const processing = (def.config as { ProcessingConfiguration?: ProcessingConfigurationInput }).ProcessingConfiguration;
  resolveProcessingConfiguration(processing, { destination: names.family });
  const { kind, metricName } = names;
  if (def.member === PLUGIN_MEMBER) {
    const cfg = def.config as unknown as HydrantPluginDestinationConfiguration;
    const resolved = await resolvePluginDestination(cfg, { baseDir: ctx.pluginBaseDir });
    pluginResolutions.set(def.config, resolved);
    return { ...pluginResolvedDestination(resolved), kind, metricName };
  }
  return { ...DESTINATION_KINDS[def.member].resolve(def.config, configContext(ctx)), kind, metricName };
}

/** The destination's `…DestinationDescription` member and value. */
export function describeSinkDestination(def: SinkDestinationDefinition): Record<string, unknown> {
  if (def.member === PLUGIN_MEMBER) {
    const cfg = def.config as unknown as HydrantPluginDestinationConfiguration;
    const resolved = pluginResolutions.get(def.config);
    // Not resolved in this process (it failed to load at start): no option is shown, any may be secret.
    return { HydrantPluginDestinationDescription: resolved ? describePluginDestination(cfg, resolved) : { Module: cfg.Module, Options: '****' } };
  }
  const kind = DESTINATION_KINDS[def.member];
  return { [kind.descriptionMember]: kind.describe(def.config) };
}

/** The sink member an UpdateDestination member updates (`SplunkDestinationUpdate` → `SplunkDestinationConfiguration`), if any. */
export function sinkMemberOfUpdate(updateMember: string): string | undefined {
  if (updateMember === 'HydrantPluginDestinationUpdate') return PLUGIN_MEMBER;
  return Object.values(DESTINATION_KINDS).find((k) => k.updateMember === updateMember)?.member;
}

/**
 * An UpdateDestination member applied to the current destination: the same kind merges
 * member-wise (and checks the transition, e.g. backup mode changes); another kind replaces the
 * destination, so the update must be a whole configuration (checked when it is resolved).
 */
export function updatedSinkDestination(current: SinkDestinationDefinition | undefined, member: string, update: Record<string, unknown>): SinkDestinationDefinition {
  if (current?.member !== member) return { member, config: mergeDestinationUpdate({}, update) };
  if (member === PLUGIN_MEMBER) return { member, config: mergeDestinationUpdate(current.config, update) };
  return { member, config: DESTINATION_KINDS[member].update(current.config, update) as Record<string, unknown> };
}
