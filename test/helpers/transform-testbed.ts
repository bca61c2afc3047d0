/**
 * What the transform end-to-end tests share: a real S3 server (fauxqs) with one bucket, a
 * Hydrant that finds functions in test/fixtures/functions, a Firehose client, and a way to wait
 * for objects under a prefix and read failed-record documents.
 */
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FirehoseClient, Processor, ProcessorParameter } from '@aws-sdk/client-firehose';
import type { HydrantConfig } from '../../src/config/config.js';
import { startS3Server } from './s3-server.js';
import { firehoseClient, startTestHydrant, waitFor } from './hydrant.js';

export const ROLE = 'arn:aws:iam::123456789012:role/firehose';
export const FUNCTIONS = join(import.meta.dirname, '..', 'fixtures', 'functions');

/** A processor parameter (the SDK types names as an enum). */
export const param = (ParameterName: string, ParameterValue: string): ProcessorParameter => ({ ParameterName: ParameterName as ProcessorParameter['ParameterName'], ParameterValue });

export interface TransformTestbed {
  s3: Awaited<ReturnType<typeof startS3Server>>;
  node: Awaited<ReturnType<typeof startTestHydrant>>;
  client: FirehoseClient;
  bucket: string;
  /** Waits until at least `count` objects are under `prefix`; their bodies (gunzipped for .gz). */
  objects(prefix: string, count: number, timeoutMs?: number): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

export async function startTransformTestbed(bucket: string, config: HydrantConfig = {}): Promise<TransformTestbed> {
  const s3 = await startS3Server();
  await s3.createBucket(bucket);
  const node = await startTestHydrant({
    s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' },
    functionsDir: FUNCTIONS,
    ...config,
  });
  const client = firehoseClient(node.endpoint);
  return {
    s3, node, client, bucket,
    objects: (prefix, count, timeoutMs = 60_000) => waitFor(async () => {
      const keys = await s3.listKeys(bucket, prefix);
      if (keys.length < count) return undefined;
      const out = new Map<string, string>();
      for (const key of keys) {
        const raw = await s3.getObject(bucket, key);
        out.set(key, (key.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
      }
      return out;
    }, timeoutMs, 200),
    stop: async () => {
      client.destroy();
      await node.stop();
      await s3.stop();
    },
  };
}

/** A MetadataExtraction processor running a jq query (dynamic partitioning), optionally followed by AppendDelimiterToRecord. */
export function jqProcessors(query: string, appendDelimiter = true): Processor[] {
  const extraction: Processor = { Type: 'MetadataExtraction', Parameters: [param('MetadataExtractionQuery', query), param('JsonParsingEngine', 'JQ-1.6')] };
  return appendDelimiter ? [extraction, { Type: 'AppendDelimiterToRecord' }] : [extraction];
}

/** The JSON documents of error objects (one per line). */
export function documents<T = Record<string, unknown>>(bodies: Iterable<string>): T[] {
  return [...bodies].flatMap((b) => b.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T));
}
