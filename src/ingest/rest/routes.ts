/**
 * Plain REST ingest for clients without an AWS SDK (curl, a log shipper):
 *
 * - `POST /v1/deliverystreams/{name}/records`: like PutRecordBatch, answers
 *   `{FailedPutCount, Encrypted, RequestResponses:[{RecordId}|{ErrorCode, ErrorMessage}]}`;
 * - `POST /v1/streams/{name}/records`: like Kinesis PutRecords, answers
 *   `{FailedRecordCount, Records:[{SequenceNumber, ShardId}|{ErrorCode, ErrorMessage}]}`.
 *
 * Bodies are NDJSON or a JSON array (`records.ts`), optionally `Content-Encoding: gzip`. The same
 * limits, durability (the answer comes after the durable append) and SigV4 authentication as the
 * AWS APIs; any error is an AWS error body and nothing of the request is stored.
 */
import { randomUUID } from 'node:crypto';
import { AwsError, invalidArgument } from '../../core/aws-error.js';
import type { DeliveryStreams } from '../../delivery/delivery-streams.js';
import type { KinesisStreams } from '../../stream/registry/kinesis-streams.js';
import type { Logger } from '../../observability/logger.js';
import { errorResponse, type Authenticator } from '../aws-json/dispatch.js';
import { MAX_BATCH_BYTES } from '../aws-json/firehose-ops.js';
import { checkPutRecordsEntries } from '../aws-json/kinesis-ops.js';
import { awsErrorOf } from '../http/aws-failure.js';
import { BodyEncodingError, decodeBody } from '../http/content-encoding.js';
import type { Route, RouteRequest, RouteResponse } from '../http/types.js';
import { partitionKeys } from './partition-key.js';
import { parseJsonRecords, type JsonRecord } from './records.js';

export interface RestRoutesOptions {
  deliveryStreams: DeliveryStreams;
  kinesisStreams: KinesisStreams;
  /** SigV4 verification (the same keys as the AWS APIs); absent = accept any request. */
  auth?: Authenticator;
  logger: Logger;
}

/** Records per request, as PutRecordBatch and PutRecords. */
export const MAX_REST_RECORDS = 500;
/** Firehose's largest record. */
const MAX_FIREHOSE_RECORD = 1_024_000;
/** Largest body accepted on the wire, and once decompressed. */
export const MAX_REST_BODY = 16 * 1024 * 1024;

const JSON_REPLY = 'application/json';

function tooMany(n: number): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value '[${n} records]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_REST_RECORDS}`);
}

/** The route's work wrapped with what every REST call shares: auth, decoding, parsing, AWS error bodies. */
function restHandler(opts: RestRoutesOptions, put: (name: string, records: JsonRecord[], req: RouteRequest) => Promise<unknown>) {
  return async (req: RouteRequest): Promise<RouteResponse> => {
    const requestId = randomUUID();
    try {
      if (opts.auth) await opts.auth.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body });
      let body: Buffer;
      try {
        body = await decodeBody(req.headers, req.body, MAX_REST_BODY);
      } catch (err) {
        if (err instanceof BodyEncodingError) throw invalidArgument(`${err.message} Nothing was stored.`);
        throw err;
      }
      const records = parseJsonRecords(body, typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined);
      if (records.length === 0) throw invalidArgument('The request holds no records (send NDJSON lines or a JSON array).');
      if (records.length > MAX_REST_RECORDS) throw tooMany(records.length);
      const out = await put(req.params.name, records, req);
      return { status: 200, headers: { 'content-type': JSON_REPLY, 'x-amzn-requestid': requestId }, body: JSON.stringify(out) };
    } catch (err) {
      const known = awsErrorOf(err);
      if (known) return errorResponse(known, requestId, JSON_REPLY);
      opts.logger.error({ err, path: req.path, requestId }, 'REST ingest failed');
      return errorResponse(new AwsError('InternalFailure', '', 500), requestId, JSON_REPLY);
    }
  };
}

/** The two REST routes (registered by `app.ts`). */
export function restRoutes(opts: RestRoutesOptions): Route[] {
  const deliveryStream = restHandler(opts, async (name, records) => {
    let total = 0;
    const data = records.map((r, i) => {
      if (r.data.length > MAX_FIREHOSE_RECORD) {
        throw new AwsError('ValidationException', `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${r.data.length} cap=${r.data.length}]' at 'records.${i + 1}.member.data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FIREHOSE_RECORD}`);
      }
      total += r.data.length;
      return r.data;
    });
    if (total > MAX_BATCH_BYTES) throw invalidArgument('Records size exceeds 4 MB limit');
    const { ids, throttled } = await opts.deliveryStreams.put(name, data, total);
    return {
      FailedPutCount: throttled,
      Encrypted: false,
      RequestResponses: [
        ...ids.map((RecordId) => ({ RecordId })),
        ...Array.from({ length: throttled }, () => ({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' })),
      ],
    };
  });
  const stream = restHandler(opts, async (name, records, req) => {
    const s = opts.kinesisStreams.requireWritable({ StreamName: name });
    const keys = partitionKeys(records, req.headers, req.query);
    const entries = checkPutRecordsEntries(s, records.map((r, i) => ({ data: r.data, partitionKey: keys[i] })));
    const { results, failed } = await s.put(entries);
    return { FailedRecordCount: failed, Records: results, ...(s.settings.encryption.type === 'KMS' ? { EncryptionType: 'KMS' } : {}) };
  });
  return [
    { method: 'POST', path: '/v1/deliverystreams/:name/records', handler: deliveryStream, maxBody: MAX_REST_BODY },
    { method: 'POST', path: '/v1/streams/:name/records', handler: stream, maxBody: MAX_REST_BODY },
  ];
}
