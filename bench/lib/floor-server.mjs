// The floor: the least work a durable PutRecordBatch endpoint can do in Node. It reads the
// body, JSON.parses it, decodes each record's base64, appends the decoded bytes to one file
// (one write per request) and acknowledges only after an fdatasync that covers the write.
// Requests whose writes finish while a sync runs share the next one (group commit).
//   node bench/lib/floor-server.mjs --port <p> [--host 127.0.0.1] --data-dir <dir>
import { fdatasync, openSync, write } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, 'data-dir': { type: 'string' } },
});
if (!values.port || !values['data-dir']) {
  console.error('usage: floor-server.mjs --port <p> [--host <h>] --data-dir <dir>');
  process.exit(2);
}

const fd = openSync(join(values['data-dir'], 'floor.log'), 'a');

// ---- group commit: callbacks whose write has completed wait for the next fdatasync -------
let waiting = [];
let syncing = false;
function sync() {
  const group = waiting;
  waiting = [];
  syncing = true;
  fdatasync(fd, (error) => {
    syncing = false;
    for (const done of group) done(error);
    if (waiting.length > 0) sync();
  });
}
function afterDurable(done) {
  waiting.push(done);
  if (!syncing) sync();
}

/** One write call per request; continue only in the rare case of a short write. */
function writeAll(buffer, offset, done) {
  write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
    if (error) done(error);
    else if (offset + written < buffer.length) writeAll(buffer, offset + written, done);
    else done(null);
  });
}

// ---- HTTP ---------------------------------------------------------------------------------
let nextRecordId = 0;
const idPrefix = `${Date.now().toString(16)}-`;

function respond(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res, status, type, message) {
  respond(res, status, JSON.stringify({ __type: type, message }));
}

function acknowledge(res, count) {
  const entries = new Array(count);
  for (let i = 0; i < count; i++) entries[i] = `{"RecordId":"${idPrefix}${nextRecordId++}"}`;
  respond(res, 200, `{"Encrypted":false,"FailedPutCount":0,"RequestResponses":[${entries.join(',')}]}`);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    respond(res, 200, '{"status":"ok"}');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let records;
    try {
      records = JSON.parse(Buffer.concat(chunks).toString('utf8')).Records;
      if (!Array.isArray(records)) throw new Error('Records is not an array');
    } catch (error) {
      fail(res, 400, 'SerializationException', error.message);
      return;
    }
    const decoded = new Array(records.length);
    for (let i = 0; i < records.length; i++) decoded[i] = Buffer.from(records[i].Data, 'base64');
    const data = Buffer.concat(decoded);
    writeAll(data, 0, (writeError) => {
      if (writeError) {
        fail(res, 500, 'ServiceUnavailableException', writeError.message);
        return;
      }
      afterDurable((syncError) => {
        if (syncError) fail(res, 500, 'ServiceUnavailableException', syncError.message);
        else acknowledge(res, records.length);
      });
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), values.host);

process.on('SIGTERM', () => server.close(() => process.exit(0)));
