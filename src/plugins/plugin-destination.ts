/**
 * `HydrantPluginDestinationConfiguration`: a Hydrant-specific destination block (beside AWS's
 * `…DestinationConfiguration` members of CreateDeliveryStream) naming a user's sink module:
 *
 * ```json
 * "HydrantPluginDestinationConfiguration": {
 *   "Module": "./sinks/my-webhook.js",
 *   "Export": "default",
 *   "Options": { "url": "https://hooks.example.com/in", "token": "..." },
 *   "BufferingHints": { "SizeInMBs": 1, "IntervalInSeconds": 10 },
 *   "RetryOptions": { "DurationInSeconds": 300 },
 *   "S3BackupMode": "FailedDataOnly",
 *   "S3Configuration": { "RoleARN": "...", "BucketARN": "arn:aws:s3:::backup", "ErrorOutputPrefix": "failed/!{firehose:error-output-type}/" }
 * }
 * ```
 *
 * Resolution (at CreateDeliveryStream and UpdateDestination) loads the module, checks it exports
 * a `defineSink` plugin, validates `Options` with the plugin's schema and `validate`, and checks
 * the shared members with the same ranges as AWS's HTTP endpoint destination (buffering 1–128 MiB
 * and 0–900 s). Every problem is an InvalidArgumentException naming the member.
 */
import { invalidArgument } from '../core/aws-error.js';
import { OptionsError, redactOptions, validateOptions } from '../core/options-schema.js';
import type { SinkContext, SinkLimits, SinkPlugin } from '../core/plugin-api.js';
import type { Sink } from '../core/sink.js';
import {
  batchLimitsOf, checkS3BackupConfiguration, describeS3Backup, resolveBackupMode, resolveBufferingHints, resolveRetryOptions,
  type BufferingHints, type BufferingSpec, type RetryOptions, type S3BackupConfiguration,
} from '../../sinks/common/destination-config.js';
import type { ResolvedDestination } from '../../sinks/index.js';
import { loadSinkPlugin } from './load-sink.js';

export interface HydrantPluginDestinationConfiguration {
  /** The module: a path (absolute, or relative to the config file / working directory), a `file:` URL, or a package name. */
  Module: string;
  /** Which export holds the plugin (default: the default export, else an export named `sink`). */
  Export?: string;
  /** The plugin's own options, checked by its schema. */
  Options?: Record<string, unknown>;
  BufferingHints?: BufferingHints;
  RetryOptions?: RetryOptions;
  S3BackupMode?: string;
  S3Configuration: S3BackupConfiguration;
  ProcessingConfiguration?: { Enabled?: boolean; Processors?: unknown[] };
  CloudWatchLoggingOptions?: { Enabled?: boolean; LogGroupName?: string; LogStreamName?: string };
}

export interface ResolvedPluginDestination {
  plugin: SinkPlugin;
  /** Options after the schema's defaults and the plugin's `validate`. */
  options: unknown;
  buffering: Required<BufferingHints>;
  limits: SinkLimits;
  retryDurationSeconds: number;
  backupMode: 'FailedDataOnly' | 'AllData';
  /** `!{firehose:error-output-type}` of this destination's failed records: `<plugin name>-failed`. */
  errorOutputType: string;
  s3: S3BackupConfiguration;
}

const FIELD = 'HydrantPluginDestinationConfiguration';
const DEFAULT_RETRY_SECONDS = 300;

function bufferingSpec(plugin: SinkPlugin): BufferingSpec {
  return {
    sizeInMBs: { min: 1, max: 128, default: plugin.bufferingDefaults?.SizeInMBs ?? 5 },
    intervalInSeconds: { min: 0, max: 900, default: plugin.bufferingDefaults?.IntervalInSeconds ?? 300 },
  };
}

