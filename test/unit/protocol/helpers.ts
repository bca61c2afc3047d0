import { expect } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import type { CompiledModel } from '../../../src/ingest/protocol/index.js';

/** Runs parse and returns the AwsError it threw (fails the test if it did not throw one). */
export function parseError(model: CompiledModel, op: string, body: unknown): AwsError {
  try {
    model.parse(op, body);
  } catch (err) {
    expect(AwsError.isInstance(err)).toBe(true);
    return err as AwsError;
  }
  throw new Error(`expected ${op} to be rejected`);
}

export function b64(bytes: number, fill = 0x61): string {
  return Buffer.alloc(bytes, fill).toString('base64');
}

export const validation = (...items: string[]) =>
  `${items.length} validation error${items.length === 1 ? '' : 's'} detected: ${items.join('; ')}`;

export const item = (value: string | null, path: string, rule: string) =>
  `Value ${value === null ? 'null' : `'${value}'`} at '${path}' failed to satisfy constraint: ${rule}`;
