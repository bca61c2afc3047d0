/** Keeps the OpenSearch double honest: the official client drives it as it would a cluster. */
import { Client, errors } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenSearch, type OpenSearchDouble } from './opensearch-bulk.js';

describe('OpenSearch double, cross-checked with @opensearch-project/opensearch', () => {
  let os: OpenSearchDouble;
  let client: Client;
  beforeAll(async () => {
    os = await startOpenSearch({ users: { admin: 'admin' } });
    client = new Client({ node: os.url, auth: { username: 'admin', password: 'admin' }, maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    await os.stop();
  });

  it('serves info, index creation and existence checks', async () => {
    const info = await client.info();
    expect(info.body.version.distribution).toBe('opensearch');
    expect((await client.indices.create({ index: 'books' })).body).toMatchObject({ acknowledged: true, index: 'books' });
    expect((await client.indices.exists({ index: 'books' })).body).toBe(true);
    expect((await client.indices.exists({ index: 'nope' })).body).toBe(false);
    await expect(client.indices.create({ index: 'books' })).rejects.toThrow(/resource_already_exists_exception/);
  });

  it('answers the client bulk helper format: per-item results with errors flagged', async () => {
    const res = await client.bulk({
      body: [
        { index: { _index: 'books', _id: '1' } }, { title: 'Dune', year: 1965 },
        { create: { _index: 'books', _id: '1' } }, { title: 'again', year: 1966 },
        { index: { _index: 'books', _id: '2' } }, { title: 'Bad', year: 'nineteen' },
        { delete: { _index: 'books', _id: '9' } },
      ],
    });
    expect(res.body.errors).toBe(true);
    expect(res.body.items.map((i) => Object.values(i)[0].status)).toEqual([201, 409, 400, 404]);
    expect(res.body.items[2].index?.error?.type).toBe('mapper_parsing_exception');
    const doc = await client.get({ index: 'books', id: '1' });
    expect(doc.body._source).toEqual({ title: 'Dune', year: 1965 });
  });

  it('enforces the NDJSON newline rule and basic auth the way a cluster does', async () => {
    await expect(client.transport.request({ method: 'POST', path: '/_bulk', body: '{"index":{"_index":"x"}}\n{"a":1}' }, { headers: { 'content-type': 'application/x-ndjson' } }))
      .rejects.toThrow(/terminated by a newline/);
    const anonymous = new Client({ node: os.url, maxRetries: 0 });
    const err = await anonymous.info().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as InstanceType<typeof errors.ResponseError>).meta.statusCode).toBe(401);
    await anonymous.close();
  });

  it('throttles whole bulk requests with 429 when asked', async () => {
    os.throttleNext(1);
    const err = await client.bulk({ body: [{ index: { _index: 'books' } }, { a: 1 }] }).then(() => undefined, (e: unknown) => e);
    expect((err as InstanceType<typeof errors.ResponseError>).meta.statusCode).toBe(429);
  });
});
