/**
 * The `ZIP` CompressionFormat: a zip archive holding one deflated entry (APPNOTE 6.3: local file
 * header, data, central directory, end record). Entry time is fixed by the caller (the batch's
 * arrival time), so the same batch always yields the same bytes. Objects stay far below the 4 GiB
 * that would need ZIP64. Synchronous: runs in the codec worker.
 */
import { crc32, deflateRawSync } from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION = 20;
/** Bit 11: the name is UTF-8. */
const FLAGS = 0x0800;
const DEFLATE = 8;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const MAX_ZIP32 = 0xffffffff;

/** MS-DOS date and time fields of an instant (UTC; 1980-01-01 at the earliest). */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.max(ms, Date.UTC(1980, 0, 1)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export interface ZipOptions {
  /** The entry's file name (default `data`). */
  entryName?: string;
  /** The entry's modification time, epoch ms (default 1980-01-01). */
  modifiedMs?: number;
  /** Deflate level (default 6). */
  level?: number;
}

export function zipSingle(data: Buffer, opts: ZipOptions = {}): Buffer[] {
  if (data.length >= MAX_ZIP32) throw new Error(`a ZIP object holds at most ${MAX_ZIP32 - 1} bytes without ZIP64`);
  const name = Buffer.from(opts.entryName ?? 'data', 'utf8');
  const body = deflateRawSync(data, { level: opts.level ?? 6 });
  const crc = crc32(data);
  const { time, date } = dosTime(opts.modifiedMs ?? 0);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(LOCAL_HEADER, 0);
  local.writeUInt16LE(VERSION, 4);
  local.writeUInt16LE(FLAGS, 6);
  local.writeUInt16LE(DEFLATE, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(CENTRAL_HEADER, 0);
  central.writeUInt16LE(MADE_BY_UNIX, 4);
  central.writeUInt16LE(VERSION, 6);
  central.writeUInt16LE(FLAGS, 8);
  central.writeUInt16LE(DEFLATE, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  central.writeUInt32LE(0, 42);

  const centralOffset = local.length + name.length + body.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return [local, name, body, central, name, end];
}
