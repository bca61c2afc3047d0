/**
 * Where a worker thread's entry script is. Workers run JavaScript, so a module running from the
 * compiled tree (`dist/`) starts the sibling `.js` file. A module running from its TypeScript
 * source (the test runner transpiles the main thread on the fly; worker threads cannot) starts a
 * small bootstrap that registers `ts-worker-hooks.mjs` — which transpiles the worker's `.ts`
 * modules as they are imported — and then imports the worker's own `.ts` source. So tests run
 * the workers from the same sources as everything else, with no build step and no stale `dist/`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HOOKS = new URL('./ts-worker-hooks.mjs', import.meta.url);

/**
 * `relative` is the worker's file name next to the calling module, with a `.js` extension
 * (`./lambda-worker.js`); `metaUrl` is the caller's `import.meta.url`.
 */
export function workerScript(metaUrl: string, relative: string): URL {
  const url = new URL(relative, metaUrl);
  if (!metaUrl.endsWith('.ts')) return url;
  const source = new URL(url.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(source))) throw new Error(`worker script ${fileURLToPath(source)} is missing`);
  if (!existsSync(fileURLToPath(HOOKS))) throw new Error(`worker loader hooks ${fileURLToPath(HOOKS)} are missing`);
  const bootstrap = `import { register } from 'node:module';\nregister(${JSON.stringify(HOOKS.href)});\nawait import(${JSON.stringify(source.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
