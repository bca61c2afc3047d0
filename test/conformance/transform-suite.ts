/**
 * The contract every transform must keep, checked the way Hydrant checks a Lambda's answer
 * (`checkResponse`): given events, the handler returns every recordId exactly once with Ok,
 * Dropped or ProcessingFailed and valid base64 — called directly and through the Lambda runtime
 * (worker threads, the compiled module from `dist/transforms/<name>/index.js`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { checkResponse, type ResponseRecord } from '../../src/delivery/transform/lambda/response.js';
import { LambdaRuntime } from '../../src/delivery/transform/lambda/lambda-runtime.js';

export const COMPILED_TRANSFORMS = join(import.meta.dirname, '..', '..', 'dist', 'transforms');
export const STREAM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/logs';

/** A Firehose transformation event for some records (text or bytes). */
export function firehoseEvent(records: (string | Buffer)[], extra: Record<string, unknown> = {}) {
  return {
    invocationId: '00540a87-5050-496a-84e4-e7d92bbaf5e2',
    deliveryStreamArn: STREAM_ARN,
    region: 'us-east-1',
    records: records.map((r, i) => ({ recordId: `4959362345807693874837245390${i}`, approximateArrivalTimestamp: 1_718_000_000_000 + i, data: Buffer.from(r).toString('base64') })),
    ...extra,
  };
}

export type Handler = (event: never, context?: never) => Promise<unknown>;

/**
 * Runs an event through the handler directly, with `environment` set in process.env meanwhile;
 * returns the checked records in event order.
 */
export async function runDirect(handler: Handler, event: ReturnType<typeof firehoseEvent>, environment: Record<string, string> = {}): Promise<ResponseRecord[]> {
  const saved = Object.fromEntries(Object.keys(environment).map((k) => [k, process.env[k]]));
  Object.assign(process.env, environment);
  try {
    return checked(JSON.stringify(await handler(event as never)), event);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function checked(payload: string, event: ReturnType<typeof firehoseEvent>): ResponseRecord[] {
  const ids = event.records.map((r) => r.recordId);
  const out = checkResponse(payload, ids);
  if (!out.ok) throw new Error(`${out.errorCode}: ${out.errorMessage}`);
  return ids.map((id) => out.records.get(id)!);
}

/**
 * Registers the conformance cases for the transform `name` and returns a function that runs an
 * event through the Lambda runtime (with `environment` for the function).
 */
export function transformConformance(name: string, handler: Handler, sample: ReturnType<typeof firehoseEvent>, environment: Record<string, string> = {}) {
  let runtime: LambdaRuntime;
  beforeAll(() => {
    runtime = new LambdaRuntime({
      region: 'us-east-1',
      accountId: '123456789012',
      functions: { [name]: { path: join(COMPILED_TRANSFORMS, name, 'index.js'), environment } },
      maxWorkers: 1,
    });
  });
  afterAll(async () => {
    await runtime.close();
  });

  const viaRuntime = async (event: ReturnType<typeof firehoseEvent>): Promise<ResponseRecord[]> => {
    const out = await runtime.invoke(`arn:aws:lambda:us-east-1:123456789012:function:${name}`, event, { key: 'conformance' });
    if (!out.ok) throw new Error(`${out.errorCode}: ${out.errorMessage}`);
    return checked(out.payload, event);
  };

  it(`${name}: answers every recordId once with a valid result, directly and as a Lambda`, async () => {
    const direct = await runDirect(handler, sample, environment);
    const lambda = await viaRuntime(sample);
    expect(lambda.map((r) => r.result)).toEqual(direct.map((r) => r.result));
    expect(direct.every((r) => r.result !== 'Ok' || r.data.length > 0)).toBe(true);
  });

  it(`${name}: an empty event gets an empty answer`, async () => {
    expect(await runDirect(handler, firehoseEvent([]))).toEqual([]);
  });

  return viaRuntime;
}
