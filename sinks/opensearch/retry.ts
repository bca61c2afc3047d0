/**
 * `_bulk` outcomes, as pure functions (destinations.md §3.5, matching Vector's partial retry):
 * items with 429 or 5xx are retried one by one, every other failed item is permanent (mapping
 * errors go straight to the backup); a whole-request 429 or 5xx (but 501) is retried; failed
 * documents carry the cluster's HTTP status as `errorCode` and its reason as `errorMessage`.
 */
import { errors } from '@opensearch-project/opensearch';
import { delivered, rejected, retryable, type FailedOutcome, type RecordOutcome } from '../../src/core/sink.js';

export const OPENSEARCH_ERRORS = {
  connectionFailed: 'OpenSearch.ConnectionFailed',
  timeout: 'OpenSearch.RequestTimeout',
  invalidResponse: 'OpenSearch.InvalidResponse',
  aborted: 'OpenSearch.RequestAborted',
} as const;

export interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } } | string;
}

function reasonOf(error: BulkItemResult['error']): string {
  if (error === undefined) return '';
  if (typeof error === 'string') return error;
  const cause = error.caused_by?.reason ? ` (caused by ${error.caused_by.type}: ${error.caused_by.reason})` : '';
  return `${error.type ?? 'error'}: ${error.reason ?? ''}${cause}`;
}

/** One bulk item's outcome. */
export function classifyBulkItem(item: BulkItemResult): RecordOutcome {
  if (item.status >= 200 && item.status < 300) return delivered;
  const message = reasonOf(item.error) || `status ${item.status}`;
  if (item.status === 429 || (item.status >= 500 && item.status !== 501)) return retryable(String(item.status), message);
  return rejected(String(item.status), message);
}

/** A whole-request failure (the cluster answered `status` for the bulk request itself). */
export function classifyBulkFailure(status: number, body: unknown, retryAfterMs?: number): FailedOutcome {
  const err = typeof body === 'object' && body !== null ? (body as { error?: BulkItemResult['error'] }).error : undefined;
  const message = reasonOf(err) || (typeof body === 'string' ? body.slice(0, 1024) : `status ${status}`);
  if (status === 429 || (status >= 500 && status !== 501)) return retryable(String(status), message, retryAfterMs);
  // Credentials and permissions are configuration: retried within the window so an update can fix them.
  if (status === 401 || status === 403) return retryable(String(status), message);
  return rejected(String(status), status === 413 ? `${message} (the bulk request is too large for the cluster: lower BufferingHints.SizeInMBs)` : message);
}

/** The per-record outcomes of a bulk response for `count` actions. */
export function bulkOutcomes(body: unknown, count: number): RecordOutcome[] | FailedOutcome {
  const b = body as { errors?: unknown; items?: Record<string, BulkItemResult>[] } | undefined;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.items) || b.items.length !== count) {
    return retryable(OPENSEARCH_ERRORS.invalidResponse, `the bulk response does not list ${count} items`);
  }
  return b.items.map((entry) => {
    const item = Object.values(entry)[0];
    return item && typeof item.status === 'number' ? classifyBulkItem(item) : retryable(OPENSEARCH_ERRORS.invalidResponse, 'a bulk response item has no status');
  });
}

/** An error the client threw (no usable response). */
export function classifyOpenSearchError(err: unknown): FailedOutcome {
  if (err instanceof errors.ResponseError) {
    const retryAfter = Number(err.meta.headers?.['retry-after']);
    return classifyBulkFailure(err.meta.statusCode ?? 0, err.meta.body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  if (err instanceof errors.TimeoutError) return retryable(OPENSEARCH_ERRORS.timeout, `The cluster did not answer in time: ${err.message}`);
  if (err instanceof errors.RequestAbortedError) return retryable(OPENSEARCH_ERRORS.aborted, 'The attempt was aborted before the cluster answered.');
  if (err instanceof errors.DeserializationError) return retryable(OPENSEARCH_ERRORS.invalidResponse, `The cluster's answer is not JSON: ${err.message}`);
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    return retryable(OPENSEARCH_ERRORS.connectionFailed, `Could not reach the cluster: ${err.message}`);
  }
  return retryable(OPENSEARCH_ERRORS.connectionFailed, err instanceof Error ? err.message : String(err));
}
