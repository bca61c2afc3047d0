import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TransformServices } from '../../../src/delivery/transform/services.js';

describe('TransformServices', () => {
  it('builds the shared runtimes from the config members and resolves relative paths against the base dir', async () => {
    const services = new TransformServices({
      functions: { shout: './functions/upper.mjs' },
      glue: { tables: [{ DatabaseName: 'd', Name: 't', Columns: [{ Name: 'a', Type: 'int' }] }] },
      jq: { timeoutSeconds: 5 },
    }, { region: 'eu-west-1', accountId: '111122223333', baseDir: join(import.meta.dirname, '..', '..', 'fixtures') });
    try {
      expect(services.activePartitionLimit).toBe(500);
      expect((await services.lambda.resolve('shout'))?.path).toBe(join(import.meta.dirname, '..', '..', 'fixtures', 'functions', 'upper.mjs'));
      const out = await services.lambda.invoke('shout', { invocationId: 'i', deliveryStreamArn: 'a', region: 'eu-west-1', records: [{ recordId: '1', approximateArrivalTimestamp: 1, data: 'YQ==' }] }, { key: 's' });
      expect(out.ok && JSON.parse(out.payload)).toEqual({ records: [{ recordId: '1', result: 'Ok', data: 'QQ==' }] });
      expect(await services.jq.evaluate('{a: .a}', ['{"a":1}'])).toEqual([{ ok: true, values: [{ a: 1 }] }]);
      expect((await services.tables.get('d', 't')).columns).toEqual([{ name: 'a', type: { kind: 'int' } }]);
    } finally {
      await services.close();
    }
  });
});
