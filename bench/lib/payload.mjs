// Request bodies, built once per record size: PutRecordBatch JSON with base64 records of
// pseudo-random bytes. Several distinct bodies so no layer can cache one answer.
import { randomBytes } from 'node:crypto';

export const STREAM_NAME = 'bench';

export function buildBodies(recordSize, recordsPerRequest, distinct = 4) {
  const bodies = [];
  for (let b = 0; b < distinct; b++) {
    const bytes = randomBytes(recordSize * recordsPerRequest);
    const records = new Array(recordsPerRequest);
    for (let i = 0; i < recordsPerRequest; i++) {
      const data = bytes.subarray(i * recordSize, (i + 1) * recordSize).toString('base64');
      records[i] = `{"Data":"${data}"}`;
    }
    bodies.push(Buffer.from(`{"DeliveryStreamName":"${STREAM_NAME}","Records":[${records.join(',')}]}`));
  }
  return { bodies, recordsPerRequest, payloadBytesPerRequest: recordSize * recordsPerRequest };
}
