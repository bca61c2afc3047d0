/** `hydrant/testing`: tools for sink authors (the conformance suite the built-in sinks pass). */
export { runSinkConformance, defaultRecords, SINK_CONFORMANCE_CHECKS, type ConformanceOptions, type ConformanceReport, type ConformanceTarget } from './conformance.js';
