import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clean, handler } from '../../transforms/redact-fields/index.js';
import { firehoseEvent, transformConformance } from '../conformance/transform-suite.js';

const ENV = { DROP_FIELDS: 'password,session.token', REDACT_FIELDS: 'email,card.number', DROP_LEVELS: 'debug,TRACE' };
const DOC = { user: 'ann', password: 'hunter2', email: 'ann@example.com', session: { id: 's1', token: 't' }, card: { number: '4111111111111111', brand: 'visa' }, level: 'info' };
const sha = (v: unknown) => `sha256:${createHash('sha256').update(JSON.stringify(v)).digest('hex')}`;

describe('redact-fields', () => {
  const viaLambda = transformConformance('redact-fields', handler, firehoseEvent([JSON.stringify(DOC), '{"level":"DEBUG"}', 'nope']), ENV);

  it('drops and redacts the configured fields, keeps a trailing newline', () => {
    const opts = { drop: ['password', 'session.token', 'missing.path'], redact: ['email', 'card.number'], dropLevels: ['debug'] };
    expect(JSON.parse(clean(`${JSON.stringify(DOC)}\n`, opts) as string)).toEqual({
      user: 'ann', email: sha('ann@example.com'), session: { id: 's1' }, card: { number: sha('4111111111111111'), brand: 'visa' }, level: 'info',
    });
    expect((clean(`${JSON.stringify(DOC)}\n`, opts) as string).endsWith('\n')).toBe(true);
    expect(clean('{"level":"Debug"}', opts)).toBe('drop');
    expect(clean('[1,2]', opts)).toBeUndefined();
  });

  it('configured through the function environment, as a Lambda', async () => {
    const out = await viaLambda(firehoseEvent([JSON.stringify(DOC), '{"level":"trace","x":1}', 'nope']));
    expect(out.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'ProcessingFailed']);
    const doc = JSON.parse(out[0].data.toString()) as Record<string, unknown>;
    expect(doc.password).toBeUndefined();
    expect(doc.email).toBe(sha('ann@example.com'));
  });
});
