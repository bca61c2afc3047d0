/**
 * Decoders that share no code with Hydrant's encoders, for the compression tests: Debian's
 * python3-snappy (libsnappy; scripts/services.sh installs it) over a file, and a Snappy framing /
 * Hadoop block parser written here, with its own CRC-32C, over hysnappy's block decoder (a
 * WebAssembly build of snappy; Hydrant encodes with the `snappy` N-API binding).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { snappyUncompress } from 'hysnappy';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

/**
 * python-snappy's stream decoders over `file`. Debian's build of its C CRC-32C helper fails on
 * Python 3.11 (PY_SSIZE_T_CLEAN), so the framing check computes CRC-32C with a table in Python
 * instead; frame parsing and Snappy decompression are python-snappy's and libsnappy's.
 */
const PY_DECODE = `
import sys, snappy.snappy as s
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
s._crc32c = crc32c
with open(sys.argv[2], 'rb') as f:
    if sys.argv[1] == 'framing':
        s.stream_decompress(f, sys.stdout.buffer)
    else:
        import snappy.hadoop_snappy as h
        h.stream_decompress(f, sys.stdout.buffer)
`;
export async function pythonSnappy(format: string, file: string): Promise<Buffer> {
  const { stdout } = await run(PYTHON, ['-c', PY_DECODE, format, file], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC32C_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The framing format's checksum: CRC-32C rotated right by 15 bits plus 0xa282ead8. */
const maskedCrc = (data: Uint8Array) => ((((crc32c(data) >>> 15) | (crc32c(data) << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** A raw Snappy block starts with its uncompressed length as a little-endian varint. */
function rawSnappy(block: Uint8Array): Buffer {
  let length = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    length += (block[i] & 0x7f) * 2 ** shift;
    if (block[i] < 0x80) break;
  }
  return Buffer.from(snappyUncompress(block, length));
}

/** Snappy framing format (github.com/google/snappy framing_format.txt). */
export function unframeSnappy(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  let sawIdentifier = false;
  while (at < body.length) {
    const type = body[at];
    const length = body.readUIntLE(at + 1, 3);
    const chunk = body.subarray(at + 4, at + 4 + length);
    if (chunk.length !== length) throw new Error(`truncated chunk at ${at}`);
    at += 4 + length;
    if (type === 0xff) {
      if (chunk.toString('latin1') !== 'sNaPpY') throw new Error(`bad stream identifier at ${at - 4 - length}`);
      sawIdentifier = true;
      continue;
    }
    if (!sawIdentifier) throw new Error('stream does not start with the stream identifier');
    if (type === 0x00 || type === 0x01) {
      const data = type === 0x00 ? rawSnappy(chunk.subarray(4)) : Buffer.from(chunk.subarray(4));
      if (data.length > 65536) throw new Error(`chunk at ${at - 4 - length} holds ${data.length} bytes (at most 65536)`);
      if (chunk.readUInt32LE(0) !== maskedCrc(data)) throw new Error(`bad checksum in the chunk at ${at - 4 - length}`);
      out.push(data);
    } else if (type >= 0x02 && type <= 0x7f) {
      throw new Error(`reserved unskippable chunk type ${type}`);
    } // 0x80–0xfe: skippable
  }
  if (!sawIdentifier) throw new Error('no stream identifier');
  return Buffer.concat(out);
}

/** Hadoop's BlockCompressorStream: per block, u32 BE uncompressed length, then (u32 BE length, raw Snappy) chunks. */
export function unblockHadoopSnappy(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const blockLength = body.readUInt32BE(at);
    at += 4;
    let got = 0;
    while (got < blockLength) {
      const length = body.readUInt32BE(at);
      const data = rawSnappy(body.subarray(at + 4, at + 4 + length));
      at += 4 + length;
      got += data.length;
      out.push(data);
    }
    if (got !== blockLength) throw new Error(`block of ${blockLength} bytes decoded to ${got}`);
  }
  return Buffer.concat(out);
}

