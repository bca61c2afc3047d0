import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { unwrittenTail } from '../../util/iovec.js';
import { fsyncDir } from '../../util/atomic-file.js';

/**
 * The file-system calls the log makes, on numeric file descriptors (cheaper than FileHandle).
 * Replaceable through `ShardLogOptions.io` so tests can inject write/fsync failures.
 */
export interface LogIo {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  writev(fd: number, bufs: Buffer[], position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  /** fsync of a directory (after creating or deleting a segment). */
  fsyncDir(dir: string): Promise<void>;
  ftruncate(fd: number, len: number): Promise<void>;
  fileSize(fd: number): Promise<number>;
  unlink(path: string): Promise<void>;
}

const pOpen = promisify(fs.open);
const pClose = promisify(fs.close);
const pFdatasync = promisify(fs.fdatasync);
const pFtruncate = promisify(fs.ftruncate);
const pFstat = promisify(fs.fstat);
const pUnlink = promisify(fs.unlink);

const read = (fd: number, buf: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));

const writev = (fd: number, bufs: Buffer[], position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.writev(fd, bufs, position, (err, n) => (err ? reject(err) : resolve(n))));

export const defaultIo: LogIo = {
  open: (path, flags) => pOpen(path, flags),
  close: (fd) => pClose(fd),
  read,
  writev,
  fdatasync: (fd) => pFdatasync(fd),
  fsyncDir,
  ftruncate: (fd, len) => pFtruncate(fd, len),
  fileSize: async (fd) => (await pFstat(fd)).size,
  unlink: (path) => pUnlink(path),
};

/** Writes all of `bufs` (`bytes` in total) at `position`, continuing after short writes. */
export async function writeAll(io: LogIo, fd: number, bufs: Buffer[], position: number, bytes: number): Promise<void> {
  let done = 0;
  let pending = bufs;
  for (;;) {
    const n = await io.writev(fd, pending, position + done);
    done += n;
    if (done >= bytes) return;
    if (n <= 0) throw new Error(`writev made no progress at offset ${position + done}`);
    pending = unwrittenTail(pending, n);
  }
}
