/**
 * Kinesis sequence numbers for the built-in stream.
 *
 * The durable log numbers each shard's records 0, 1, 2, … (its *position*). Kinesis clients see
 * 56-digit decimal sequence numbers instead, and some of them (peer test suites, tools that print
 * "the shard this number came from") decode AWS's layout, so we render positions in that layout:
 * 47 hex digits, most significant first,
 *
 * | hex digits | meaning                                                         |
 * |-----------:|-----------------------------------------------------------------|
 * |          1 | `2`                                                             |
 * |          9 | shard creation time, epoch seconds                              |
 * |          1 | low nibble of the shard index                                   |
 * |         16 | counter (top bit 0): 0 = shard start, position + 1 = a record,  |
 * |            | `7fffffffffffffff` = end of a closed shard                      |
 * |          2 | `00`                                                            |
 * |          9 | record time, epoch seconds                                      |
 * |          8 | shard index (top bit 0)                                         |
 * |          1 | `2` (layout version)                                            |
 *
 * The counter sits above the record time, so numbers grow with position whatever the clock did,
 * and every record's number lies strictly between its shard's starting and ending numbers.
 */

/** What a sequence number needs to know about its shard. */
export interface ShardSeqInfo {
  index: number;
  /** Shard creation time, epoch ms. */
  createdAt: number;
}

/** The fields of a layout-2 sequence number. */
export interface DecodedSequence {
  shardCreatedSec: number;
  shardIndex: number;
  counter: bigint;
  recordSec: number;
}

/** An old-layout ("version 0") number: only the shard index it encodes is meaningful. */
export interface LegacySequence {
  legacy: true;
  shardIndex: number;
}

const COUNTER_SHIFT = 80n;
const RECORD_SEC_SHIFT = 36n;
const HIGH_SHIFT = 144n;
const END_COUNTER = 0x7fffffffffffffffn;
/** Largest shard index the 8-hex field holds with its top bit clear. */
const MAX_SHARD_INDEX = 0x7fffffff;
/** Largest epoch second a 9-hex field holds. */
const MAX_SECONDS = 0xfffffffff;
/**
 * Shard creation seconds at or above this are rejected by AWS as invalid (observed by kinesalite's
 * suite against AWS: "sequence number with large date"); we neither produce nor accept them.
 */
const MAX_CREATED_SEC = 16025175000;

const TWO_124 = 1n << 124n;
const TWO_128 = 1n << 128n;
const LAYOUT2_MIN = 2n << 184n; // hex "2" followed by 46 zeros
const LAYOUT2_END = 3n << 184n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DECIMAL = /^(?:0|[1-9]\d{0,128})$/;
const CANONICAL = /^(?:0|[1-9]\d*)$/;

function checkShard(shard: ShardSeqInfo): number {
  const { index, createdAt } = shard;
  if (!Number.isInteger(index) || index < 0 || index > MAX_SHARD_INDEX) {
    throw new RangeError(`shard index ${index} does not fit a sequence number`);
  }
  return checkSeconds(createdAt, 'shard creation time', MAX_CREATED_SEC - 1);
}

function checkSeconds(ms: number, what: string, max = MAX_SECONDS): number {
  const sec = Math.floor(ms / 1000);
  if (!(sec >= 0 && sec <= max)) throw new RangeError(`${what} ${ms} does not fit a sequence number`);
  return sec;
}

/** The sequence number with every field but the counter filled in. */
function baseValue(index: number, createdSec: number, recordSec: number): bigint {
  const high = (2n << 40n) | (BigInt(createdSec) << 4n) | BigInt(index & 0xf);
  return (high << HIGH_SHIFT) | (BigInt(recordSec) << RECORD_SEC_SHIFT) | (BigInt(index) << 4n) | 2n;
}

function render(shard: ShardSeqInfo, counter: bigint, recordMs: number): string {
  const createdSec = checkShard(shard);
  const recordSec = checkSeconds(recordMs, 'record time');
  return (baseValue(shard.index, createdSec, recordSec) | (counter << COUNTER_SHIFT)).toString();
}

// One-entry cache of the base value: a GetRecords batch encodes thousands of records of one shard,
// nearly all within the same second, so the base is built once per (shard, second) and each record
// costs one BigInt add and one decimal rendering.
let cachedIndex = -1;
let cachedCreatedAt = NaN;
let cachedRecordSec = -1;
let cachedBase = 0n;

