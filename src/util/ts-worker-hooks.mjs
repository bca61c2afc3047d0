/**
 * Module-loader hooks for worker threads started while Hydrant runs from its TypeScript sources
 * (the test runner transpiles the main thread on the fly; worker threads load modules with Node's
 * own loader, which does not read TypeScript). Registered by the bootstrap `workerScript` builds:
 *
 * - resolve: a relative `./x.js` imported from a `.ts` module is `./x.ts` when that file exists
 *   (the sources import each other by their compiled names, as NodeNext requires);
 * - load: a `.ts` module is transpiled to JavaScript with the project's `typescript` (types are
 *   removed, nothing is type-checked). Results are cached under node_modules/.cache by content
 *   hash, so `typescript` itself is only loaded by a worker that meets a changed file.
 *
 * Plain JavaScript (this file) because it runs before anything can be transpiled. The compiled
 * tree (`dist/`) never uses it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/hydrant-ts-workers/', import.meta.url));
let ts;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && parent.endsWith('.ts') && specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

async function transpile(path, source) {
  const hash = createHash('sha256').update(source).digest('hex');
  const cached = `${CACHE_DIR}${hash}.js`;
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  ts ??= (await import('typescript')).default;
  const out = ts.transpileModule(source, {
    fileName: path,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: false },
  }).outputText;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, out);
    renameSync(tmp, cached);
  } catch {
    // The cache is an optimisation: a read-only tree still works.
  }
  return out;
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  return { format: 'module', source: await transpile(path, readFileSync(path, 'utf8')), shortCircuit: true };
}
