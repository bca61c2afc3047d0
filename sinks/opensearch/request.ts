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

/** The record as one NDJSON line, or why it cannot be one. */
export function sourceLine(data: Buffer): Buffer | string {
  if (data.length === 0 || data.toString('utf8').trim() === '') return 'the record is empty';
  if (data.indexOf(10) < 0 && data.indexOf(13) < 0) return data;
  try {
    return Buffer.from(JSON.stringify(JSON.parse(data.toString('utf8'))));
  } catch {
    return 'the record spans several lines and is not JSON (OpenSearch needs single-line JSON documents)';
  }
}

export function buildBulkRequest(cfg: ResolvedOpenSearchConfig, records: readonly SinkRecord[]): BulkRequest {
  const parts: Buffer[] = [];
  const sent: number[] = [];
  const refused = new Map<number, FailedOutcome>();
  const newline = Buffer.from('\n');
  for (let i = 0; i < records.length; i++) {
    const line = sourceLine(records[i].data);
    if (typeof line === 'string') {
      refused.set(i, rejected('400', `mapper_parsing_exception: ${line}`));
      continue;
    }
    const t = documentTarget(cfg, records[i]);
    const meta: Record<string, string> = { _index: t.index };
    if (t.type) meta._type = t.type;
    if (t.id) meta._id = t.id;
    parts.push(Buffer.from(`{"index":${JSON.stringify(meta)}}\n`), line, newline);
    sent.push(i);
  }
  return { body: Buffer.concat(parts), sent, refused };
}
