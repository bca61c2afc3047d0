/**
 * S3 object keys: `<evaluated prefix><stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>`
 * (reference §7.1). The uuid and any `!{firehose:random-string}` values are derived from the batch
 * identity, so a retried or replayed batch is written to the same key and overwrites instead of
 * duplicating.
 */
import { createHash, randomUUID } from 'node:crypto';
import { compilePattern } from './java-time-pattern.js';
import { zonedFields } from './zoned-time.js';

export { evaluatePrefix, evaluateErrorPrefix, errorPrefixTemplate, parsePrefix, PrefixEvaluationError, PrefixSyntaxError,
  DEFAULT_TIME_PATTERN, MAX_EVALUATED_PREFIX, type PrefixContext } from './prefix.js';
export { validatePrefixes, type PrefixSettings } from './prefix-validation.js';
export { extensionFor, validateFileExtension, type CompressionFormat } from './compression-format.js';

const SUFFIX_TIME = 'yyyy-MM-dd-HH-mm-ss';

export interface ObjectKeyInput {
  /** The already evaluated prefix. */
  prefix: string;
  streamName: string;
  /** The delivery stream's VersionId. */
  version: number | string;
  /** Same instant as the prefix timestamps (arrival of the oldest record). */
  arrivalMs: number;
  /** CustomTimeZone; UTC when absent. */
  timeZone?: string;
  /** 36-character UUID-shaped id (see batchObjectId). */
  id: string;
  /** '' or e.g. '.gz' (see extensionFor). */
  extension: string;
}

export function objectKey(input: ObjectKeyInput): string {
  const time = compilePattern(SUFFIX_TIME)(zonedFields(input.arrivalMs, input.timeZone));
  return `${input.prefix}${input.streamName}-${input.version}-${time}-${input.id}${input.extension}`;
}

function uuidShape(hex: string): string {
  // RFC 9562 version 8 ("custom", here name-based with SHA-256) and the RFC variant bits.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A deterministic 36-character UUID-shaped id (8-4-4-4-12 lowercase hex) from SHA-256 of the
 * batch identity string (e.g. stream, shard, first and last sequence number).
 */
export function batchObjectId(identity: string): string {
  return uuidShape(createHash('sha256').update('object-id\0').update(identity).digest('hex'));
}

/** Shape of `!{firehose:random-string}` values: 11 characters like `046b6c7f-0b` (AWS doc example). */
function randomStringFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 10)}`;
}

/**
 * A source of `!{firehose:random-string}` values seeded by the batch identity: the n-th call
 * returns the same 11-character string every time the same batch is evaluated, so keys are
 * reproducible across retries and crashes.
 */
export function seededRandomStrings(identity: string): () => string {
  let n = 0;
  return () => randomStringFromHex(createHash('sha256').update(`random-string\0${n++}\0`).update(identity).digest('hex'));
}

/** A non-deterministic random-string value (for callers without a batch identity). */
export function randomString(): string {
  return randomUUID().slice(0, 11);
}
