/**
 * Shard iterators: opaque, tamper-proof tokens that carry a read position between GetRecords
 * calls and expire five minutes after issue.
 *
 * Token = base64( 00 00 00 00 00 00 00 01 · IV (16) · AES-256-CBC(state) · tag (16) ), where the
 * tag is HMAC-SHA-256 over everything before it, truncated to 128 bits (encrypt-then-MAC). This
 * looks like AWS's tokens: the same 8-byte prefix ("AAAAAAAAAAE…" in base64) followed by a body of
 * whole 16-byte blocks.
 *
 * Why CBC + HMAC rather than GCM: the IV is random and the key lives for the life of the data
 * directory, so over billions of GetRecords calls an IV may repeat. Under GCM a repeated nonce
 * leaks the authentication key and lets anyone forge iterators; under CBC + HMAC it only reveals
 * that two states share a first block, and the MAC stays sound. The cost is one extra HMAC per
 * call, a few microseconds.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

/** What an iterator remembers: where to read next, and for which stream generation. */
export interface IteratorState {
  streamName: string;
  /** Creation time of the stream (epoch ms): an iterator of a deleted and re-created stream is stale. */
  streamCreatedAt: number;
  shardId: string;
  /** Position of the next record to return. */
  position: number;
  /** When the iterator was handed out (epoch ms); it expires a TTL later. */
  issuedAt: number;
}

const HEADER = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
const IV_BYTES = 16;
const TAG_BYTES = 16;
const BLOCK = 16;
const FORMAT = 1;
/** format byte, three float64s, two length bytes. */
const FIXED_PLAINTEXT = 1 + 3 * 8 + 2;
/** The model's bound on ShardIterator. */
const MAX_TOKEN_CHARS = 512;
const MIN_DECODED = HEADER.length + IV_BYTES + BLOCK + TAG_BYTES;

// IVs come from a pool refilled 4 KiB at a time: one randomBytes call per 256 iterators.
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(4096);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

