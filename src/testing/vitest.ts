/**
 * `hydrant/testing/vitest`: the conformance suite as vitest tests, one test per check.
 *
 * ```ts
 * import { describeSinkConformance } from 'hydrant/testing/vitest';
 * describeSinkConformance('my-webhook', async () => ({ create: () => mySink.create(opts, ctx), delivered: () => server.received }));
 * ```
 */
import { describe, it } from 'vitest';
import { runSinkConformance, SINK_CONFORMANCE_CHECKS, type ConformanceOptions, type ConformanceTarget } from './conformance.js';

export function describeSinkConformance(name: string, target: () => ConformanceTarget | Promise<ConformanceTarget>, opts: Omit<ConformanceOptions, 'only'> = {}): void {
  describe(`${name} sink conformance`, () => {
    for (const check of SINK_CONFORMANCE_CHECKS) {
      it(check, async (ctx) => {
        const report = await runSinkConformance(await target(), { ...opts, only: [check] });
        if (report.skipped.length > 0) ctx.skip();
        if (report.failed.length > 0) throw new Error(report.failed.map((f) => `${f.check}: ${f.error}`).join('\n'));
      });
    }
  });
}
