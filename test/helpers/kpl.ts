import { aggregate } from 'aws-kinesis-agg';

/** A user record as the KPL (and `aws-kinesis-agg`) takes it. */
export interface UserRecord { partitionKey: string; explicitHashKey?: string; data: Buffer }
/** An aggregated Kinesis record as `aggregate` hands it over (the hash key only when one was given). */
export interface EncodedRecord { partitionKey: string; ExplicitHashKey?: string; data: Buffer }

/** KPL aggregation of `records`, in order, into as many ≤ 1 MiB Kinesis records as needed. */
export function aggregateAll(records: UserRecord[]): Promise<EncodedRecord[]> {
  return new Promise((resolve, reject) => {
    const out: EncodedRecord[] = [];
    aggregate(records, (encoded: EncodedRecord, done: () => void) => {
      out.push(encoded);
      done();
    }, () => resolve(out), (err: Error) => reject(err));
  });
}
