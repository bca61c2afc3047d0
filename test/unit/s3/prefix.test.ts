import { describe, expect, it } from 'vitest';
import {
  errorPrefixTemplate, evaluateErrorPrefix, evaluatePrefix, PrefixEvaluationError, PrefixSyntaxError, type PrefixContext,
} from '../../../sinks/s3/prefix.js';
import { validatePrefixes } from '../../../sinks/s3/prefix-validation.js';
import { randomString, seededRandomStrings } from '../../../sinks/s3/key-layout.js';

// The developer guide's examples are evaluated "at 10:30 AM UTC on Aug 27, 2018".
const AT = Date.UTC(2018, 7, 27, 10, 30);

function ctx(extra: Partial<PrefixContext> = {}): PrefixContext {
  const values = ['5abf82daaa5', '046b6c7f-0b', 'zzzzzzzzzzz'];
  let i = 0;
  return { arrivalMs: AT, random: () => values[i++ % values.length], ...extra };
}

describe('evaluatePrefix: worked examples (§7.2)', () => {
  it('no Prefix: default time path; ErrorOutputPrefix with error-output-type', () => {
    expect(evaluatePrefix(undefined, ctx())).toBe('2018/08/27/10/');
    expect(evaluatePrefix('', ctx())).toBe('2018/08/27/10/');
    expect(evaluateErrorPrefix(undefined, 'myFirehoseFailures/!{firehose:error-output-type}/', ctx({ errorOutputType: 'processing-failed' })))
      .toBe('myFirehoseFailures/processing-failed/');
  });

  it('timestamp and random-string expressions', () => {
    const c = ctx({ errorOutputType: 'processing-failed' });
    expect(evaluatePrefix('myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}', c))
      .toBe('myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5');
    expect(evaluatePrefix('myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}', c))
      .toBe('myFirehoseFailures/processing-failed/2018/anyMonth/27');
  });

  it('Hive-style partitions, per expression and with quoted literals', () => {
    expect(evaluatePrefix('myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', ctx()))
      .toBe('myPrefix/year=2018/month=08/day=27/hour=10/');
    expect(evaluatePrefix("myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}",
      ctx({ errorOutputType: 'processing-failed' }))).toBe('myErrorPrefix/year=2018/month=08/day=27/hour=10/processing-failed');
    expect(evaluatePrefix("dt=!{timestamp:yyyy'-'MM'-'dd}/", ctx())).toBe('dt=2018-08-27/');
  });

  it('a Prefix without expressions gets the time path by plain concatenation', () => {
    expect(evaluatePrefix('logs/', ctx())).toBe('logs/2018/08/27/10/');
    expect(evaluatePrefix('logs', ctx())).toBe('logs2018/08/27/10/');
  });

  it('a Prefix with any expression gets nothing appended', () => {
    expect(evaluatePrefix('rand=!{firehose:random-string}/', ctx())).toBe('rand=5abf82daaa5/');
    expect(evaluatePrefix('c=!{partitionKeyFromQuery:customer}/', ctx({ partitionKeys: { query: { customer: '42' } } }))).toBe('c=42/');
  });

  it('all timestamp expressions use the same instant; random-string is new per occurrence', () => {
    const out = evaluatePrefix('!{timestamp:ss.SSS}/!{firehose:random-string}/!{timestamp:ss.SSS}/!{firehose:random-string}/',
      { arrivalMs: AT + 999, random: seededRandomStrings('batch-1') });
    const [t1, r1, t2, r2] = out.split('/');
    expect(t1).toBe('00.999');
    expect(t2).toBe(t1);
    expect(r1).toHaveLength(11);
    expect(r2).toHaveLength(11);
    expect(r1).not.toBe(r2);
  });

  it('random strings are 11 characters; seeded ones repeat for the same identity', () => {
    expect(randomString()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{2}$/);
    const a = seededRandomStrings('stream/shard-0/1-9');
    const b = seededRandomStrings('stream/shard-0/1-9');
    const c = seededRandomStrings('stream/shard-0/1-10');
    const first = [a(), a()];
    expect([b(), b()]).toEqual(first);
    expect(c()).not.toBe(first[0]);
    for (const s of first) expect(s).toHaveLength(11);
  });

  it('CustomTimeZone moves the wall clock (and the date)', () => {
    expect(evaluatePrefix('', ctx({ timeZone: 'Asia/Tokyo' }))).toBe('2018/08/27/19/');
    expect(evaluatePrefix('', ctx({ arrivalMs: Date.UTC(2018, 7, 27, 22, 30), timeZone: 'Asia/Tokyo' }))).toBe('2018/08/28/07/');
    expect(evaluatePrefix('h=!{timestamp:HH}/', ctx({ timeZone: 'America/New_York' }))).toBe('h=06/');
  });

  it('partition keys from query and lambda', () => {
    const c = ctx({ partitionKeys: { query: { customer_id: '1234567890', device: 'mobile' }, lambda: { region: 'eu' } } });
    expect(evaluatePrefix('customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/r=!{partitionKeyFromLambda:region}/', c))
      .toBe('customer_id=1234567890/device=mobile/r=eu/');
  });

  it('fails evaluation for a missing partition key or error type, or a result over 512 characters', () => {
    expect(() => evaluatePrefix('!{partitionKeyFromQuery:nope}/', ctx({ partitionKeys: { query: {} } }))).toThrow(PrefixEvaluationError);
    expect(() => evaluatePrefix('!{partitionKeyFromLambda:k}/', ctx({ partitionKeys: { query: { k: 'v' } } }))).toThrow(/partition key 'k'/);
    expect(() => evaluatePrefix('e/!{firehose:error-output-type}/', ctx())).toThrow(PrefixEvaluationError);
    const long = 'x'.repeat(500);
    expect(() => evaluatePrefix(`${long}/!{partitionKeyFromQuery:k}`, ctx({ partitionKeys: { query: { k: 'y'.repeat(20) } } })))
      .toThrow(/maximum is 512/);
    expect(evaluatePrefix('x'.repeat(498), ctx())).toHaveLength(512); // + 14-char time path
    expect(() => evaluatePrefix('x'.repeat(499), ctx())).toThrow(PrefixEvaluationError);
  });

  it('throws PrefixSyntaxError for an invalid template', () => {
    expect(() => evaluatePrefix('!{nope:x}', ctx())).toThrow(PrefixSyntaxError);
  });
});

