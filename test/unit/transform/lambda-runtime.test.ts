import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LambdaRuntime } from '../../../src/delivery/transform/lambda/lambda-runtime.js';
import { functionArn, functionNameFromArn } from '../../../src/delivery/transform/lambda/function-resolver.js';

const FUNCTIONS = join(import.meta.dirname, '..', '..', 'fixtures', 'functions');
const ARN = 'arn:aws:firehose:us-east-1:000000000000:deliverystream/s';

function event(...texts: string[]) {
  return {
    invocationId: 'inv',
    deliveryStreamArn: ARN,
    region: 'us-east-1',
    records: texts.map((t, i) => ({ recordId: `r${i}`, approximateArrivalTimestamp: 1, data: Buffer.from(t).toString('base64') })),
  };
}

const decoded = (payload: string) => (JSON.parse(payload) as { records: { data: string }[] }).records.map((r) => Buffer.from(r.data, 'base64').toString());

describe('function names', () => {
  it('takes the last ARN segment and ignores the qualifier', () => {
    expect(functionNameFromArn('arn:aws:lambda:us-east-1:123456789012:function:xform')).toBe('xform');
    expect(functionNameFromArn('arn:aws:lambda:us-east-1:123456789012:function:xform:$LATEST')).toBe('xform');
    expect(functionNameFromArn('arn:aws:lambda:us-east-1:123456789012:function:xform:prod')).toBe('xform');
    expect(functionNameFromArn('123456789012:function:xform:3')).toBe('xform');
    expect(functionNameFromArn('xform:prod')).toBe('xform');
    expect(functionNameFromArn('xform')).toBe('xform');
  });

  it('builds the full ARN Firehose reports', () => {
    expect(functionArn('xform', 'eu-west-1', '111122223333')).toBe('arn:aws:lambda:eu-west-1:111122223333:function:xform');
    expect(functionArn('111122223333:function:xform', 'eu-west-1', '0')).toBe('arn:aws:lambda:eu-west-1:111122223333:function:xform');
    expect(functionArn('arn:aws:lambda:us-east-1:1:function:x:1', 'eu-west-1', '0')).toBe('arn:aws:lambda:us-east-1:1:function:x:1');
  });
});

describe('LambdaRuntime', () => {
  let runtime: LambdaRuntime;

  beforeAll(() => {
    runtime = new LambdaRuntime({
      region: 'us-east-1',
      accountId: '000000000000',
      functionsDir: FUNCTIONS,
      functions: {
        mapped: join(FUNCTIONS, 'upper.mjs'),
        configured: { path: join(FUNCTIONS, 'context.mjs'), environment: { GREETING: 'hello' }, timeoutSeconds: 30 },
        short: { path: join(FUNCTIONS, 'loop.mjs'), timeoutSeconds: 0.5 },
        small: { path: join(FUNCTIONS, 'oom.mjs'), memoryMb: 32 },
      },
      maxWorkers: 3,
    });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('runs an async handler found in the functions directory', async () => {
    const out = await runtime.invoke('arn:aws:lambda:us-east-1:000000000000:function:upper:$LATEST', event('abc', 'de'), { key: 's' });
    expect(out.ok).toBe(true);
    expect(decoded((out as { payload: string }).payload)).toEqual(['ABC', 'DE']);
  });

  it('runs a callback-style CommonJS handler', async () => {
    const out = await runtime.invoke('callback-style', event('x'), { key: 's' });
    expect(out.ok && decoded(out.payload)).toEqual(['x!']);
  });

  it('finds DIR/NAME/index.js and names in the config file map', async () => {
    const dir = await runtime.invoke('dir-style', event('y'), { key: 's' });
    expect(dir.ok && decoded(dir.payload)).toEqual(['dir:y']);
    const mapped = await runtime.invoke('mapped', event('z'), { key: 's' });
    expect(mapped.ok && decoded(mapped.payload)).toEqual(['Z']);
  });

  it('gives the handler a Lambda context and environment', async () => {
    const out = await runtime.invoke('arn:aws:lambda:us-east-1:000000000000:function:configured:prod', event('q'), { key: 's' });
    expect(out.ok).toBe(true);
    const seen = JSON.parse(decoded((out as { payload: string }).payload)[0]) as Record<string, unknown>;
    expect(seen.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.functionName).toBe('configured');
    expect(seen.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:configured:prod');
    expect(seen.remaining).toBeGreaterThan(0);
    expect(seen.remaining).toBeLessThanOrEqual(30_000);
    expect(seen.env).toBe('configured');
    expect(seen.region).toBe('us-east-1');
    expect(seen.custom).toBe('hello');
  });

  it('reports a missing function as Lambda.ResourceNotFound', async () => {
    const out = await runtime.invoke('nope', event('a'), { key: 's' });
    expect(out).toMatchObject({ ok: false, errorCode: 'Lambda.ResourceNotFound' });
    expect(!out.ok && out.errorMessage).toContain('arn:aws:lambda:us-east-1:000000000000:function:nope');
  });

  it('reports a thrown error as a function error with its type and message', async () => {
    const out = await runtime.invoke('throws', event('a'), { key: 's' });
    expect(out).toMatchObject({ ok: false, errorCode: 'Lambda.FunctionError' });
    expect(!out.ok && out.errorMessage).toContain('TypeError: boom');
  });

  it('terminates a handler that loops past its timeout, and the next invocation runs', async () => {
    const out = await runtime.invoke('short', event('a'), { key: 's' });
    expect(out).toMatchObject({ ok: false, errorCode: 'Lambda.FunctionError' });
    expect(!out.ok && out.errorMessage).toContain('Task timed out after 0.50 seconds');
    const next = await runtime.invoke('upper', event('b'), { key: 's' });
    expect(next.ok && decoded(next.payload)).toEqual(['B']);
  });

  it('survives a handler that exits its worker or runs out of memory', async () => {
    const exited = await runtime.invoke('exits', event('a'), { key: 's' });
    expect(exited).toMatchObject({ ok: false, errorCode: 'Lambda.FunctionError' });
    expect(!exited.ok && exited.errorMessage).toContain('Runtime exited with exit status 3');
    const oom = await runtime.invoke('small', event('a'), { key: 's' });
    expect(oom).toMatchObject({ ok: false, errorCode: 'Lambda.FunctionError' });
    expect(!oom.ok && oom.errorMessage).toContain('ran out of memory');
    const next = await runtime.invoke('upper', event('c'), { key: 's' });
    expect(next.ok && decoded(next.payload)).toEqual(['C']);
  });

  it('refuses an event over 6 MB without invoking', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const out = await runtime.invoke('upper', event(big), { key: 's' });
    expect(out).toMatchObject({ ok: false, errorCode: 'Lambda.FunctionError' });
    expect(!out.ok && out.errorMessage).toContain('6291456');
  });

  it('a looping handler of one stream does not stall another stream', async () => {
    // Stream A's handler spins with a 5-minute timeout, twice (it would hold every worker it could
    // get); stream B's invocations complete while A's are stuck. Then A's are aborted.
    const stop = new AbortController();
    const a = [1, 2].map(() => runtime.invoke('loop', event('a'), { key: 'A', signal: stop.signal }));
    const b = await Promise.all([1, 2, 3].map((i) => runtime.invoke('upper', event(`b${i}`), { key: 'B' })));
    expect(b.map((r) => r.ok && decoded(r.payload)[0])).toEqual(['B1', 'B2', 'B3']);
    stop.abort();
    const aResults = await Promise.all(a);
    expect(aResults.every((r) => !r.ok)).toBe(true);
  });
});