/**
 * The sequence number of the record at `position` (0-based, per shard) that arrived at
 * `arrivedAt` (epoch ms). Increases with position; lies strictly between the shard's starting and
 * ending numbers. Hot path of GetRecords.
 */
export function recordSequenceNumber(shard: ShardSeqInfo, position: number, arrivedAt: number): string {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(`record position ${position} is not a non-negative safe integer`);
  }
  const recordSec = Math.floor(arrivedAt / 1000);
  if (shard.index !== cachedIndex || shard.createdAt !== cachedCreatedAt || recordSec !== cachedRecordSec) {
    const createdSec = checkShard(shard);
    checkSeconds(arrivedAt, 'record time');
    cachedBase = baseValue(shard.index, createdSec, recordSec);
    cachedIndex = shard.index;
    cachedCreatedAt = shard.createdAt;
    cachedRecordSec = recordSec;
  }
  return (cachedBase + (BigInt(position + 1) << COUNTER_SHIFT)).toString();
}

/** The shard's StartingSequenceNumber: counter 0, record time = shard creation time. */
export function startingSequenceNumber(shard: ShardSeqInfo): string {
  return render(shard, 0n, shard.createdAt);
}

/** A closed shard's EndingSequenceNumber: the largest counter, record time = closing time. */
export function endingSequenceNumber(shard: ShardSeqInfo, closedAt: number): string {
  return render(shard, END_COUNTER, closedAt);
}

/**
 * Decodes a decimal sequence number.
 *
 * - A layout-2 number (47 hex digits, leading and trailing `2`) gives its fields.
 * - An old-layout number (below 2^128; AWS reads one below 2^124 as if 2^124 were added) gives
 *   `{ legacy: true, shardIndex }` with the index from the low 16 bits, so callers can reproduce
 *   AWS's answers ("5" encodes shardId-000000000005; a matching "0" is an InternalFailure).
 * - Anything else is undefined: not a decimal of the model's pattern `0|([1-9]\d{0,128})`, another
 *   length or version, counter or shard-index top bit set, or a creation date AWS rejects.
 */
export function decodeSequenceNumber(seq: string): DecodedSequence | LegacySequence | undefined {
  if (typeof seq !== 'string' || !DECIMAL.test(seq)) return undefined;
  let n = BigInt(seq);
  if (n < TWO_128) {
    if (n < TWO_124) n += TWO_124;
    const hex = n.toString(16); // 32 digits
    if (parseInt(hex.slice(1, 10), 16) >= MAX_CREATED_SEC) return undefined;
    return { legacy: true, shardIndex: Number(n & 0xffffn) };
  }
  if (n < LAYOUT2_MIN || n >= LAYOUT2_END || (n & 0xfn) !== 2n) return undefined;
  const hex = n.toString(16); // 47 digits, starts with "2"
  const shardCreatedSec = parseInt(hex.slice(1, 10), 16);
  const counterHex = hex.slice(11, 27);
  const indexHex = hex.slice(38, 46);
  if (counterHex.charCodeAt(0) > 0x37 /* '7' */ || indexHex.charCodeAt(0) > 0x37) return undefined;
  if (shardCreatedSec >= MAX_CREATED_SEC) return undefined;
  return {
    shardCreatedSec,
    shardIndex: parseInt(indexHex, 16),
    counter: BigInt(`0x${counterHex}`),
    recordSec: parseInt(hex.slice(29, 38), 16),
  };
}

/** Position of the first record at or after the number (AT_SEQUENCE_NUMBER). */
export function positionAt(d: DecodedSequence): number {
  return d.counter === 0n ? 0 : clamp(d.counter - 1n);
}

/** Position of the first record after the number (AFTER_SEQUENCE_NUMBER). */
export function positionAfter(d: DecodedSequence): number {
  return clamp(d.counter);
}

function clamp(v: bigint): number {
  return v > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * Compares two decimal sequence numbers as big integers: -1, 0 or 1. Canonical decimals (no
 * leading zeros, as every sequence number is) compare by length then text, without a BigInt.
 * Throws a SyntaxError for text that is not a decimal integer.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  if (CANONICAL.test(a) && CANONICAL.test(b)) {
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    return a === b ? 0 : a < b ? -1 : 1;
  }
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

function parseDecimal(s: string): bigint {
  if (!/^\d+$/.test(s)) throw new SyntaxError(`not a decimal sequence number: ${JSON.stringify(s)}`);
  return BigInt(s);
}
