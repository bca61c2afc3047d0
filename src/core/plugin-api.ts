/**
 * The sink plugin API: how a destination is declared, built-in (`sinks/<name>/`) or written
 * outside the project and named by path in a delivery stream's
 * `HydrantPluginDestinationConfiguration`. A plugin declares its options (a schema, a
 * `validate` function, or both), checked at CreateDeliveryStream, and a factory that builds a
 * `Sink` (see `sink.ts`) for one delivery stream. Pure types and one helper, no I/O.
 */
import type { Sink } from './sink.js';
import type { OptionsSchema } from './options-schema.js';

/** How a sink's batches are cut (the delivery buffer): bytes before compression, records, age. */
export interface SinkLimits {
  maxBytes: number;
  maxRecords?: number;
  /** 0 means "flush as soon as nothing more is waiting". */
  intervalMs: number;
}

/** A logger with pino's call shape (`logger.warn({ context }, 'message')`). */
export interface SinkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What Hydrant tells a sink about where it runs. */
export interface SinkContext {
  /** The delivery stream the sink delivers for. */
  readonly deliveryStreamName: string;
  /** `arn:aws:firehose:<region>:<account>:deliverystream/<name>` (HTTP endpoints send it as X-Amz-Firehose-Source-Arn). */
  readonly deliveryStreamArn: string;
  readonly logger?: SinkLogger;
  /** Wall clock, epoch ms (injectable for tests; default Date.now). */
  readonly now?: () => number;
}

/** A sink plugin: a name, its options' checks, and a factory. Build one with `defineSink`. */
export interface SinkPlugin<O = unknown> {
  /** Marks the object as a sink plugin (checked by field, so two copies of the package still match). */
  readonly [SINK_PLUGIN]: true;
  /** A noun naming the destination: `opensearch`, `splunk`, `my-webhook`. */
  readonly name: string;
  readonly description?: string;
  /** The options' shape, documented; defaults are filled before `validate` and `create` see them. */
  readonly configSchema?: OptionsSchema;
  /**
   * Further checks (or a whole parser when there is no schema): return the options `create`
   * gets, or throw an Error whose message names the field (it becomes an InvalidArgumentException).
   */
  validate?(options: unknown): O;
  /** Buffering when the destination block gives no `BufferingHints` (default 5 MiB / 300 s, as AWS's HTTP endpoint). */
  readonly bufferingDefaults?: { SizeInMBs: number; IntervalInSeconds: number };
  /** Build the sink of one delivery stream. Called at start and after every UpdateDestination. */
  create(options: O, ctx: SinkContext): Sink | Promise<Sink>;
}

/** The registry key `SinkPlugin`s carry (a global symbol: plugins may bundle their own copy of Hydrant). */
export const SINK_PLUGIN: unique symbol = Symbol.for('hydrant.sink-plugin');

/** Declare a sink plugin (the module's default export, or a named export given by `Export`). */
export function defineSink<O = unknown>(spec: Omit<SinkPlugin<O>, typeof SINK_PLUGIN>): SinkPlugin<O> {
  if (typeof spec.name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(spec.name)) {
    throw new Error(`defineSink: name must be 1-64 lowercase letters, digits or '-'; got ${String(spec.name)}`);
  }
  if (typeof spec.create !== 'function') throw new Error(`defineSink(${spec.name}): create must be a function`);
  return Object.freeze({ ...spec, [SINK_PLUGIN]: true as const });
}

/** True for objects made by `defineSink` (from any copy of the package). */
export function isSinkPlugin(value: unknown): value is SinkPlugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SINK_PLUGIN] === true &&
    typeof (value as SinkPlugin).create === 'function';
}
