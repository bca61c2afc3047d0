/**
 * The worker thread that evaluates jq queries with jq itself (jq-web: the jq 1.7 C code compiled to
 * WebAssembly). All inputs of a task go through one jq run, as a stream of JSON texts; the query is
 * wrapped so that every input yields exactly one output line — its outputs, or the error it raised —
 * and one input's error cannot affect another's result.
 */
import jqModule from 'jq-web';
import { serveTasks } from '../../../util/worker-task.js';
import type { JqCompileFailure, JqResult, JqTask } from './jq-task.js';

const jqReady = jqModule;

/** The query on its own line, so a trailing `# comment` in it cannot swallow the wrapper. */
const wrap = (query: string) => `try ({ok: [\n${query}\n]}) catch {err: .}`;

interface Line { ok?: unknown[]; err?: unknown }

function toResult(line: string): JqResult {
  const parsed = JSON.parse(line) as Line;
  if (Array.isArray(parsed.ok)) return { ok: true, values: parsed.ok };
  const err = parsed.err;
  return { ok: false, error: typeof err === 'string' ? err : JSON.stringify(err) };
}

function isJqError(err: unknown): err is { exitCode: number; stderr: string } {
  return typeof err === 'object' && err !== null && typeof (err as { exitCode?: unknown }).exitCode === 'number';
}

serveTasks(async (payload) => {
  const task = payload as JqTask;
  const jq = await jqReady;
  const filter = wrap(task.query);
  const run = (input: string): string[] => {
    const out = jq.raw(input, filter, ['-c']);
    return out.length === 0 ? [] : out.replace(/\n$/, '').split('\n');
  };
  const oneByOne = (): JqResult[] => task.inputs.map((input) => {
    try {
      const one = run(input);
      return one.length === 1 ? toResult(one[0]) : { ok: false, error: 'the record is not a single JSON value' };
    } catch (err) {
      return { ok: false, error: isJqError(err) ? err.stderr.trim() : String(err) };
    }
  });
  try {
    const lines = task.inputs.length === 0 ? [] : run(task.inputs.join('\n'));
    // Fewer lines: jq read the inputs differently from JSON.parse (e.g. NaN); evaluate one at a time.
    return { result: lines.length === task.inputs.length ? lines.map(toResult) : oneByOne() };
  } catch (err) {
    if (isJqError(err) && err.exitCode === 3) {
      const failure: JqCompileFailure = { compileError: err.stderr.trim() };
      return { result: failure };
    }
    if (isJqError(err)) return { result: oneByOne() };
    throw err;
  }
});
