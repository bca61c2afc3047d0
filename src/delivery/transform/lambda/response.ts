/**
 * The Firehose transformation response contract (reference §8.3), checked strictly: an object
 * with `records`, holding every recordId of the invocation exactly once, each with `result`
 * Ok / Dropped / ProcessingFailed, base64 `data` (required for Ok) and optional
 * `metadata.partitionKeys` (string → string). Anything else fails the whole invocation with
 * Firehose's error codes, and the invocation is retried.
 */

/** One record of a valid response. */
export interface ResponseRecord {
  result: 'Ok' | 'Dropped' | 'ProcessingFailed';
  /** Decoded `data` (empty when absent). */
  data: Buffer;
  partitionKeys?: Record<string, string>;
}

export type ResponseCheck =
  | { ok: true; records: Map<string, ResponseRecord> }
  | { ok: false; errorCode: string; errorMessage: string };

const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);
/** Standard base64 with padding, as Java's decoder (which Firehose uses) accepts it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const invalid = (errorMessage: string): ResponseCheck => ({ ok: false, errorCode: 'Lambda.JsonProcessingException', errorMessage });
const show = (v: unknown): string => {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkPartitionKeys(recordId: string, metadata: unknown): Record<string, string> | string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (!isObject(metadata)) return `metadata of record ${show(recordId)} must be an object`;
  const keys = metadata.partitionKeys;
  if (keys === undefined || keys === null) return undefined;
  if (!isObject(keys)) return `metadata.partitionKeys of record ${show(recordId)} must be an object of strings`;
  for (const [k, v] of Object.entries(keys)) {
    if (typeof v !== 'string') return `metadata.partitionKeys.${k} of record ${show(recordId)} must be a string, not ${show(v)}`;
  }
  return keys as Record<string, string>;
}

/** Checks a response payload (the JSON text the function returned) against the invocation's record ids. */
export function checkResponse(payload: string, recordIds: readonly string[]): ResponseCheck {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch (err) {
    return invalid(`The Lambda function returned a response that is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body)) return invalid(`The Lambda function must return an object with a records array; it returned ${show(body)}`);
  if (!Array.isArray(body.records)) return invalid(`The Lambda function's response has no records array (records is ${show(body.records)})`);
  const expected = new Set(recordIds);
  const out = new Map<string, ResponseRecord>();
  for (let i = 0; i < body.records.length; i++) {
    const entry: unknown = body.records[i];
    if (!isObject(entry)) return invalid(`records[${i}] of the Lambda function's response is not an object`);
    const id = entry.recordId;
    if (typeof id !== 'string') return invalid(`records[${i}] of the Lambda function's response has no recordId string`);
    if (!expected.has(id)) return invalid(`The Lambda function returned record ID ${show(id)}, which was not part of the invocation`);
    if (out.has(id)) return { ok: false, errorCode: 'Lambda.DuplicatedRecordId', errorMessage: `The Lambda function returned record ID ${show(id)} more than once` };
    const result = entry.result;
    if (typeof result !== 'string' || !RESULTS.has(result)) {
      return invalid(`Record ${show(id)} has result ${show(result)}; it must be one of Ok, Dropped, ProcessingFailed`);
    }
    const data = entry.data;
    if (result === 'Ok' && typeof data !== 'string') return invalid(`Record ${show(id)} has result Ok but no base64 data`);
    if (data !== undefined && data !== null) {
      if (typeof data !== 'string' || !BASE64.test(data)) return invalid(`The data of record ${show(id)} is not valid base64`);
    }
    const keys = checkPartitionKeys(id, entry.metadata);
    if (typeof keys === 'string') return invalid(keys);
    const record: ResponseRecord = { result: result as ResponseRecord['result'], data: typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.alloc(0) };
    if (keys) record.partitionKeys = keys;
    out.set(id, record);
  }
  if (out.size !== expected.size) {
    const missing = recordIds.filter((id) => !out.has(id));
    return {
      ok: false,
      errorCode: 'Lambda.MissingRecordId',
      errorMessage: `One or more record IDs were not returned (${missing.length} of ${recordIds.length}, e.g. ${show(missing[0])}). Ensure that the Lambda function returns all received record IDs.`,
    };
  }
  return { ok: true, records: out };
}
