import { createHash } from 'node:crypto';
import type { LogRecord } from '../../core/record.js';

/** The first four bytes of a KPL-aggregated record. */
export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const DIGEST_BYTES = 16;

/** One user record packed into a KPL aggregate. */
export interface UserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  /** A view into the aggregate's bytes (no copy). */
  data: Buffer;
  /** Index within the aggregate: with the outer sequence number it identifies the user record. */
  subSequenceNumber: number;
}

/**
 * Unpack a KPL-aggregated record (`F3 89 9A C2`, protobuf `AggregatedRecord`, MD5 of the
 * protobuf): its user records in order. Returns undefined for anything else (wrong magic,
 * nothing between magic and digest, digest mismatch, malformed protobuf, an index outside its
 * key table), which the KCL and Firehose treat as a plain record and pass on unchanged.
 */
export function deaggregate(data: Buffer): UserRecord[] | undefined {
  if (data.length <= KPL_MAGIC.length + DIGEST_BYTES || !data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) return undefined;
  const bodyEnd = data.length - DIGEST_BYTES;
  const body = data.subarray(KPL_MAGIC.length, bodyEnd);
  if (!createHash('md5').update(body).digest().equals(data.subarray(bodyEnd))) return undefined;
  try {
    return decodeAggregate(body);
  } catch (err) {
    if (err instanceof MalformedProtobuf) return undefined;
    throw err;
  }
}

class MalformedProtobuf extends Error {}

interface PackedRecord {
  partitionKeyIndex?: number;
  explicitHashKeyIndex?: number;
  data?: Buffer;
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A minimal protobuf reader: varints (up to 2^53), length-delimited fields, skipping unknown fields. */
class ProtoReader {
  constructor(private readonly buf: Buffer, public pos: number, private readonly end: number) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedProtobuf('truncated varint');
      const byte = this.buf[this.pos++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > Number.MAX_SAFE_INTEGER) throw new MalformedProtobuf('varint too large');
        return value;
      }
      scale *= 128;
    }
    throw new MalformedProtobuf('varint longer than 10 bytes');
  }

  /** The bounds of a length-delimited field's value; the reader moves past it. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new MalformedProtobuf('field longer than its message');
    this.pos = start + len;
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === LEN) this.bytes();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === FIXED32) this.advance(4);
    else throw new MalformedProtobuf(`unsupported wire type ${wireType}`);
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new MalformedProtobuf('truncated fixed-width field');
    this.pos += n;
  }
}

function decodeAggregate(body: Buffer): UserRecord[] {
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  const packed: PackedRecord[] = [];
  const r = new ProtoReader(body, 0, body.length);
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if ((field === 1 || field === 2 || field === 3) && wire !== LEN) throw new MalformedProtobuf(`field ${field} has wire type ${wire}`);
    if (field === 1 || field === 2) {
      const [s, e] = r.bytes();
      (field === 1 ? partitionKeys : explicitHashKeys).push(body.toString('utf8', s, e));
    } else if (field === 3) {
      const [s, e] = r.bytes();
      packed.push(decodeRecord(body, s, e));
    } else {
      r.skip(wire);
    }
  }
  return packed.map((p, i) => {
    if (p.partitionKeyIndex === undefined || p.data === undefined) throw new MalformedProtobuf('a record lacks a required field');
    if (p.partitionKeyIndex >= partitionKeys.length) throw new MalformedProtobuf('partition key index outside the table');
    const out: UserRecord = { partitionKey: partitionKeys[p.partitionKeyIndex], data: p.data, subSequenceNumber: i };
    if (p.explicitHashKeyIndex !== undefined) {
      if (p.explicitHashKeyIndex >= explicitHashKeys.length) throw new MalformedProtobuf('explicit hash key index outside the table');
      out.explicitHashKey = explicitHashKeys[p.explicitHashKeyIndex];
    }
    return out;
  });
}

function decodeRecord(body: Buffer, start: number, end: number): PackedRecord {
  const out: PackedRecord = {};
  const r = new ProtoReader(body, start, end);
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 1 || field === 2) {
      if (wire !== VARINT) throw new MalformedProtobuf(`record field ${field} has wire type ${wire}`);
      if (field === 1) out.partitionKeyIndex = r.varint();
      else out.explicitHashKeyIndex = r.varint();
    } else if (field === 3) {
      if (wire !== LEN) throw new MalformedProtobuf(`record field 3 has wire type ${wire}`);
      const [s, e] = r.bytes();
      out.data = body.subarray(s, e);
    } else {
      r.skip(wire);
    }
  }
  return out;
}

/**
 * The records a stored record stands for: the user records of a KPL aggregate (each with the
 * aggregate's position and arrival time and its own partition key), else the record itself.
 */
export function expandAggregate(record: LogRecord): LogRecord[] {
  const users = deaggregate(record.data);
  if (!users) return [record];
  return users.map((u) => ({ position: record.position, arrivedAt: record.arrivedAt, partitionKey: u.partitionKey, data: u.data }));
}
