/** jq-web ships no type declarations: the part Hydrant uses (the jq 1.7 command line, compiled to WebAssembly). */
declare module 'jq-web' {
  /** Thrown by `raw` when jq exits non-zero: 2 usage, 3 compile error, 5 runtime/input error. */
  export interface JqError extends Error {
    exitCode: number;
    stderr: string;
  }
  export interface Jq {
    /** Runs `jq FLAGS FILTER` over `input` (text) and returns its stdout. */
    raw(input: string, filter: string, flags?: string[]): string;
    json(input: unknown, filter: string): unknown;
  }
  const jq: Promise<Jq>;
  export default jq;
}
