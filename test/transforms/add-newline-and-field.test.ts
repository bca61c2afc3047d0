import { describe, expect, it } from 'vitest';
import { handler } from '../../transforms/add-newline-and-field/index.js';
import { firehoseEvent, runDirect, transformConformance } from '../conformance/transform-suite.js';

describe('add-newline-and-field', () => {
  const viaLambda = transformConformance('add-newline-and-field', handler, firehoseEvent(['{"a":1}', 'not json']), { EXTRA_FIELDS: '{"env":"prod"}', PARTITION_BY: 'customer' });

  it('adds processedAt and the stream name, ends each record with a newline', async () => {
    const out = await runDirect(handler, firehoseEvent(['{"a":1}', '"just a string"', 'not json']));
    expect(out.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed']);
    const text = out[0].data.toString();
    expect(text.endsWith('\n')).toBe(true);
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(doc).toMatchObject({ a: 1, deliveryStream: 'logs' });
    expect(Number.isNaN(Date.parse(doc.processedAt as string))).toBe(false);
  });

  it('adds Kinesis metadata, EXTRA_FIELDS and PARTITION_BY keys when running as a Lambda', async () => {
    const event = firehoseEvent(['{"customer":"acme"}', '{"other":1}']);
    const withMeta = { ...event, records: event.records.map((r) => ({ ...r, kinesisRecordMetadata: { shardId: 'shardId-000000000000', partitionKey: 'pk-1', approximateArrivalTimestamp: 1, sequenceNumber: '4954', subsequenceNumber: 0 } })) };
    const out = await viaLambda(withMeta as typeof event);
    expect(out.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    expect(JSON.parse(out[0].data.toString())).toMatchObject({ customer: 'acme', env: 'prod', partitionKey: 'pk-1', sequenceNumber: '4954' });
    expect(out[0].partitionKeys).toEqual({ customer: 'acme' });
  });
});
