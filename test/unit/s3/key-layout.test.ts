import { describe, expect, it } from 'vitest';
import { batchObjectId, extensionFor, objectKey, validateFileExtension } from '../../../sinks/s3/key-layout.js';
import { contentEncodingFor } from '../../../sinks/s3/compression-format.js';

const AT = Date.UTC(2018, 7, 27, 10, 30, 5);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('objectKey', () => {
  it('formats <prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<id><ext>', () => {
    const id = 'c81ba8a5-d040-4398-a173-ff4569cdd24a';
    expect(objectKey({ prefix: '2018/08/27/10/', streamName: 'clicks', version: 1, arrivalMs: AT, id, extension: '' }))
      .toBe(`2018/08/27/10/clicks-1-2018-08-27-10-30-05-${id}`);
    expect(objectKey({ prefix: 'p/', streamName: 'te-staging-analytics', version: 6, arrivalMs: AT, id, extension: '.gz' }))
      .toBe(`p/te-staging-analytics-6-2018-08-27-10-30-05-${id}.gz`);
  });

  it('uses CustomTimeZone for the suffix time', () => {
    const key = objectKey({ prefix: '', streamName: 's', version: 2, arrivalMs: Date.UTC(2018, 7, 27, 22, 30, 5), timeZone: 'Asia/Tokyo', id: 'x', extension: '' });
    expect(key).toBe('s-2-2018-08-28-07-30-05-x');
  });
});

describe('batchObjectId', () => {
  it('is a deterministic 36-char UUID-shaped id', () => {
    const a = batchObjectId('clicks/shardId-000000000000/100-250');
    expect(a).toHaveLength(36);
    expect(a).toMatch(UUID);
    expect(batchObjectId('clicks/shardId-000000000000/100-250')).toBe(a);
    expect(batchObjectId('clicks/shardId-000000000000/100-251')).not.toBe(a);
    // RFC 9562 version 8 with the RFC variant.
    expect(a[14]).toBe('8');
    expect('89ab').toContain(a[19]);
  });

  it('spreads over many identities without collisions', () => {
    const ids = new Set(Array.from({ length: 10_000 }, (_, i) => batchObjectId(`s/shard-0/${i}-${i + 1}`)));
    expect(ids.size).toBe(10_000);
  });
});

describe('extensions and content encoding', () => {
  it.each([
    ['UNCOMPRESSED', undefined, ''], ['GZIP', undefined, '.gz'], ['ZIP', undefined, '.zip'], ['Snappy', undefined, '.snappy'],
    ['HADOOP_SNAPPY', undefined, '.hsnappy'], [undefined, undefined, ''], ['GZIP', '', '.gz'], ['GZIP', '.json.gz', '.json.gz'],
    ['UNCOMPRESSED', '.ndjson', '.ndjson'],
  ] as const)('%s + FileExtension %j → %j', (format, fileExtension, expected) => {
    expect(extensionFor(format, fileExtension)).toBe(expected);
  });

  it('Content-Encoding is gzip only for GZIP', () => {
    expect(contentEncodingFor('GZIP')).toBe('gzip');
    expect(contentEncodingFor('UNCOMPRESSED')).toBeUndefined();
    expect(contentEncodingFor('ZIP')).toBeUndefined();
  });

  it.each([[''], [undefined], ['.gz'], ['.json.gz'], [".a!-_.*'()9"]])('accepts FileExtension %j', (ext) => {
    expect(validateFileExtension(ext)).toBeNull();
  });
  it.each([['gz', "must start with '.'"], ['.GZ', 'lowercase'], ['.a/b', 'invalid'], ['.', 'invalid'], ['.a b', 'invalid'],
    ['.' + 'a'.repeat(128), 'longer than 128']])('rejects FileExtension %j', (ext, message) => {
    expect(validateFileExtension(ext)).toContain(message);
  });
});
