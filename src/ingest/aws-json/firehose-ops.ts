import type { DeliveryStreams } from '../../delivery/delivery-streams.js';
import type { CreateDeliveryStreamInput } from '../../delivery/validate-create.js';
import type { Tag } from '../../delivery/catalog.js';
import { AwsError, invalidArgument } from '../../core/aws-error.js';

/** An operation's handler: the validated input in, the output shape (or a raw JSON string) out. */
export type Operation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

/** PutRecordBatch: at most 4 MiB of record data per call (shared with the REST ingest route). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Firehose_20150804 operations. Handlers only translate between API shapes and the delivery
 * streams' methods; validation against the model already happened.
 */
export function firehoseOperations(ds: DeliveryStreams): Record<string, Operation> {
  const name = (i: Record<string, unknown>) => i.DeliveryStreamName as string;
  return {
    CreateDeliveryStream: (i) => ds.create(i as CreateDeliveryStreamInput),
    DescribeDeliveryStream: (i) => ds.describe(name(i)),
    ListDeliveryStreams: (i) => ds.list(i),
    DeleteDeliveryStream: async (i) => {
      await ds.delete(name(i));
      return {};
    },
    UpdateDestination: async (i) => {
      await ds.updateDestination(i as Parameters<DeliveryStreams['updateDestination']>[0]);
      return {};
    },
    TagDeliveryStream: async (i) => {
      await ds.tag(name(i), i.Tags as Tag[]);
      return {};
    },
    UntagDeliveryStream: async (i) => {
      await ds.untag(name(i), i.TagKeys as string[]);
      return {};
    },
    ListTagsForDeliveryStream: (i) => ds.listTags(name(i), i),
    PutRecord: async (i) => {
      const data = (i.Record as { Data: Buffer }).Data;
      const { ids } = await ds.put(name(i), [data], data.length);
      return `{"RecordId":"${ids[0]}","Encrypted":false}`;
    },
    PutRecordBatch: async (i) => {
      const records = i.Records as { Data: Buffer }[];
      const data: Buffer[] = new Array(records.length);
      let total = 0;
      for (let k = 0; k < records.length; k++) {
        data[k] = records[k].Data;
        total += data[k].length;
      }
      if (total > MAX_BATCH_BYTES) throw invalidArgument('Records size exceeds 4 MB limit');
      const { ids, throttled } = await ds.put(name(i), data, total);
      // Built as a string: one allocation-light pass instead of 500 objects for JSON.stringify.
      let out = `{"FailedPutCount":${throttled},"Encrypted":false,"RequestResponses":[`;
      for (let k = 0; k < ids.length; k++) out += (k ? ',{"RecordId":"' : '{"RecordId":"') + ids[k] + '"}';
      for (let k = 0; k < throttled; k++) out += (ids.length + k ? ',' : '') + '{"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."}';
      return out + ']}';
    },
    StartDeliveryStreamEncryption: () => {
      throw new AwsError('InvalidArgumentException', 'StartDeliveryStreamEncryption (server-side encryption of the stream) is not supported by this Hydrant version.');
    },
    StopDeliveryStreamEncryption: () => {
      throw new AwsError('InvalidArgumentException', 'StopDeliveryStreamEncryption (server-side encryption of the stream) is not supported by this Hydrant version.');
    },
  };
}
