import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { startS3Server } from '../helpers/s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from '../helpers/hydrant.js';
import { makeRecord, maybeGunzip, mixedSize, parseRecords } from '../helpers/records.js';

type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Node = Awaited<ReturnType<typeof startTestHydrant>>;

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const KEY_RE = (name: string, ext: string) =>
  new RegExp(`^(\\d{4})/(\\d{2})/(\\d{2})/(\\d{2})/${name}-1-\\1-\\2-\\3-\\4-\\d{2}-\\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}${ext.replace('.', '\\.')}$`);

describe('Firehose Direct PUT to S3 through the AWS SDK', () => {
  let s3: S3;
  let node: Node;
  let client: FirehoseClient;

  beforeAll(async () => {
    s3 = await startS3Server({ record: true });
    await s3.createBucket('landing');
    node = await startTestHydrant({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' } });
    client = firehoseClient(node.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await node?.stop();
    await s3?.stop();
  });

  for (const compression of ['GZIP', 'UNCOMPRESSED'] as const) {
    it(`delivers 10,000+ mixed records exactly once, ${compression}, in AWS's key layout`, async () => {
      const name = `clicks-${compression.toLowerCase()}`;
      const created = await client.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: {
          RoleARN: ROLE,
          BucketARN: 'arn:aws:s3:::landing',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
          CompressionFormat: compression,
        },
      }));
      expect(created.DeliveryStreamARN).toBe(`arn:aws:firehose:us-east-1:000000000000:deliverystream/${name}`);
      await waitFor(async () => (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE');

      const total = 10_250;
      const sent = new Map<number, Buffer>();
      let id = 0;
      // 250 single puts, then batches of up to 500 records.
      for (; id < 250; id++) {
        const rec = makeRecord(id, mixedSize(id));
        sent.set(id, rec);
        const out = await client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: rec } }));
        expect(out.RecordId).toBeTruthy();
      }
      const batches: Promise<void>[] = [];
      while (id < total) {
        const records: { Data: Buffer }[] = [];
        let bytes = 0;
        while (id < total && records.length < 500 && bytes < 3_000_000) {
          const rec = makeRecord(id, mixedSize(id));
          sent.set(id, rec);
          records.push({ Data: rec });
          bytes += rec.length;
          id++;
        }
        batches.push(client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records })).then((out) => {
          expect(out.FailedPutCount).toBe(0);
          expect(out.RequestResponses).toHaveLength(records.length);
          expect(new Set(out.RequestResponses!.map((r) => r.RecordId)).size).toBe(records.length);
        }));
        if (batches.length >= 4) await Promise.all(batches.splice(0));
      }
      await Promise.all(batches);

      const ext = compression === 'GZIP' ? '.gz' : '';
      const seen = new Map<number, number>();
      const keys = await waitFor(async () => {
        const keys = await s3.listKeys('landing', '');
        const mine = keys.filter((k) => k.includes(`/${name}-`));
        seen.clear();
        for (const key of mine) {
          for (const r of parseRecords(maybeGunzip(key, await s3.getObject('landing', key)))) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
        }
        return seen.size >= total ? mine : undefined;
      }, 60_000, 500);

      for (const key of keys) expect(key).toMatch(KEY_RE(name, ext));
      expect(seen.size).toBe(total);
      for (const [rid, count] of seen) expect(count, `record ${rid}`).toBe(1);
      // Byte-exact contents.
      for (const key of keys) {
        for (const r of parseRecords(maybeGunzip(key, await s3.getObject('landing', key)))) expect(r.data.equals(sent.get(r.id)!)).toBe(true);
      }
      if (compression === 'GZIP') {
        // The S3 server keeps no Content-Encoding, so check what Hydrant sent on the wire.
        const puts = s3.requests.filter((r) => r.method === 'PUT' && r.url.includes(`/${name}-`));
        expect(puts.length).toBeGreaterThan(0);
        for (const put of puts) expect(put.headers['content-encoding']).toBe('gzip');
      }
    });
  }
});
