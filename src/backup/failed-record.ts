/**
 * Firehose's failed-record document (destinations.md §0.6): one JSON object per failed record,
 * written as JSON Lines to the S3 backup under the `!{firehose:error-output-type}` folder.
 * Common fields first, in the order of AWS's examples, then the destination's own fields
 * (`esDocumentId`/`esIndexName`/`esTypeName` for OpenSearch, `EventId` for Splunk,
 * `subsequenceNumber`/`dataId` for HTTP endpoints, `lambdaArn` for processing failures, ...).
 */

/** What the backup needs to know about one failed record. */
export interface FailedRecordInput {
  /** The record's bytes (base64-encoded into `rawData`). */
  data: Buffer;
  /** When Hydrant received the record (epoch ms). */
  arrivedAt: number;
  attemptsMade: number;
  errorCode: string;
  errorMessage: string;
  /** When Hydrant gave up on the record (epoch ms). */
  attemptEndingTimestamp: number;
  /** Destination-specific fields, appended after the common ones. */
  extra?: Readonly<Record<string, unknown>>;
}

/** The JSON document of one failed record. */
export function failedRecordDocument(r: FailedRecordInput): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    attemptsMade: r.attemptsMade,
    arrivalTimestamp: r.arrivedAt,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    attemptEndingTimestamp: r.attemptEndingTimestamp,
    rawData: r.data.toString('base64'),
  };
  if (r.extra) for (const [k, v] of Object.entries(r.extra)) if (!(k in doc)) doc[k] = v;
  return doc;
}

/** One JSON Lines line (the document and `\n`). */
export function jsonLine(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc) + '\n');
}
