import { describe, expect, it } from 'vitest';
import { handler, isoTime, parseLine } from '../../transforms/apache-log-to-json/index.js';
import { firehoseEvent, runDirect, transformConformance } from '../conformance/transform-suite.js';

const COMBINED = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
const COMMON = '192.168.1.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/ HTTP/1.0" 200 -';
const NGINX = '203.0.113.9 - - [02/Dec/2026:07:18:46 +0000] "POST /api/v1/items?id=7 HTTP/2.0" 201 512 "-" "curl/8.5.0"';

describe('apache-log-to-json', () => {
  const viaLambda = transformConformance('apache-log-to-json', handler, firehoseEvent([COMBINED, `${COMMON}\n${NGINX}\n`, 'garbage', '\n']));

  it('parses the combined and common formats', () => {
    expect(parseLine(COMBINED)).toEqual({
      remoteAddr: '127.0.0.1', ident: null, remoteUser: 'frank', time: '2000-10-10T13:55:36-07:00', method: 'GET', path: '/apache_pb.gif',
      protocol: 'HTTP/1.0', status: 200, bytes: 2326, referer: 'http://www.example.com/start.html', userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
    expect(parseLine(COMMON)).toMatchObject({ remoteUser: null, bytes: 0, referer: null, userAgent: null, time: '2006-07-28T10:27:10-03:00' });
    expect(parseLine(NGINX)).toMatchObject({ method: 'POST', path: '/api/v1/items?id=7', status: 201, referer: null, userAgent: 'curl/8.5.0' });
    expect(isoTime('10/Foo/2000:13:55:36 -0700')).toBeUndefined();
  });

  it('turns each line into a newline-terminated JSON document; bad records fail, empty ones are dropped', async () => {
    for (const run of [(e: ReturnType<typeof firehoseEvent>) => runDirect(handler, e), viaLambda]) {
      const out = await run(firehoseEvent([COMBINED, `${COMMON}\n${NGINX}\n`, 'garbage', '\n']));
      expect(out.map((r) => r.result)).toEqual(['Ok', 'Ok', 'ProcessingFailed', 'Dropped']);
      expect(out[0].data.toString().endsWith('\n')).toBe(true);
      const lines = out[1].data.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { status: number });
      expect(lines.map((l) => l.status)).toEqual([200, 201]);
    }
  });
});
