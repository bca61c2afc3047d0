/**
 * The package's entry points resolve as a plugin author's project sees them (Node's own
 * resolution of `hydrant`, `hydrant/testing`, ... through package.json `exports`, on the built
 * output), and the main entry holds only the plugin API.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function importInNode(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
}

describe('package exports', () => {
  it('hydrant exports the plugin API, not the server', () => {
    const out = importInNode(`
      const api = await import('hydrant');
      console.log(JSON.stringify({ keys: Object.keys(api).sort() }));
    `);
    const { keys } = JSON.parse(out) as { keys: string[] };
    expect(keys).toEqual(expect.arrayContaining(['defineSink', 'isSinkPlugin', 'delivered', 'retryable', 'rejected', 'validateOptions', 'SINK_PLUGIN']));
    expect(keys).not.toContain('startHydrant');
  });

  it('hydrant/testing, hydrant/testing/vitest and hydrant/server resolve', () => {
    const out = importInNode(`
      const t = await import('hydrant/testing');
      const s = await import('hydrant/server');
      console.log(JSON.stringify({ run: typeof t.runSinkConformance, checks: t.SINK_CONFORMANCE_CHECKS.length, start: typeof s.startHydrant }));
    `);
    expect(JSON.parse(out)).toEqual({ run: 'function', checks: 9, start: 'function' });
    // The vitest wrapper needs vitest (an optional peer dependency); resolving it is enough here.
    expect(importInNode(`console.log(import.meta.resolve('hydrant/testing/vitest'))`)).toMatch(/dist\/src\/testing\/vitest\.js/);
  });
});
