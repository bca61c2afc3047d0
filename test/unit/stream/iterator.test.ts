import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IteratorCodec, expiredIteratorMessage, type IteratorState } from '../../../src/stream/iterator.js';

const state: IteratorState = {
  streamName: 'orders-stream',
  streamCreatedAt: 1_714_564_800_123,
  shardId: 'shardId-000000000007',
  position: 2 ** 40 + 17,
  issuedAt: 1_714_565_000_456,
};

const codec = new IteratorCodec(randomBytes(32));

/** The token with one decoded byte changed (at `at`, counted from the end when negative). */
function flipByte(token: string, at: number): string {
  const raw = Buffer.from(token, 'base64');
  const i = at < 0 ? raw.length + at : at;
  raw[i] ^= 0x01;
  return raw.toString('base64');
}

describe('IteratorCodec', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hydrant-iterator-'));
    dirs.push(dir);
    return dir;
  }

  it('round-trips the state, including non-ASCII names and positions above 2^32', () => {
    expect(codec.decode(codec.encode(state))).toEqual(state);
    const odd = { ...state, streamName: 'flüsse_1.x-y', shardId: 'shardId-000000000000', position: 0, issuedAt: 0 };
    expect(codec.decode(codec.encode(odd))).toEqual(odd);
    const last = { ...state, position: Number.MAX_SAFE_INTEGER };
    expect(codec.decode(codec.encode(last))).toEqual(last);
  });

  it('looks like an AWS iterator: base64 of 00 00 00 00 00 00 00 01 and whole 16-byte blocks', () => {
    const token = codec.encode(state);
    expect(token).toMatch(/^AAAAAAAAAA[E-H][A-Za-z0-9+/]+={0,2}$/);
    const raw = Buffer.from(token, 'base64');
    expect([...raw.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect((raw.length - 8) % 16).toBe(0);
    // the state is not readable in the token
    expect(raw.includes(Buffer.from(state.streamName))).toBe(false);
    expect(raw.includes(Buffer.from(state.shardId))).toBe(false);
  });

  it('returns a different token on every call for the same state', () => {
    const tokens = new Set(Array.from({ length: 500 }, () => codec.encode(state)));
    expect(tokens.size).toBe(500);
    for (const t of [...tokens].slice(0, 20)) expect(codec.decode(t)).toEqual(state);
  });

  it('stays within 512 characters for a 128-character stream name and a 20-character shard id', () => {
    const longest = { ...state, streamName: 'a'.repeat(128), shardId: 'shardId-002147483647', position: Number.MAX_SAFE_INTEGER };
    const token = codec.encode(longest);
    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(512);
    expect(codec.decode(token)).toEqual(longest);
    expect(() => codec.encode({ ...state, streamName: 'a'.repeat(300) })).toThrow(RangeError);
  });

  it('accepts a token wrapped in literal double quotes', () => {
    const token = codec.encode(state);
    expect(codec.decode(`"${token}"`)).toEqual(state);
    expect(codec.decode(`"${token}`)).toBeUndefined();
    expect(codec.decode(`${token}"`)).toBeUndefined();
  });

  it('rejects any changed byte: header, IV, ciphertext or tag', () => {
    const token = codec.encode(state);
    const size = Buffer.from(token, 'base64').length;
    for (let i = 0; i < size; i++) {
      expect(codec.decode(flipByte(token, i)), `byte ${i}`).toBeUndefined();
    }
  });

  it('rejects truncated, extended and re-spelled tokens', () => {
    const token = codec.encode(state);
    const raw = Buffer.from(token, 'base64');
    expect(codec.decode(raw.subarray(0, raw.length - 16).toString('base64'))).toBeUndefined();
    expect(codec.decode(raw.subarray(0, raw.length - 1).toString('base64'))).toBeUndefined();
    expect(codec.decode(Buffer.concat([raw, Buffer.alloc(16)]).toString('base64'))).toBeUndefined();
    expect(codec.decode(token.replace(/=+$/, ''))).toBe(token.endsWith('=') ? undefined : state);
    expect(codec.decode(`${token.slice(0, 40)}\n${token.slice(40)}`)).toBeUndefined();
    expect(codec.decode(`${token}AAAA`)).toBeUndefined();
    expect(codec.decode(` ${token}`)).toBeUndefined();
  });

  it('rejects tokens made under another key', () => {
    const other = new IteratorCodec(randomBytes(32));
    expect(other.decode(codec.encode(state))).toBeUndefined();
  });

  it('rejects garbage and empty input', () => {
    for (const bad of ['', '""', '"', 'AAAAAAAAAAE=', 'AAAAAAAAAAE', 'not an iterator', '!!!!', 'A'.repeat(512), 'A'.repeat(600),
      Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), randomBytes(64)]).toString('base64'),
      Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), randomBytes(200)]).toString('base64')]) {
      expect(codec.decode(bad), bad).toBeUndefined();
    }
    expect(codec.decode(undefined as unknown as string)).toBeUndefined();
  });

  it('refuses keys that are not 32 bytes and states it cannot carry', () => {
    expect(() => new IteratorCodec(randomBytes(16))).toThrow(RangeError);
    expect(() => codec.encode({ ...state, position: -1 })).toThrow(RangeError);
    expect(() => codec.encode({ ...state, position: 1.5 })).toThrow(RangeError);
    expect(() => codec.encode({ ...state, issuedAt: Number.NaN })).toThrow(RangeError);
  });

  it('load() creates a private key file once and reuses it, so iterators survive a restart', async () => {
    const dir = await tempDir();
    const first = await IteratorCodec.load(dir);
    const token = first.encode(state);
    const file = join(dir, 'iterator.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    const second = await IteratorCodec.load(dir);
    expect(second.decode(token)).toEqual(state);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect((await readdir(dir)).sort()).toEqual(['iterator.key']); // no temp files left behind
    // a different directory gets a different key
    expect((await IteratorCodec.load(await tempDir())).decode(token)).toBeUndefined();
  });

  it('load() uses a key an operator put in place and refuses a malformed one', async () => {
    const dir = await tempDir();
    const key = randomBytes(32);
    await writeFile(join(dir, 'iterator.key'), `${key.toString('hex')}\n`);
    expect((await IteratorCodec.load(dir)).decode(new IteratorCodec(key).encode(state))).toEqual(state);
    await writeFile(join(dir, 'iterator.key'), 'too short');
    await expect(IteratorCodec.load(dir)).rejects.toThrow(/iterator\.key/);
    expect(await readFile(join(dir, 'iterator.key'), 'utf8')).toBe('too short'); // not overwritten
  });
});

describe('expiredIteratorMessage', () => {
  it('matches AWS text, with dates as Java prints them in UTC', () => {
    const created = 1421889722000; // Thu Jan 22 01:22:02 UTC 2015
    expect(expiredIteratorMessage(created, created + 301_000, 300000)).toBe(
      'Iterator expired. The iterator was created at time Thu Jan 22 01:22:02 UTC 2015 while right now it is ' +
      'Thu Jan 22 01:27:03 UTC 2015 which is further in the future than the tolerated delay of 300000 milliseconds.',
    );
  });

  it('zero-pads the day of month and crosses midnight and year ends', () => {
    const issued = Date.UTC(2023, 11, 31, 23, 58, 9, 999);
    expect(expiredIteratorMessage(issued, issued + 360_001, 300000)).toBe(
      'Iterator expired. The iterator was created at time Sun Dec 31 23:58:09 UTC 2023 while right now it is ' +
      'Mon Jan 01 00:04:10 UTC 2024 which is further in the future than the tolerated delay of 300000 milliseconds.',
    );
  });
});
