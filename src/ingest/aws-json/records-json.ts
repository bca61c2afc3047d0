import type { ApiRecord, PutResult } from '../../stream/registry/kinesis-stream.js';
import { toJson } from './json.js';

const SEQ = '{"SequenceNumber":"';
const TS = '","ApproximateArrivalTimestamp":';
const DATA = ',"Data":"';
const KEY = '","PartitionKey":';

/**
 * The JSON 1.1 body of a GetRecords answer, written straight into one Buffer: `{"Records":[…],
 * <rest>}`. A GetRecords answer holds up to 10,000 records and 10 MiB of data, and going through
 * `toJson` would build the whole text as a string, scan it again in `JSON.stringify` and once more
 * to encode it for the socket. Here each record's base64 text is made once and copied once; only
 * partition keys (which may hold any Unicode) go through `JSON.stringify`.
 */
export function getRecordsJson(records: readonly ApiRecord[], rest: Record<string, unknown>): Buffer {
  const n = records.length;
  const data = new Array<string>(n);
  const keys = new Array<string>(n);
  const stamps = new Array<string>(n);
  const tail = toJson(rest);
  // `{"Records":[` + `]` + (`,` + rest without its braces) + `}`
  const tailText = tail.length > 2 ? `,${tail.slice(1)}` : '}';
  let size = 13 + Buffer.byteLength(tailText);
  const fixed = SEQ.length + TS.length + DATA.length + KEY.length + 1;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    data[i] = r.Data.toString('base64');
    keys[i] = JSON.stringify(r.PartitionKey);
    stamps[i] = String(r.ApproximateArrivalTimestamp.ms / 1000);
    size += fixed + r.SequenceNumber.length + stamps[i].length + data[i].length + Buffer.byteLength(keys[i]) + (i > 0 ? 1 : 0);
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write('{"Records":[', 0, 'latin1');
  for (let i = 0; i < n; i++) {
    if (i > 0) at += out.write(',', at, 'latin1');
    at += out.write(SEQ, at, 'latin1');
    at += out.write(records[i].SequenceNumber, at, 'latin1');
    at += out.write(TS, at, 'latin1');
    at += out.write(stamps[i], at, 'latin1');
    at += out.write(DATA, at, 'latin1');
    at += out.write(data[i], at, 'latin1');
    at += out.write(KEY, at, 'latin1');
    at += out.write(keys[i], at, 'utf8');
    at += out.write('}', at, 'latin1');
  }
  at += out.write(']', at, 'latin1');
  at += out.write(tailText, at, 'utf8');
  if (at !== size) throw new Error(`GetRecords body size mismatch: wrote ${at} of ${size} bytes`);
  return out;
}

/**
 * The JSON 1.1 text of a PutRecords answer. Sequence numbers and shard ids are plain ASCII, so a
 * template per record replaces the generic walk (which lists every result object's keys).
 */
export function putRecordsJson(failed: number, results: readonly PutResult[], encrypted: boolean): string {
  const parts = new Array<string>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    parts[i] = 'SequenceNumber' in r
      ? `{"SequenceNumber":"${r.SequenceNumber}","ShardId":"${r.ShardId}"}`
      : `{"ErrorCode":${JSON.stringify(r.ErrorCode)},"ErrorMessage":${JSON.stringify(r.ErrorMessage)}}`;
  }
  return `{"FailedRecordCount":${failed},"Records":[${parts.join(',')}]${encrypted ? ',"EncryptionType":"KMS"' : ''}}`;
}
