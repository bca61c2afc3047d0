import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../../src/ingest/protocol/base64.js';

describe('decodeStrictBase64', () => {
  it('decodes every valid padded encoding byte-exactly', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = randomBytes(n);
      const out = decodeStrictBase64(bytes.toString('base64'));
      expect(Buffer.isBuffer(out)).toBe(true);
      expect((out as Buffer).equals(bytes)).toBe(true);
    }
  });

  const bad: Array<[string, string]> = [
    ['23456', 'Base64 encoded length is expected a multiple of 4 bytes but found: 5'],
    ['YQ', 'Base64 encoded length is expected a multiple of 4 bytes but found: 2'],
    ['=+/=', "Invalid Base64 character: '='"],
    ['ab=c', "Invalid Base64 character: '='"],
    ['YQ==YQ==', "Invalid Base64 character: '='"],
    ['a===', "Invalid Base64 character: '='"],
    ['====', "Invalid Base64 character: '='"],
    ['a-bc', "Invalid Base64 character: '-'"],
    ['ab_c', "Invalid Base64 character: '_'"],
    ['ab c', "Invalid Base64 character: ' '"],
    ['ab\ncde==', "Invalid Base64 character: '\n'"],
    ['YWé=', "Invalid Base64 character: 'é'"],
    ['YW*j', "Invalid Base64 character: '*'"],
    ['+/+=', 'Invalid last non-pad Base64 character dectected'],
    ['YR==', 'Invalid last non-pad Base64 character dectected'],
    ['YWJ=', 'Invalid last non-pad Base64 character dectected'],
  ];
  it.each(bad)('rejects %j', (input, problem) => {
    expect(decodeStrictBase64(input)).toBe(problem);
  });

  it('accepts the canonical forms next to the rejected ones', () => {
    expect((decodeStrictBase64('YQ==') as Buffer).toString()).toBe('a');
    expect((decodeStrictBase64('YWI=') as Buffer).toString()).toBe('ab');
    expect((decodeStrictBase64('+/8=') as Buffer).equals(Buffer.from([0xfb, 0xff]))).toBe(true);
  });
});
