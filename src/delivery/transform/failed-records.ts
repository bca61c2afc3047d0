/**
 * The JSON documents Firehose writes, one per line, for records that end under the error prefix
 * (reference §8.5, §9.1, §7.4). Pure functions: the S3 backup writer serializes and stores them.
 * Member order follows AWS's examples.
 */
import type { RecordFailure } from './types.js';

/** `processing-failed` / `decompression-failed`: a transform (Lambda, jq, decompression) failed the record. */
export interface ProcessingFailedDocument {
  attemptsMade: number;
  arrivalTimestamp: number;
  errorCode: string;
  errorMessage: string;
  attemptEndingTimestamp: number;
  rawData: string;
  lambdaArn?: string;
}

export function processingFailedDocument(failure: RecordFailure): ProcessingFailedDocument {
  const doc: ProcessingFailedDocument = {
    attemptsMade: failure.attemptsMade,
    arrivalTimestamp: failure.arrivedAt,
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    attemptEndingTimestamp: failure.attemptEndingTimestamp,
    rawData: failure.rawData.toString('base64'),
  };
  if (failure.lambdaArn) doc.lambdaArn = failure.lambdaArn;
  return doc;
}

/** The Glue table a conversion used, as Firehose names it in the failure document. */
export interface DataCatalogTable {
  catalogId: string;
  databaseName: string;
  tableName: string;
  region: string;
  versionId: string;
  catalogArn: string;
}

export interface FormatConversionFailure {
  attemptsMade: number;
  arrivedAt: number;
  errorCode: string;
  errorMessage: string;
  attemptEndingTimestamp: number;
  rawData: Buffer;
  /** Sequence number of the record (Kinesis source, or Hydrant's log position) and its KPL sub-record index. */
  sequenceNumber?: string;
  subSequenceNumber?: number;
  table: DataCatalogTable;
}

/** `format-conversion-failed`: the record could not be converted to the table's schema. */
export interface FormatConversionFailedDocument {
  attemptsMade: number;
  arrivalTimestamp: number;
  lastErrorCode: string;
  lastErrorMessage: string;
  attemptEndingTimestamp: number;
  rawData: string;
  sequenceNumber?: string;
  subSequenceNumber?: number;
  dataCatalogTable: DataCatalogTable;
}

export function formatConversionFailedDocument(f: FormatConversionFailure): FormatConversionFailedDocument {
  const doc: Omit<FormatConversionFailedDocument, 'dataCatalogTable'> & { dataCatalogTable?: DataCatalogTable } = {
    attemptsMade: f.attemptsMade,
    arrivalTimestamp: f.arrivedAt,
    lastErrorCode: f.errorCode,
    lastErrorMessage: f.errorMessage,
    attemptEndingTimestamp: f.attemptEndingTimestamp,
    rawData: f.rawData.toString('base64'),
  };
  if (f.sequenceNumber !== undefined) doc.sequenceNumber = f.sequenceNumber;
  if (f.subSequenceNumber !== undefined) doc.subSequenceNumber = f.subSequenceNumber;
  doc.dataCatalogTable = f.table;
  return doc as FormatConversionFailedDocument;
}

/** Error code of records routed to `activePartitionExceeded` (dynamic partitioning). */
export const ACTIVE_PARTITIONS_EXCEEDED = 'DynamicPartitioning.ActivePartitionsLimitExceeded';

/** `activePartitionExceeded`: the record would have opened a partition beyond the limit. */
export function activePartitionExceededDocument(r: { arrivedAt: number; rawData: Buffer; limit: number; partitionKeys?: Record<string, string>; at: number }): ProcessingFailedDocument & { partitionKeys?: Record<string, string> } {
  const doc: ProcessingFailedDocument & { partitionKeys?: Record<string, string> } = {
    attemptsMade: 1,
    arrivalTimestamp: r.arrivedAt,
    errorCode: ACTIVE_PARTITIONS_EXCEEDED,
    errorMessage: `The record would open a new partition while ${r.limit} partitions are active, the limit for this delivery stream`,
    attemptEndingTimestamp: r.at,
    rawData: r.rawData.toString('base64'),
  };
  if (r.partitionKeys) doc.partitionKeys = r.partitionKeys;
  return doc;
}

/** Newline-delimited JSON of failure documents: the body of an error object. */
export function failureLines(docs: readonly object[]): Buffer {
  return Buffer.from(docs.map((d) => `${JSON.stringify(d)}\n`).join(''), 'utf8');
}
