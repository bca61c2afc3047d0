/**
 * Typed views of the hot-path inputs as `parse` returns them (blobs already decoded).
 * Use as `firehoseModel.parse<FirehosePutRecordBatchInput>('PutRecordBatch', body)`.
 */
export interface FirehoseRecord {
  Data: Buffer;
}

export interface FirehosePutRecordInput {
  DeliveryStreamName: string;
  Record: FirehoseRecord;
}

export interface FirehosePutRecordBatchInput {
  DeliveryStreamName: string;
  Records: FirehoseRecord[];
}

export interface KinesisPutRecordInput {
  StreamName?: string;
  StreamARN?: string;
  Data: Buffer;
  PartitionKey: string;
  ExplicitHashKey?: string;
  SequenceNumberForOrdering?: string;
}

export interface KinesisPutRecordsRequestEntry {
  Data: Buffer;
  PartitionKey: string;
  ExplicitHashKey?: string;
}

export interface KinesisPutRecordsInput {
  StreamName?: string;
  StreamARN?: string;
  Records: KinesisPutRecordsRequestEntry[];
}
