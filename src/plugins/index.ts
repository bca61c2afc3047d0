/** User sink modules named by a delivery stream's `HydrantPluginDestinationConfiguration`. */
export * from './plugin-destination.js';
export { loadSinkPlugin, moduleUrl } from './load-sink.js';
