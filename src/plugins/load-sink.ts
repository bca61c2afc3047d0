/**
 * Load a sink plugin module named in a destination block: a path (absolute, relative to
 * `baseDir`, or a `file:` URL) or a package name resolved from `baseDir`. The module must export
 * a `defineSink` plugin (default export, an export named `sink`, or the export `Export` names).
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { invalidArgument } from '../core/aws-error.js';
import { isSinkPlugin, type SinkPlugin } from '../core/plugin-api.js';

/** The URL `import()` loads for a module specifier. */
export function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(baseDir, specifier)).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, 'hydrant-plugin-resolver.js')).resolve(specifier)).href;
  } catch {
    return specifier; // let import() resolve it (ESM-only packages) or report it missing
  }
}

export async function loadSinkPlugin(specifier: string, exportName: string | undefined, baseDir: string, field: string): Promise<SinkPlugin> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(moduleUrl(specifier, baseDir)) as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`${field}.Module ${specifier} cannot be loaded: ${(err as Error).message}`);
  }
  const candidates = exportName !== undefined ? [mod[exportName]] : [mod.default, mod.sink, (mod.default as Record<string, unknown> | undefined)?.default];
  const plugin = candidates.find(isSinkPlugin);
  if (!plugin) {
    const what = exportName !== undefined ? `its export ${exportName}` : 'its default export (or an export named sink)';
    throw invalidArgument(`${field}.Module ${specifier}: ${what} is not a sink plugin made with defineSink.`);
  }
  return plugin;
}
