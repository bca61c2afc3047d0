// Appends in a loop from several concurrent callers and prints each acknowledged batch as
// "<firstPosition> <count>" on stdout. Used by the SIGKILL recovery test.
// argv: <compiled log module path> <shard dir> <segmentBytes>
const [modulePath, dir, segmentBytes] = process.argv.slice(2);
const { ShardLog } = await import(modulePath);

/** Must match recordFor() in the test. */
function recordFor(position) {
  const size = (position * 7919) % 3000;
  const data = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) data[j] = (position + j) & 0xff;
  return { partitionKey: `pk-${position}`, data };
}

const log = await ShardLog.open({ dir, segmentBytes: Number(segmentBytes), logger: { warn: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) } });
process.stdout.write(`ready ${log.nextPosition}\n`);

async function caller(id) {
  for (let round = 0; ; round++) {
    const count = 1 + ((id * 13 + round * 7) % 40);
    // Positions are assigned synchronously in call order, so the next position is known here.
    const first = log.nextPosition;
    const entries = Array.from({ length: count }, (_, i) => recordFor(first + i));
    const results = await log.append(entries);
    if (results[0].position !== first || results.length !== count) {
      process.stderr.write(`unexpected position ${results[0].position} != ${first}\n`);
      process.exit(3);
    }
    process.stdout.write(`${first} ${count}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, (_, i) => caller(i)));
