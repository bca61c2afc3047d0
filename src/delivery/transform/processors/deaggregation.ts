/**
 * The RecordDeAggregation processor: one incoming record holds several: concatenated JSON
 * documents (`{"a":1}{"a":2}` or one per line), DELIMITED sub-records, or a KPL aggregate. At most
 * 500 sub-records are split out of one record; a record with more, or one that does not split
 * cleanly (unbalanced JSON, not a KPL aggregate), passes on whole, as Firehose does.
 */
import { deaggregate } from '../../../stream/consumer/kpl.js';
import type { SubRecordType } from '../processing-config.js';

/** Firehose's limit on sub-records per record. */
export const MAX_SUB_RECORDS = 500;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isStructural = (b: number) => b === OPEN_BRACE || b === CLOSE_BRACE || b === OPEN_BRACKET || b === CLOSE_BRACKET || b === QUOTE;

/** End (exclusive) of the JSON string starting at `i` (a quote), or -1 when it is not closed. */
function stringEnd(data: Buffer, i: number): number {
  for (let j = i + 1; j < data.length; j++) {
    const b = data[j];
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  return -1;
}

/** End (exclusive) of the JSON value starting at `i`, or -1 when it is unbalanced. */
function valueEnd(data: Buffer, i: number): number {
  const first = data[i];
  if (first === QUOTE) return stringEnd(data, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    if (first === CLOSE_BRACE || first === CLOSE_BRACKET) return -1;
    let j = i;
    while (j < data.length && !isSpace(data[j]) && !isStructural(data[j])) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < data.length; j++) {
    const b = data[j];
    if (b === QUOTE) {
      const end = stringEnd(data, j);
      if (end < 0) return -1;
      j = end - 1;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/**
 * The top-level JSON values of a record, as views of its bytes (no copies, not parsed), or
 * undefined when it does not split cleanly. Whether each value is valid JSON is for later steps.
 */
export function splitJsonValues(data: Buffer, max = MAX_SUB_RECORDS): Buffer[] | undefined {
  const out: Buffer[] = [];
  let i = 0;
  while (i < data.length) {
    if (isSpace(data[i])) { i++; continue; }
    const end = valueEnd(data, i);
    if (end < 0) return undefined;
    out.push(data.subarray(i, end));
    if (out.length > max) return undefined;
    i = end;
  }
  return out;
}

/** The pieces between delimiters (empty pieces are dropped), or undefined beyond `max` pieces. */
export function splitDelimited(data: Buffer, delimiter: Buffer, max = MAX_SUB_RECORDS): Buffer[] | undefined {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const at = data.indexOf(delimiter, start);
    const end = at < 0 ? data.length : at;
    if (end > start) out.push(data.subarray(start, end));
    if (out.length > max) return undefined;
    if (at < 0) return out;
    start = at + delimiter.length;
  }
}

/** Sub-records of one record (the record itself when it does not split). */
export function deaggregateRecord(data: Buffer, type: SubRecordType, delimiter?: Buffer): Buffer[] {
  let parts: Buffer[] | undefined;
  if (type === 'JSON') parts = splitJsonValues(data);
  else if (type === 'DELIMITED') parts = splitDelimited(data, delimiter!);
  else parts = deaggregate(data)?.map((u) => u.data);
  if (!parts || parts.length > MAX_SUB_RECORDS) return [data];
  return parts;
}
