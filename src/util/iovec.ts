/**
 * What is left of `bufs` after a vectored write wrote only its first `written` bytes (a short
 * write, rare on regular files): the unwritten tail, without copying.
 */
export function unwrittenTail(bufs: readonly Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