/** Encodes and decodes shard iterators under one 32-byte secret. */
export class IteratorCodec {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== 32) throw new RangeError('iterator key must be 32 bytes');
    // Separate keys for the cipher and the MAC, both derived from the one stored secret.
    this.encKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'hydrant shard iterator cipher', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'hydrant shard iterator mac', 32));
  }

  /**
   * Reads `<dir>/iterator.key` (64 hex digits, or 32 raw bytes) or creates it with a random key
   * (mode 0600, written atomically), so iterators handed out before a restart stay valid.
   */
  static async load(dir: string): Promise<IteratorCodec> {
    const path = join(dir, 'iterator.key');
    let key = await readKey(path);
    if (!key) {
      await writeFileAtomic(path, `${randomBytes(32).toString('hex')}\n`, 0o600);
      // Read back rather than trust what we wrote: a process starting beside us may have won the rename.
      key = await readKey(path);
      if (!key) throw new Error(`${path} vanished after it was written`);
    }
    return new IteratorCodec(key);
  }

  /** A new token for `state`; never the same string twice, even for the same state. */
  encode(state: IteratorState): string {
    const { streamName, shardId, position, streamCreatedAt, issuedAt } = state;
    if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`iterator position ${position} is not a non-negative safe integer`);
    if (!Number.isFinite(streamCreatedAt) || !Number.isFinite(issuedAt)) throw new RangeError('iterator times must be finite');
    const nameLen = Buffer.byteLength(streamName, 'utf8');
    const shardLen = Buffer.byteLength(shardId, 'utf8');
    if (nameLen > 255 || shardLen > 255) throw new RangeError('stream name or shard id too long for an iterator');

    const plain = Buffer.allocUnsafe(FIXED_PLAINTEXT + nameLen + shardLen);
    let o = plain.writeUInt8(FORMAT, 0);
    o = plain.writeDoubleBE(streamCreatedAt, o);
    o = plain.writeDoubleBE(position, o);
    o = plain.writeDoubleBE(issuedAt, o);
    o = plain.writeUInt8(shardLen, o);
    o += plain.write(shardId, o, 'utf8');
    o = plain.writeUInt8(nameLen, o);
    plain.write(streamName, o, 'utf8');

    const iv = nextIv();
    const cipher = createCipheriv('aes-256-cbc', this.encKey, iv);
    const body = Buffer.concat([HEADER, iv, cipher.update(plain), cipher.final(), Buffer.alloc(TAG_BYTES)]);
    const macEnd = body.length - TAG_BYTES;
    createHmac('sha256', this.macKey).update(body.subarray(0, macEnd)).digest().copy(body, macEnd, 0, TAG_BYTES);
    const token = body.toString('base64');
    if (token.length > MAX_TOKEN_CHARS) throw new RangeError('stream name and shard id too long for a 512-character iterator');
    return token;
  }

  /**
   * The state inside `token`, or undefined for anything malformed, forged or tampered with. A token
   * wrapped in literal double quotes is accepted, as AWS does.
   */
  decode(token: string): IteratorState | undefined {
    if (typeof token !== 'string') return undefined;
    if (token.length >= 2 && token.charCodeAt(0) === 0x22 && token.charCodeAt(token.length - 1) === 0x22) {
      token = token.slice(1, -1);
    }
    if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return undefined;
    const body = Buffer.from(token, 'base64');
    // Node's decoder skips stray characters and ignores spare bits: accept only the canonical text.
    if (body.toString('base64') !== token) return undefined;
    if (body.length < MIN_DECODED || (body.length - HEADER.length - IV_BYTES - TAG_BYTES) % BLOCK !== 0) return undefined;
    if (!body.subarray(0, HEADER.length).equals(HEADER)) return undefined;

    const macEnd = body.length - TAG_BYTES;
    const expected = createHmac('sha256', this.macKey).update(body.subarray(0, macEnd)).digest().subarray(0, TAG_BYTES);
    if (!timingSafeEqual(expected, body.subarray(macEnd))) return undefined;

    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.encKey, body.subarray(HEADER.length, HEADER.length + IV_BYTES));
      plain = Buffer.concat([decipher.update(body.subarray(HEADER.length + IV_BYTES, macEnd)), decipher.final()]);
    } catch {
      return undefined; // bad padding; cannot happen for a token we signed
    }
    return parseState(plain);
  }
}

function parseState(plain: Buffer): IteratorState | undefined {
  if (plain.length < FIXED_PLAINTEXT || plain[0] !== FORMAT) return undefined;
  const streamCreatedAt = plain.readDoubleBE(1);
  const position = plain.readDoubleBE(9);
  const issuedAt = plain.readDoubleBE(17);
  const shardLen = plain[25];
  const nameAt = 26 + shardLen + 1;
  if (nameAt > plain.length) return undefined;
  const nameLen = plain[nameAt - 1];
  if (nameAt + nameLen !== plain.length) return undefined;
  if (!Number.isSafeInteger(position) || position < 0 || !Number.isFinite(streamCreatedAt) || !Number.isFinite(issuedAt)) return undefined;
  return {
    streamName: plain.toString('utf8', nameAt, nameAt + nameLen),
    streamCreatedAt,
    shardId: plain.toString('utf8', 26, 26 + shardLen),
    position,
    issuedAt,
  };
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (raw.length === 32) return raw;
  throw new Error(`${path} must hold a 32-byte key as 64 hex digits`);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A time as Java's `Date.toString()` prints it in UTC: `Thu Jan 22 01:22:02 UTC 2015`. */
function javaDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** The message of AWS's ExpiredIteratorException for an iterator issued at `issuedAt`, read at `now`. */
export function expiredIteratorMessage(issuedAt: number, now: number, ttlMs: number): string {
  return `Iterator expired. The iterator was created at time ${javaDate(issuedAt)} while right now it is ` +
    `${javaDate(now)} which is further in the future than the tolerated delay of ${ttlMs} milliseconds.`;
}
