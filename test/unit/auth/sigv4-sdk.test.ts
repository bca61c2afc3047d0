import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FirehoseClient, ListDeliveryStreamsCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { createSigV4Verifier, type SigV4Identity } from '../../../src/ingest/auth/index.js';

const KEY = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

describe('SigV4 verification against the real AWS SDK Firehose client', () => {
  const verifier = createSigV4Verifier({ credentials: { [KEY]: SECRET } });
  const seen: SigV4Identity[] = [];
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const url = new URL(req.url ?? '/', 'http://localhost');
        try {
          seen.push(await verifier.verify({ method: req.method ?? 'POST', path: url.pathname, query: url.searchParams, headers: req.headers, body }));
          const out = req.headers['x-amz-target'] === 'Firehose_20150804.PutRecordBatch'
            ? { FailedPutCount: 0, RequestResponses: [{ RecordId: 'r1' }] }
            : { DeliveryStreamNames: [], HasMoreDeliveryStreams: false };
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
        } catch (err) {
          const e = AwsError.isInstance(err) ? err : new AwsError('InternalFailure', '', 500);
          res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(e.toBody()));
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = (accessKeyId: string, secretAccessKey: string) =>
    new FirehoseClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });

  async function errorName(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      return (err as Error).name;
    }
    return 'no error';
  }

  it('accepts requests signed with the right secret and reports who signed', async () => {
    const c = client(KEY, SECRET);
    const out = await c.send(new ListDeliveryStreamsCommand({}));
    expect(out.HasMoreDeliveryStreams).toBe(false);
    const put = await c.send(new PutRecordBatchCommand({ DeliveryStreamName: 's', Records: [{ Data: Buffer.from('x'.repeat(5000)) }] }));
    expect(put.FailedPutCount).toBe(0);
    expect(seen.at(-1)).toEqual({ accessKeyId: KEY, region: 'us-east-1', service: 'firehose' });
    c.destroy();
  });

  it('rejects a wrong secret with InvalidSignatureException', async () => {
    const c = client(KEY, SECRET.replace('K7', 'K8'));
    expect(await errorName(c.send(new ListDeliveryStreamsCommand({})))).toBe('InvalidSignatureException');
    c.destroy();
  });

  it('rejects an unknown access key with UnrecognizedClientException', async () => {
    const c = client('AKIDUNKNOWN', SECRET);
    expect(await errorName(c.send(new ListDeliveryStreamsCommand({})))).toBe('UnrecognizedClientException');
    c.destroy();
  });
});
