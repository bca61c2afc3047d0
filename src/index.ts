/**
 * Hydrant's public API for plugin authors: the sink contract, `defineSink`, outcome helpers and
 * the options schema. The conformance suite is in `hydrant/testing` (and `hydrant/testing/vitest`);
 * embedding a node is `hydrant/server` (`startHydrant`). This entry stays light: importing it
 * loads no server code.
 */
export { defineSink, isSinkPlugin, SINK_PLUGIN, type SinkContext, type SinkLimits, type SinkLogger, type SinkPlugin } from './core/plugin-api.js';
export { delivered, rejected, retryable, type FailedOutcome, type RecordOutcome, type Sink, type SinkRecord, type SinkRequest, type SinkResult } from './core/sink.js';
export { OptionsError, redactOptions, validateOptions, type FieldDoc, type OptionsSchema } from './core/options-schema.js';
