/**
 * The Firehose data-transformation contract as TypeScript types (the same shapes as
 * `@types/aws-lambda`'s FirehoseTransformationEvent / FirehoseTransformationResult), for the example
 * transforms. Types only: a compiled handler has no import left and runs as it is on Hydrant or AWS
 * Lambda.
 */

export interface FirehoseRecordMetadata {
  shardId: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  sequenceNumber: string;
  subsequenceNumber: number;
}

export interface FirehoseTransformationEventRecord {
  recordId: string;
  approximateArrivalTimestamp: number;
  /** Base64 of the record's bytes. */
  data: string;
  kinesisRecordMetadata?: FirehoseRecordMetadata;
}

export interface FirehoseTransformationEvent {
  invocationId: string;
  deliveryStreamArn: string;
  sourceKinesisStreamArn?: string;
  region: string;
  records: FirehoseTransformationEventRecord[];
}

export type FirehoseRecordTransformationStatus = 'Ok' | 'Dropped' | 'ProcessingFailed';

export interface FirehoseTransformationResultRecord {
  recordId: string;
  result: FirehoseRecordTransformationStatus;
  /** Base64 of the new bytes. */
  data: string;
  metadata?: { partitionKeys: Record<string, string> };
}

export interface FirehoseTransformationResult {
  records: FirehoseTransformationResultRecord[];
}
