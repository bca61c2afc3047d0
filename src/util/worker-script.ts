/**
 * Where a worker thread's entry script is. Workers run JavaScript, so a module running from the
 * compiled tree (`dist/`) starts the sibling `.js` file; a module running from its TypeScript
 * source (the test runner transpiles on the fly, workers cannot) starts the compiled copy of the
 * same file under `dist/` — `npm test` builds before it runs the tests.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = new URL('../../', import.meta.url);

/**
 * `relative` is the worker's file name next to the calling module, with a `.js` extension
 * (`./lambda-worker.js`); `metaUrl` is the caller's `import.meta.url`.
 */
export function workerScript(metaUrl: string, relative: string): URL {
  const url = new URL(relative, metaUrl);
  if (!metaUrl.endsWith('.ts')) return url;
  const compiled = new URL(`dist/${url.href.slice(PROJECT_ROOT.href.length)}`, PROJECT_ROOT);
  if (!existsSync(fileURLToPath(compiled))) {
    throw new Error(`worker script ${fileURLToPath(compiled)} is missing: run \`npm run build\` first`);
  }
  return compiled;
}
