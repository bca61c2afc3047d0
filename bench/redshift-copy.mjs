// How fast the PostgreSQL stand-in loads a staged batch, against the floor: the same rows sent
// with a bare `COPY … FROM STDIN` (pg-copy-streams, no translation). Hydrant's path streams the
// staged object through its CopyOptions translation (ObjectInput) into the same COPY.
// Run: npm run build && node bench/redshift-copy.mjs [--rows 200000]
// Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres); creates and drops its own database.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parseCopyOptions } from '../dist/sinks/redshift/copy-options.js';
import { ObjectInput, pgCopyStatement } from '../dist/sinks/redshift/pg-input.js';
import { renderTable } from './lib/table.mjs';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' } } });
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const conn = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const name = `bench_${randomBytes(4).toString('hex')}`;

const admin = new pg.Client({ ...conn, database: 'test' });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const client = new pg.Client({ ...conn, database: name });
await client.connect();
await client.query('CREATE UNLOGGED TABLE t (id bigint, name text, path text, amount numeric(12,2), at timestamp)');

const pipeRows = [];
const jsonRows = [];
for (let i = 0; i < ROWS; i++) {
  pipeRows.push(`${i}|user-${i % 1000}|C:\\logs\\${i % 97}|${(i % 10000) / 100}|2026-01-01 00:00:${String(i % 60).padStart(2, '0')}\n`);
  jsonRows.push(JSON.stringify({ id: i, name: `user-${i % 1000}`, path: `C:\\logs\\${i % 97}`, amount: (i % 10000) / 100, at: `2026-01-01 00:00:${String(i % 60).padStart(2, '0')}` }) + '\n');
}
const slabs = (lines) => {
  const out = [];
  for (let i = 0; i < lines.length; i += 5000) out.push(Buffer.from(lines.slice(i, i + 5000).join('')));
  return out;
};
const pipeBody = slabs(pipeRows);
const jsonBody = slabs(jsonRows);
const columns = [
  { name: 'id', type: 'bigint' }, { name: 'name', type: 'text' }, { name: 'path', type: 'text' },
  { name: 'amount', type: 'numeric(12,2)' }, { name: 'at', type: 'timestamp without time zone' },
];

async function load(statement, body, transform) {
  await client.query('TRUNCATE t');
  const start = process.hrtime.bigint();
  const stages = [Readable.from(body), ...(transform ? [transform()] : []), client.query(copyFrom(statement))];
  await pipeline(stages);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const n = Number((await client.query('SELECT count(*) AS n FROM t')).rows[0].n);
  if (n !== ROWS) throw new Error(`loaded ${n} rows, expected ${ROWS}`);
  return ms;
}

const bytes = (b) => b.reduce((n, x) => n + x.length, 0);
const cases = [
  ['floor: bare COPY, text (ESCAPE-style data)', "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|')", slabs(pipeRows.map((r) => r.replaceAll('\\', '\\\\'))), undefined],
  ['Hydrant: pipe-delimited (backslashes doubled)', pgCopyStatement('t', [], parseCopyOptions('')), pipeBody, () => new ObjectInput({ options: parseCopyOptions(''), url: 'bench' })],
  ["Hydrant: JSON 'auto' (objects to CSV rows)", pgCopyStatement('t', columns.map((c) => c.name), parseCopyOptions("JSON 'auto'")), jsonBody, () => new ObjectInput({ options: parseCopyOptions("JSON 'auto'"), columns, url: 'bench' })],
];
const rows = [];
try {
  for (const [label, statement, body, transform] of cases) {
    const times = [];
    for (let r = 0; r < RUNS; r++) times.push(await load(statement, body, transform));
    const best = Math.min(...times);
    rows.push([label, Math.round(ROWS / (best / 1000)).toLocaleString('en-US'), (bytes(body) / 1048576 / (best / 1000)).toFixed(1), best.toFixed(0)]);
  }
  console.log(`${ROWS.toLocaleString('en-US')} rows per load, best of ${RUNS}, PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}`);
  console.log(renderTable(['load', 'rows/s', 'input MiB/s', 'ms'], rows));
} finally {
  await client.end();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}
