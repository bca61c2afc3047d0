// Record format conversion benchmark (imports the compiled code from dist/): JSON records of a
// web-log shape (9 columns: bigint, strings, double, boolean, timestamp, array<string>, map, struct)
// converted to Parquet by Hydrant's converter (one worker thread per batch), per ParquetSerDe
// compression: records/s, MiB/s of JSON in, and the Parquet file size against the JSON.
//   npm run build && node bench/parquet.mjs [--records 100000] [--seconds 3]
import { renderTable } from './lib/table.mjs';
import { FormatConverter } from '../dist/src/delivery/convert/format-converter.js';
import { resolveFormatConversion } from '../dist/src/delivery/convert/format-conversion-config.js';
import { GlueTables } from '../dist/src/delivery/convert/glue-tables.js';

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : dflt;
};
const RECORDS = arg('--records', 100_000);
const SECONDS = arg('--seconds', 3);
const MiB = 1024 * 1024;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const columns = [
  ['id', 'bigint'], ['user', 'string'], ['path', 'string'], ['latency', 'double'], ['ok', 'boolean'],
  ['at', 'timestamp'], ['tags', 'array<string>'], ['headers', 'map<string,string>'], ['geo', 'struct<lat:double,lon:double>'],
].map(([Name, Type]) => ({ Name, Type }));
const tables = new GlueTables({ tables: [{ DatabaseName: 'bench', Name: 'logs', Columns: columns }] });
const table = await tables.get('bench', 'logs');
const records = Array.from({ length: RECORDS }, (_, i) => Buffer.from(JSON.stringify({
  id: i, user: `user-${i % 977}`, path: `/api/v1/items/${i % 5000}`, latency: (i % 1000) / 7, ok: i % 17 !== 0,
  at: new Date(1_764_660_000_000 + i * 13).toISOString(), tags: ['web', i % 2 ? 'mobile' : 'desktop'],
  headers: { 'user-agent': `agent/${i % 13}`, accept: 'application/json' }, geo: { lat: (i % 180) - 90, lon: (i % 360) - 180 },
})));
const jsonBytes = records.reduce((n, r) => n + r.length, 0);

const converter = new FormatConverter({ maxWorkers: 1 });
const rows = [];
for (const compression of ['SNAPPY', 'GZIP', 'UNCOMPRESSED']) {
  const cfg = resolveFormatConversion({
    Enabled: true,
    SchemaConfiguration: { DatabaseName: 'bench', TableName: 'logs' },
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: compression } } },
  });
  let out = await converter.convert(table, cfg, records); // warm-up (worker start, wasm load)
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    out = await converter.convert(table, cfg, records);
    n++;
  }
  const perSec = n / ((performance.now() - start) / 1000);
  if (out.rows !== RECORDS) throw new Error(`converted ${out.rows} of ${RECORDS}`);
  rows.push([compression, fmt(perSec * RECORDS), fmt((perSec * jsonBytes) / MiB, 1), `${fmt((100 * out.file.length) / jsonBytes, 1)} %`]);
}
await converter.close();
console.log(`${fmt(RECORDS)} JSON records per batch (${fmt(jsonBytes / MiB, 1)} MiB)`);
console.log(renderTable(['ParquetSerDe.Compression', 'records/s', 'MiB/s JSON in', 'file / JSON'], rows));
