export { ShardLog, DEFAULT_SEGMENT_BYTES, type ShardLogOptions } from './shard-log.js';
export { LogUnavailableError, ShardClosedError, rangeResults, type LogPositions, type ReadOptions, type ShardLogBackend, type TrimResult } from './backend.js';
export type { WriterStats as ShardLogStats } from './writer.js';
export type { LogIo } from './io.js';
export { segmentFileName, parseSegmentFileName } from './segment.js';
export { HEADER_BYTES as FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './frame.js';
