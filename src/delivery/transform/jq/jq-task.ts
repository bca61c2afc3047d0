/** What the jq engine sends its worker and gets back (shared by both sides; types only). */

export interface JqTask {
  query: string;
  /** JSON texts, one per record (already known to parse as JSON). */
  inputs: string[];
}

/** The outputs of the query for one input, or the error it raised. */
export type JqResult = { ok: true; values: unknown[] } | { ok: false; error: string };

/** The query itself does not compile: no input can be evaluated. */
export interface JqCompileFailure {
  compileError: string;
}
