/**
 * Records → one `_bulk` body (destinations.md §3.3): NDJSON, every line ending in `\n`, an
 * `index` action naming `_index` per record (rotation uses each record's own arrival time, so
 * one batch may span two indices) and, with FIREHOSE_DEFAULT, the record's stable id as `_id` so
 * a retry overwrites instead of duplicating. A record that would break the NDJSON framing
 * (empty, or multi-line and not JSON) is refused here; multi-line JSON is sent on one line.
 */
import { rejected, type FailedOutcome, type SinkRecord } from '../../src/core/sink.js';
import { indexNameFor, type ResolvedOpenSearchConfig } from './config.js';

export interface BulkRequest {
  body: Buffer;
  /** Original record index of each action, in body order. */
  sent: number[];
  refused: Map<number, FailedOutcome>;
}

/** Where one record goes: its index and document id ('' with NO_DOCUMENT_ID). */
export function documentTarget(cfg: ResolvedOpenSearchConfig, record: SinkRecord): { index: string; id: string; type: string } {
  return {
    index: indexNameFor(cfg.indexName, cfg.rotation, record.arrivedAt),
    id: cfg.documentIds === 'FIREHOSE_DEFAULT' ? record.recordId : '',
    type: cfg.typeName,
  };
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The record as one NDJSON line, or why it cannot be one. Surrounding whitespace (the newline
 * producers append as a delimiter) is dropped without copying; only a record with a line break
 * inside is parsed and re-serialized.
 */
export function sourceLine(data: Buffer): Buffer | string {
  let start = 0;
  let end = data.length;
  while (start < end && isSpace(data[start])) start++;
  while (end > start && isSpace(data[end - 1])) end--;
  if (start === end) return 'the record is empty';
  const line = start === 0 && end === data.length ? data : data.subarray(start, end);
  if (line.indexOf(10) < 0 && line.indexOf(13) < 0) return line;
  try {
    return Buffer.from(JSON.stringify(JSON.parse(line.toString('utf8'))));
  } catch {
    return 'the record spans several lines and is not JSON (OpenSearch needs single-line JSON documents)';
  }
}

export function buildBulkRequest(cfg: ResolvedOpenSearchConfig, records: readonly SinkRecord[]): BulkRequest {
  const parts: Buffer[] = [];
  const sent: number[] = [];
  const refused = new Map<number, FailedOutcome>();
  const newline = Buffer.from('\n');
  let lastHour = NaN;
  let lastIndex = '';
  for (let i = 0; i < records.length; i++) {
    const line = sourceLine(records[i].data);
    if (typeof line === 'string') {
      refused.set(i, rejected('400', `mapper_parsing_exception: ${line}`));
      continue;
    }
    const hour = Math.floor(records[i].arrivedAt / 3_600_000);
    if (hour !== lastHour) {
      // Every rotation period is a whole number of hours: one index name per hour of arrival.
      lastHour = hour;
      lastIndex = JSON.stringify(indexNameFor(cfg.indexName, cfg.rotation, records[i].arrivedAt));
    }
    const t = { index: lastIndex, type: cfg.typeName, id: cfg.documentIds === 'FIREHOSE_DEFAULT' ? records[i].recordId : '' };
    const action = `{"index":{"_index":${t.index}${t.type ? `,"_type":${JSON.stringify(t.type)}` : ''}${t.id ? `,"_id":${JSON.stringify(t.id)}` : ''}}}\n`;
    parts.push(Buffer.from(action), line, newline);
    sent.push(i);
  }
  return { body: Buffer.concat(parts), sent, refused };
}
