/**
 * A real S3 HTTP server for tests: fauxqs (in-process S3/SQS/SNS emulator) on a random port,
 * plus an S3 client configured for it (path-style, static test credentials).
 *
 * With `{ record: true }` the endpoint is a small recording HTTP proxy in front of fauxqs, so tests
 * can check the headers that went over the wire (fauxqs does not store Content-Encoding).
 *
 * Limits of fauxqs 1.9.2 worth knowing: request bodies are capped at 11 MiB (so a single PutObject
 * above that fails with 413; multipart parts of 8 MiB are fine), Content-Encoding is not kept,
 * and SSE-KMS headers are accepted and ignored.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client, type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const TEST_REGION = 'us-east-1';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/bucket/key?uploads`. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface S3TestServer {
  endpoint: string;
  client: S3Client;
  /** Requests seen by the recording proxy (empty unless started with `record: true`). */
  requests: RecordedRequest[];
  createBucket(name: string): Promise<void>;
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** GetObject with its response metadata (ContentType, ETag, ...). */
  getObjectOutput(bucket: string, key: string): Promise<GetObjectCommandOutput & { bytes: Buffer }>;
  stop(): Promise<void>;
}

function startRecordingProxy(target: URL, requests: RecordedRequest[]): Promise<Server> {
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    const upstream = httpRequest({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers,
    }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => { res.destroy(err); });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export async function startS3Server(opts: { record?: boolean } = {}): Promise<S3TestServer> {
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  // fauxqs listens on 0.0.0.0; talk to it over loopback by IP (no DNS, so path-style is required).
  const direct = new URL(`http://127.0.0.1:${fauxqs.port}`);
  const requests: RecordedRequest[] = [];
  let proxy: Server | undefined;
  let endpoint = direct.origin;
  if (opts.record) {
    proxy = await startRecordingProxy(direct, requests);
    endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }
  const client = new S3Client({ endpoint, region: TEST_REGION, forcePathStyle: true, credentials: TEST_CREDENTIALS });

  const getObjectOutput = async (bucket: string, key: string) => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await out.Body!.transformToByteArray());
    return { ...out, bytes };
  };

  return {
    endpoint,
    client,
    requests,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async getObject(bucket, key) {
      return (await getObjectOutput(bucket, key)).bytes;
    },
    getObjectOutput,
    async stop() {
      client.destroy();
      if (proxy) {
        proxy.closeAllConnections();
        await new Promise<void>((resolve) => proxy!.close(() => resolve()));
      }
      await fauxqs.stop();
    },
  };
}
