/** The words of the processor chain: what goes in, what comes out for each record. Types only. */

/** Present on records read from a Kinesis data stream (the Lambda event carries it as is). */
export interface KinesisRecordMetadata {
  shardId: string;
  partitionKey: string;
  /** Epoch ms when Kinesis accepted the record. */
  approximateArrivalTimestamp: number;
  sequenceNumber: string;
  /** Index of a KPL user record within its aggregate (0 for plain records). */
  subsequenceNumber: number;
}

/** One record handed to the chain. */
export interface TransformInput {
  data: Buffer;
  /** Epoch ms when Hydrant (or Kinesis) accepted the record. */
  arrivedAt: number;
  kinesisRecordMetadata?: KinesisRecordMetadata;
}

/** Partition keys of a record: from the MetadataExtraction query and from the Lambda's metadata. */
export interface PartitionKeys {
  query?: Record<string, string>;
  lambda?: Record<string, string>;
}

/** Which error folder a failure goes to (`!{firehose:error-output-type}`). */
export type TransformErrorOutputType = 'processing-failed' | 'decompression-failed';

/** Why a record could not be processed: the fields of Firehose's processing-failed document. */
export interface RecordFailure {
  errorOutputType: TransformErrorOutputType;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  /** Epoch ms when Hydrant stopped trying. */
  attemptEndingTimestamp: number;
  /** The record as it was handed to the chain (Firehose writes the original, untransformed bytes). */
  rawData: Buffer;
  arrivedAt: number;
  /** The function's ARN when a Lambda failed it. */
  lambdaArn?: string;
}

/**
 * What happened to (a part of) one input record. `source` is the input's index. One input yields
 * several `ok` results when it was de-aggregated or held several CloudWatch Logs events; it
 * yields at most one `failed` result whatever went wrong (with the original bytes), and results
 * appear in input order.
 */
export type ProcessedRecord =
  | { result: 'Ok'; source: number; data: Buffer; partitionKeys?: PartitionKeys }
  | { result: 'Dropped'; source: number }
  | { result: 'ProcessingFailed'; source: number; failure: RecordFailure };