describe('error prefix defaults', () => {
  const c = ctx({ errorOutputType: 'processing-failed' });
  it('null ErrorOutputPrefix with a literal Prefix: <Prefix><type>/yyyy/MM/dd/HH/', () => {
    expect(evaluateErrorPrefix(undefined, undefined, c)).toBe('processing-failed/2018/08/27/10/');
    expect(evaluateErrorPrefix('myFirehosePrefix/', null, c)).toBe('myFirehosePrefix/processing-failed/2018/08/27/10/');
    expect(evaluateErrorPrefix('myFirehosePrefix', '', c)).toBe('myFirehosePrefixprocessing-failed/2018/08/27/10/');
    expect(errorPrefixTemplate('p/', undefined)).toBe('p/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}');
  });
  it('a given ErrorOutputPrefix is used as is (a literal one gets the time path like Prefix)', () => {
    expect(evaluateErrorPrefix('p/', 'errors/!{firehose:error-output-type}/', c)).toBe('errors/processing-failed/');
    expect(evaluateErrorPrefix('p/', 'errors/', c)).toBe('errors/2018/08/27/10/');
    expect(evaluateErrorPrefix('p/', 'e/!{firehose:error-output-type}/!{firehose:error-output-type}', { ...c, errorOutputType: 'format-conversion-failed' }))
      .toBe('e/format-conversion-failed/format-conversion-failed');
  });
});

describe('validatePrefixes', () => {
  const LEAD = 'The supplied prefix(es) do not satisfy the following constraint: ';
  it.each([
    [{}, null],
    [{ prefix: 'logs/' }, null],
    [{ prefix: 'logs/', errorOutputPrefix: 'errors/' }, null],
    [{ errorOutputPrefix: 'myFirehoseFailures/!{firehose:error-output-type}/' }, null],
    [{ prefix: 'myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}',
      errorOutputPrefix: 'myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}' }, null],
    [{ prefix: 'c=!{partitionKeyFromQuery:c}/', errorOutputPrefix: 'err/!{firehose:error-output-type}/', dynamicPartitioning: true }, null],
    [{ prefix: 'r=!{firehose:random-string}/', errorOutputPrefix: 'err/!{firehose:random-string}/!{firehose:error-output-type}/' }, null],
  ])('accepts %j', (settings, expected) => {
    expect(validatePrefixes(settings)).toBe(expected);
  });

  it.each([
    [{ prefix: '!{timestamp:yyyy/MM/dd}' }, `${LEAD}ErrorOutputPrefix cannot be null or empty when Prefix contains expressions`],
    [{ prefix: '!{timestamp:yyyy}', errorOutputPrefix: '' }, `${LEAD}ErrorOutputPrefix cannot be null or empty when Prefix contains expressions`],
    [{ prefix: 'x/!{firehose:error-output-type}/', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, `${LEAD}Prefix cannot contain !{firehose:error-output-type}`],
    [{ prefix: 'logs/', errorOutputPrefix: 'e/!{timestamp:yyyy}/' }, `${LEAD}ErrorOutputPrefix must contain at least one !{firehose:error-output-type}`],
    [{ prefix: 'c=!{partitionKeyFromQuery:c}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, 'can only be used in Prefix when dynamic partitioning is enabled'],
    [{ prefix: 'c=!{partitionKeyFromLambda:c}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, 'can only be used in Prefix when dynamic partitioning is enabled'],
    [{ prefix: 'c=!{partitionKeyFromQuery:c}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}', dynamicPartitioning: true },
      `${LEAD}ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda`],
    [{ prefix: 'logs/', dynamicPartitioning: true }, `${LEAD}ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled`],
    [{ prefix: 'x/!{foo:bar}/', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, "Prefix may contain '!{' only as the start of a valid !{namespace:value} expression; '!{foo:bar}' uses an unknown namespace 'foo'"],
    [{ prefix: 'x/!{timestamp:yyyy', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, "is not closed by '}'"],
    [{ prefix: 'x/!{timestamp}/', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, 'expressions have the form !{namespace:value}'],
    [{ prefix: 'x/!{firehose:uuid}/', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, "unknown firehose value 'uuid'"],
    [{ prefix: 'x/!{timestamp:ddd}/', errorOutputPrefix: 'e/!{firehose:error-output-type}' }, 'invalid timestamp pattern: Too many pattern letters: d'],
    [{ prefix: 'x/!{partitionKeyFromQuery:}/', errorOutputPrefix: 'e/!{firehose:error-output-type}', dynamicPartitioning: true }, 'does not name a partition key'],
    [{ prefix: 'logs/', errorOutputPrefix: 'e/!{nope:x}' }, "ErrorOutputPrefix may contain '!{' only"],
    [{ prefix: 'x'.repeat(1025) }, 'Prefix must be at most 1024 characters long'],
  ])('rejects %j', (settings, message) => {
    const got = validatePrefixes(settings);
    expect(got).not.toBeNull();
    expect(got).toContain(message);
  });
});
