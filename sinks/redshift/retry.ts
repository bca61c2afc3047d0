/**
 * Classification of a failed load (COPY through the PostgreSQL wire protocol, or reading the
 * staged objects) into Firehose's Redshift error codes (destinations.md §4.5). Pure.
 *
 * Firehose retries every failed COPY until `RetryOptions.DurationInSeconds` runs out, whatever
 * the cause — a missing table, wrong credentials or a rejected row may be fixed by the user
 * while it retries — and then writes the batch's manifest under `errors/`. So every outcome is
 * `retryable`; `transient` says whether the cause is expected to clear by itself (connections,
 * serialization failures, a server shutting down, resources), which logs and metrics use.
 */
import type { FailedOutcome } from '../../src/core/sink.js';

export type RedshiftFailure = Extract<FailedOutcome, { status: 'retryable' }> & {
  /** Expected to clear without anyone changing anything. */
  readonly transient: boolean;
  /** SQLSTATE, when the database answered. */
  readonly sqlState?: string;
};

/** SQLSTATE → Firehose error code, most specific first (exact codes, then classes). */
const BY_CODE: Record<string, string> = {
  '42P01': 'Redshift.TableNotFound',
  '3F000': 'Redshift.TableNotFound',
  '42703': 'Redshift.ColumnNotFound',
  '42601': 'Redshift.SyntaxError',
  '42704': 'Redshift.SyntaxError',
  '42804': 'Redshift.ColumnMismatch',
  '22P04': 'Redshift.ColumnMismatch',
  '23502': 'Redshift.MissingColumn',
  '28P01': 'Redshift.AuthenticationFailed',
  '28000': 'Redshift.AuthenticationFailed',
  '3D000': 'Redshift.DatabaseNotFound',
  '42501': 'Redshift.InsufficientPrivilege',
  '25006': 'Redshift.ReadOnlyCluster',
  '53100': 'Redshift.DiskFull',
};

const BY_CLASS: Record<string, { code: string; transient: boolean }> = {
  '08': { code: 'Redshift.ConnectionFailed', transient: true }, // connection exception
  '57': { code: 'Redshift.ConnectionFailed', transient: true }, // operator intervention (admin shutdown, crash shutdown, cannot connect now)
  '53': { code: 'InternalError', transient: true }, // insufficient resources
  '40': { code: 'InternalError', transient: true }, // transaction rollback (serialization failure, deadlock)
  '58': { code: 'InternalError', transient: true }, // system error
  'XX': { code: 'InternalError', transient: true }, // internal error
  '22': { code: 'Redshift.DataLoadFailed', transient: false }, // data exception
  '23': { code: 'Redshift.DataLoadFailed', transient: false }, // integrity constraint violation
  '42': { code: 'Redshift.SyntaxError', transient: false }, // syntax error or access rule violation
  '28': { code: 'Redshift.AuthenticationFailed', transient: false },
  '0A': { code: 'Redshift.IncorrectCopyOptions', transient: false }, // feature not supported
};

/** Node network errors (no answer from the database at all). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  detail?: unknown;
  where?: unknown;
}

function messageOf(e: ErrorLike, fallback: unknown): string {
  const m = typeof e.message === 'string' && e.message ? e.message : String(fallback);
  return typeof e.detail === 'string' && e.detail ? `${m} (${e.detail})` : m;
}

/** Classify anything a load attempt threw. */
export function classifyRedshiftError(err: unknown): RedshiftFailure {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const code = typeof e.code === 'string' ? e.code : '';
  const message = messageOf(e, err);
  const out = (errorCode: string, transient: boolean, errorMessage = message, sqlState?: string): RedshiftFailure =>
    ({ status: 'retryable', errorCode, errorMessage, transient, ...(sqlState ? { sqlState } : {}) });

  // Already classified by Hydrant (data the stand-in cannot load, a missing staged object).
  if (code.startsWith('Redshift.')) return out(code, false);
  if (code.startsWith('S3.')) {
    if (code === 'S3.NoSuchKey') return out('Redshift.MissingS3File', false);
    if (code === 'S3.AccessDenied') return out('Redshift.S3BucketAccessDenied', false);
    return out('InternalError', true, `reading the staged objects failed: ${message}`);
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const exact = BY_CODE[code];
    const cls = BY_CLASS[code.slice(0, 2)];
    return out(exact ?? cls?.code ?? 'InternalError', cls?.transient ?? false, `${message} [SQLSTATE ${code}]`, code);
  }
  if (NETWORK.has(code)) return out('Redshift.ConnectionFailed', true, `${code}: ${message}`);
  if (e.name === 'TimeoutError' || /timeout/i.test(message)) return out('Redshift.ConnectionFailed', true);
  if (/Connection terminated|connection.*closed|Client has encountered a connection error/i.test(message)) return out('Redshift.ConnectionFailed', true);
  return out('InternalError', true);
}
