import { describe, expect, it } from 'vitest';
import { createPluginSink, describePluginDestination, resolvePluginDestination } from '../../../src/plugins/index.js';
import { defineSink, isSinkPlugin } from '../../../src/index.js';
import { OptionsError, redactOptions, validateOptions, type OptionsSchema } from '../../../src/core/options-schema.js';

const S3 = { RoleARN: 'arn:aws:iam::123456789012:role/r', BucketARN: 'arn:aws:s3:::backup' };
const fixtures = new URL('../../fixtures/plugins/', import.meta.url).pathname;
const examples = new URL('../../../examples/sinks/webhook/', import.meta.url).pathname;
const invalid = (message: string | RegExp) => expect.objectContaining({ type: 'InvalidArgumentException', message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) });

describe('HydrantPluginDestinationConfiguration', () => {
  it('loads a module by relative path, fills defaults and describes it with secrets redacted', async () => {
    const cfg = { Module: './index.ts', Options: { url: 'https://hooks.example.com/x', token: 'secret-token' }, S3Configuration: S3 };
    const r = await resolvePluginDestination(cfg, { baseDir: examples });
    expect(r).toMatchObject({ retryDurationSeconds: 300, backupMode: 'FailedDataOnly', errorOutputType: 'webhook-failed', limits: { maxBytes: 1024 * 1024, intervalMs: 10_000 } });
    const d = describePluginDestination(cfg, r);
    expect(d).toMatchObject({ Module: './index.ts', SinkName: 'webhook', Options: { url: 'https://hooks.example.com/x', token: '****', timeoutMs: 10_000 }, S3BackupMode: 'FailedDataOnly', S3DestinationDescription: { BucketARN: S3.BucketARN } });
    const sink = await createPluginSink(r, { deliveryStreamName: 's', deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s' });
    expect(typeof sink.send).toBe('function');
  });

  it('loads a named export of a JavaScript module by absolute path and runs its validate', async () => {
    const r = await resolvePluginDestination({ Module: `${fixtures}named-export.mjs`, Export: 'audit', Options: { level: 3 }, S3Configuration: S3 }, { baseDir: '/' });
    expect(r.plugin.name).toBe('audit');
    await expect(resolvePluginDestination({ Module: `${fixtures}named-export.mjs`, Export: 'audit', Options: { level: 'x' }, S3Configuration: S3 }, { baseDir: '/' }))
      .rejects.toEqual(invalid('HydrantPluginDestinationConfiguration.Options: level must be a number'));
  });

  it.each([
    [{ Module: '' }, 'Module is required'],
    [{ Module: './does-not-exist.js' }, /Module \.\/does-not-exist\.js cannot be loaded/],
    [{ Module: 'no-such-package-hydrant' }, 'cannot be loaded'],
    [{ Module: './not-a-plugin.mjs' }, 'is not a sink plugin made with defineSink'],
    [{ Module: './named-export.mjs', Export: 'missing' }, 'its export missing is not a sink plugin'],
    [{ Module: './named-export.mjs', Export: 'audit', Options: [] }, 'Options must be an object'],
    [{ Module: './named-export.mjs', Export: 'audit', Options: { level: 1 }, BufferingHints: { SizeInMBs: 129, IntervalInSeconds: 1 } }, 'BufferingHints.SizeInMBs must be an integer from 1 to 128'],
    [{ Module: './named-export.mjs', Export: 'audit', Options: { level: 1 }, RetryOptions: { DurationInSeconds: -1 } }, 'RetryOptions.DurationInSeconds must be an integer from 0 to 7200'],
    [{ Module: './named-export.mjs', Export: 'audit', Options: { level: 1 }, S3BackupMode: 'AllEvents' }, 'S3BackupMode must be one of FailedDataOnly, AllData'],
    [{ Module: './named-export.mjs', Export: 'audit', Options: { level: 1 }, S3Configuration: undefined }, 'S3Configuration is required'],
  ])('refuses %j naming the member', async (cfg, message) => {
    await expect(resolvePluginDestination({ S3Configuration: S3, ...cfg } as never, { baseDir: fixtures })).rejects.toEqual(invalid(message));
  });

  it('defineSink checks its spec; isSinkPlugin recognises plugins by their marker', () => {
    expect(() => defineSink({ name: 'Bad Name', create: () => ({ send: async () => ({ status: 'delivered' as const }) }) })).toThrow(/lowercase/);
    expect(isSinkPlugin(defineSink({ name: 'ok', create: () => ({ send: async () => ({ status: 'delivered' as const }) }) }))).toBe(true);
    expect(isSinkPlugin({ name: 'ok', create: () => undefined })).toBe(false);
  });
});

describe('options schema', () => {
  const schema: OptionsSchema = {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', minLength: 3 },
      mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
      retries: { type: 'integer', minimum: 0, maximum: 5 },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
      auth: { type: 'object', properties: { user: { type: 'string' }, password: { type: 'string', secret: true } } },
    },
  };

  it('fills defaults and keeps valid values', () => {
    expect(validateOptions(schema, { url: 'http://x', retries: 2, tags: ['t'] })).toEqual({ url: 'http://x', mode: 'a', retries: 2, tags: ['t'] });
  });

  it.each([
    [{}, 'Options.url is required.'],
    [{ url: 5 }, 'Options.url must be a string; got a number.'],
    [{ url: 'ab' }, 'Options.url must have at least 3 characters.'],
    [{ url: 'abc', mode: 'c' }, 'Options.mode must be one of a, b; got c.'],
    [{ url: 'abc', retries: 1.5 }, 'Options.retries must be an integer; got 1.5.'],
    [{ url: 'abc', retries: 9 }, 'Options.retries must be at most 5; got 9.'],
    [{ url: 'abc', tags: ['a', 'b', 'c'] }, 'Options.tags must have at most 2 items.'],
    [{ url: 'abc', tags: [1] }, 'Options.tags[0] must be a string; got a number.'],
    [{ url: 'abc', typo: 1 }, 'Options.typo is not an option of this sink'],
    [{ url: 'abc', auth: { user: 1 } }, 'Options.auth.user must be a string; got a number.'],
  ])('refuses %j: %s', (value, message) => {
    expect(() => validateOptions(schema, value)).toThrow(OptionsError);
    expect(() => validateOptions(schema, value)).toThrow(message);
  });

  it('redacts secret fields at any depth', () => {
    expect(redactOptions(schema, { url: 'u', auth: { user: 'me', password: 'pw' } })).toEqual({ url: 'u', auth: { user: 'me', password: '****' } });
  });
});
