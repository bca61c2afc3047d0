/**
 * Adds fields to JSON records and ends each with a newline — the classic first Firehose
 * transform, which makes S3 objects newline-delimited JSON that Athena and `jq` read line by line.
 *
 * Every record gets `processedAt` (ISO time of the invocation), `deliveryStream` (the stream's
 * name from the event's ARN) and, for records read from a Kinesis data stream, `partitionKey` and
 * `sequenceNumber`. `EXTRA_FIELDS` (JSON object in the environment, e.g. `{"env":"prod"}`) adds
 * constant fields. With `PARTITION_BY` set to a field name, the field's value is returned as the
 * `metadata.partitionKeys` entry of that name (for `!{partitionKeyFromLambda:NAME}` prefixes).
 * Records that are not JSON objects are ProcessingFailed.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../firehose-event.js';

function extraFields(): Record<string, unknown> {
  const raw = process.env.EXTRA_FIELDS;
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('EXTRA_FIELDS must be a JSON object');
  return parsed as Record<string, unknown>;
}

export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
  const processedAt = new Date().toISOString();
  const deliveryStream = event.deliveryStreamArn.split('/').pop();
  const extra = extraFields();
  const partitionBy = process.env.PARTITION_BY;
  return {
    records: event.records.map((record): FirehoseTransformationResultRecord => {
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
      } catch {
        return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
      const out: Record<string, unknown> = { ...(doc as Record<string, unknown>), ...extra, processedAt, deliveryStream };
      if (record.kinesisRecordMetadata) {
        out.partitionKey = record.kinesisRecordMetadata.partitionKey;
        out.sequenceNumber = record.kinesisRecordMetadata.sequenceNumber;
      }
      const result: FirehoseTransformationResultRecord = { recordId: record.recordId, result: 'Ok', data: Buffer.from(`${JSON.stringify(out)}\n`).toString('base64') };
      if (partitionBy) {
        const value = out[partitionBy];
        if (value === undefined || value === null || typeof value === 'object') return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
        result.metadata = { partitionKeys: { [partitionBy]: String(value) } };
      }
      return result;
    }),
  };
};
