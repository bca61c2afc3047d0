/**
 * The processor chain was stopped (its signal aborted) before every record had an outcome.
 * Nothing is reported as failed: the caller keeps the batch and processes it again later.
 */
export class TransformAbortedError extends Error {
  constructor() {
    super('processing was stopped before it finished');
    this.name = 'TransformAbortedError';
  }
}
