import { describe, expect, it } from 'vitest';
import { compilePattern, formatJavaPattern, PatternError } from '../../../sinks/s3/java-time-pattern.js';

// 2018-08-27 10:30:05.123 UTC, a Monday, day 239 of the year.
const T = Date.UTC(2018, 7, 27, 10, 30, 5, 123);

describe('Java DateTimeFormatter patterns (UTC)', () => {
  it.each([
    ['yyyy', '2018'], ['yy', '18'], ['y', '2018'], ['uuuu', '2018'], ['yyyyy', '02018'],
    ['MM', '08'], ['M', '8'], ['MMM', 'Aug'], ['MMMM', 'August'], ['MMMMM', 'A'], ['LLL', 'Aug'],
    ['dd', '27'], ['d', '27'], ['D', '239'], ['DDD', '239'],
    ['HH', '10'], ['H', '10'], ['hh', '10'], ['KK', '10'], ['kk', '10'], ['a', 'AM'],
    ['mm', '30'], ['m', '30'], ['ss', '05'], ['s', '5'], ['SSS', '123'], ['S', '1'], ['SSSSSS', '123000'],
    ['E', 'Mon'], ['EEEE', 'Monday'], ['EEEEE', 'M'], ['e', '2'], ['ee', '02'],
    ['Q', '3'], ['QQQ', 'Q3'], ['QQQQ', '3rd quarter'], ['G', 'AD'],
    ['w', '35'], ['ww', '35'], ['YYYY', '2018'], ['W', '5'],
    ['VV', 'UTC'], ['X', 'Z'], ['XXX', 'Z'], ['x', '+00'], ['xxx', '+00:00'], ['Z', '+0000'], ['ZZZZ', 'GMT'], ['ZZZZZ', 'Z'], ['O', 'GMT'],
    ['yyyy/MM/dd/HH/', '2018/08/27/10/'],
    ["yyyy'-'MM'-'dd", '2018-08-27'],
    ["'year='yyyy'/month='MM'/day='dd'/hour='HH", 'year=2018/month=08/day=27/hour=10'],
    ["'o''clock' HH", "o'clock 10"], ["''HH''", "'10'"],
    ['yyyy[-MM]', '2018-08'],
    ['yyyy-MM-dd-HH-mm-ss', '2018-08-27-10-30-05'],
  ])('%s → %s', (pattern, expected) => {
    expect(formatJavaPattern(pattern, T)).toBe(expected);
  });

  it('hour letters around midnight and noon', () => {
    const midnight = Date.UTC(2018, 7, 27, 0, 5);
    expect(formatJavaPattern('H h K k a', midnight)).toBe('0 12 0 24 AM');
    const afternoon = Date.UTC(2018, 7, 27, 13, 5);
    expect(formatJavaPattern('H h K k a', afternoon)).toBe('13 1 1 13 PM');
  });

  it('week-based year rolls over at the US week containing 1 January', () => {
    // Sunday 2018-12-30: its week (to Sat 2019-01-05) contains 1 Jan 2019.
    expect(formatJavaPattern('YYYY-ww yyyy', Date.UTC(2018, 11, 30))).toBe('2019-01 2018');
    expect(formatJavaPattern('YYYY-ww', Date.UTC(2018, 11, 29))).toBe('2018-52');
  });

  it('uses the zone for fields and offsets', () => {
    expect(formatJavaPattern('yyyy-MM-dd HH:mm XXX VV', T, 'Asia/Tokyo')).toBe('2018-08-27 19:30 +09:00 Asia/Tokyo');
    expect(formatJavaPattern('yyyy-MM-dd HH:mm X Z', T, 'America/New_York')).toBe('2018-08-27 06:30 -04 -0400');
    expect(formatJavaPattern('HH:mm X XX XXX O OOOO', T, 'Asia/Kolkata')).toBe('16:00 +0530 +0530 +05:30 GMT+5:30 GMT+05:30');
    // Crossing midnight.
    expect(formatJavaPattern('yyyy/MM/dd/HH', Date.UTC(2018, 7, 27, 22, 30), 'Asia/Tokyo')).toBe('2018/08/28/07');
    // DST: 2024-03-10 10:30Z is 03:30 PDT (UTC-7), 09:30Z is 01:30 PST (UTC-8).
    expect(formatJavaPattern('HH:mm xxx', Date.UTC(2024, 2, 10, 10, 30), 'America/Los_Angeles')).toBe('03:30 -07:00');
    expect(formatJavaPattern('HH:mm xxx', Date.UTC(2024, 2, 10, 9, 30), 'America/Los_Angeles')).toBe('01:30 -08:00');
  });

  it.each([
    ['ddd', 'Too many pattern letters: d'],
    ['HHH', 'Too many pattern letters: H'],
    ['bb', 'Unknown pattern letter: b'],
    ["yyyy'", 'incomplete string literal'],
    ['yyyy#', 'reserved character'],
    ['V', 'Pattern letter count must be 2: V'],
    ['zzz', 'not supported'],
  ])('rejects %s', (pattern, message) => {
    expect(() => compilePattern(pattern)).toThrow(PatternError);
    expect(() => compilePattern(pattern)).toThrow(message);
  });
});