/** The plugin's options: schema first (defaults filled), then its `validate`. */
export function validatePluginOptions(plugin: SinkPlugin, options: unknown): unknown {
  let value: unknown = options ?? {};
  try {
    if (plugin.configSchema) value = validateOptions(plugin.configSchema, value, 'Options');
    if (plugin.validate) value = plugin.validate(value);
  } catch (err) {
    if (err instanceof OptionsError) throw invalidArgument(`${FIELD}.${err.message}`);
    throw invalidArgument(`${FIELD}.Options: ${(err as Error).message}`);
  }
  return value;
}

/** Load, check and resolve a plugin destination. `baseDir` anchors relative module paths. */
export async function resolvePluginDestination(cfg: HydrantPluginDestinationConfiguration, opts: { baseDir: string }): Promise<ResolvedPluginDestination> {
  if (typeof cfg?.Module !== 'string' || cfg.Module.trim() === '') throw invalidArgument(`${FIELD}.Module is required: the path or package name of a sink module.`);
  if (cfg.Options !== undefined && (typeof cfg.Options !== 'object' || cfg.Options === null || Array.isArray(cfg.Options))) {
    throw invalidArgument(`${FIELD}.Options must be an object.`);
  }
  const plugin = await loadSinkPlugin(cfg.Module, cfg.Export, opts.baseDir, FIELD);
  const options = validatePluginOptions(plugin, cfg.Options);
  const spec = bufferingSpec(plugin);
  const buffering = resolveBufferingHints(cfg.BufferingHints, spec, `${FIELD}.BufferingHints`);
  return {
    plugin,
    options,
    buffering,
    limits: batchLimitsOf(buffering, spec),
    retryDurationSeconds: resolveRetryOptions(cfg.RetryOptions, DEFAULT_RETRY_SECONDS, `${FIELD}.RetryOptions`).DurationInSeconds,
    backupMode: resolveBackupMode(cfg.S3BackupMode, ['FailedDataOnly', 'AllData'] as const, `${FIELD}.S3BackupMode`),
    errorOutputType: `${plugin.name}-failed`,
    s3: checkS3BackupConfiguration(cfg.S3Configuration, `${FIELD}.S3Configuration`),
  };
}

/** Build the sink of one delivery stream from a resolved plugin destination. */
export async function createPluginSink(resolved: ResolvedPluginDestination, ctx: SinkContext): Promise<Sink> {
  const sink = await resolved.plugin.create(resolved.options as never, ctx);
  if (!sink || typeof sink.send !== 'function') throw new Error(`sink plugin ${resolved.plugin.name}: create() did not return a sink with send()`);
  return sink;
}

/** The plugin destination in the shape the delivery wiring uses for every destination kind. */
export function pluginResolvedDestination(resolved: ResolvedPluginDestination): ResolvedDestination {
  return {
    member: FIELD,
    limits: resolved.limits,
    retryDurationSeconds: resolved.retryDurationSeconds,
    retryWindow: 'after-first-failure',
    backup: resolved.backupMode === 'AllData' ? 'all' : 'failed',
    errorOutputType: resolved.errorOutputType,
    s3: resolved.s3,
    createSink: (ctx) => createPluginSink(resolved, ctx),
  };
}

/** `HydrantPluginDestinationDescription`: defaults filled, options the schema marks secret shown as `****`. */
export function describePluginDestination(cfg: HydrantPluginDestinationConfiguration, resolved: ResolvedPluginDestination): Record<string, unknown> {
  return {
    Module: cfg.Module,
    ...(cfg.Export !== undefined ? { Export: cfg.Export } : {}),
    SinkName: resolved.plugin.name,
    Options: redactOptions(resolved.plugin.configSchema, resolved.options),
    BufferingHints: resolved.buffering,
    RetryOptions: { DurationInSeconds: resolved.retryDurationSeconds },
    S3BackupMode: resolved.backupMode,
    S3DestinationDescription: describeS3Backup(resolved.s3),
    ...(cfg.ProcessingConfiguration !== undefined ? { ProcessingConfiguration: cfg.ProcessingConfiguration } : {}),
    CloudWatchLoggingOptions: cfg.CloudWatchLoggingOptions ?? { Enabled: false },
  };
}
