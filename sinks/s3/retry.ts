/**
 * Classifies an error from the AWS SDK (S3 service errors, network errors, timeouts, aborts) or
 * from the file system (local store) into an S3ErrorClassification. Pure: no I/O, no clock.
 */
import { S3DeliveryError, type S3ErrorClassification } from './errors.js';

/** S3 error codes Firehose reports under its own `S3.<code>` names; all are configuration faults. */
const CLIENT_CODES = new Set(['NoSuchBucket', 'AccessDenied', 'AccountProblem', 'AllAccessDisabled', 'InvalidPayer',
  'NotSignedUp', 'MethodNotAllowed', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidBucketName',
  'PermanentRedirect', 'AuthorizationHeaderMalformed', 'RequestTimeTooSkewed', 'ExpiredToken', 'InvalidToken', 'InvalidArgument',
  'KMS.DisabledException', 'KMS.KMSInvalidStateException', 'KMS.InvalidKeyUsageException']);
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded',
  'ServiceUnavailable']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function statusOf(e: ErrorLike): number | undefined {
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function classifyS3Error(err: unknown): S3ErrorClassification {
  if (err instanceof S3DeliveryError) {
    return { code: err.code, retryable: err.retryable, throttling: err.throttling, fault: err.fault, httpStatus: err.httpStatus, message: err.message };
  }
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const message = str(e.message) ?? String(err);
  const status = statusOf(e);
  const name = str(e.Code) ?? str(e.name) ?? '';
  const code = str(e.code) ?? '';
  const base = { retryable: true, throttling: false, httpStatus: status };

  if (name === 'AbortError' || code === 'ABORT_ERR') {
    return { ...base, code: 'Aborted', retryable: false, fault: 'destination', message: `The request was aborted: ${message}` };
  }
  // KMS problems surface from S3 as KMS.* error codes.
  if (name === 'KMS.NotFoundException') return { ...base, code: 'S3.KMS.NotFoundException', fault: 'client', message };
  if (name === 'KMS.RequestLimitExceeded' || name === 'KMS.ThrottlingException' || name === 'KMS.LimitExceededException') {
    return { ...base, code: 'S3.KMS.RequestLimitExceeded', throttling: true, fault: 'destination', message };
  }
  if (CLIENT_CODES.has(name)) return { ...base, code: `S3.${name}`, fault: 'client', message };
  if (THROTTLING_CODES.has(name) || status === 503 || status === 429) {
    return { ...base, code: 'S3.SlowDown', throttling: true, fault: 'destination', message };
  }
  if (name === 'CredentialsProviderError') {
    return { ...base, code: 'S3.CredentialsError', fault: 'client', message: `No usable AWS credentials: ${message}` };
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout') {
    return { ...base, code: 'S3.RequestTimeout', fault: 'destination', message };
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) {
    return { ...base, code: 'S3.NetworkError', fault: 'destination', message: `${code || name}: ${message}` };
  }
  // Local-store (file system) errors.
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return { ...base, code: 'S3.AccessDenied', fault: 'client', message };
  if (code === 'ENOSPC' || code === 'EDQUOT') return { ...base, code: 'InternalError', fault: 'destination', message: `Storage full: ${message}` };
  if (status !== undefined && status >= 500) return { ...base, code: 'InternalError', fault: 'destination', message };
  if (status === 403) return { ...base, code: 'S3.AccessDenied', fault: 'client', message };
  if (status === 404) return { ...base, code: 'S3.NoSuchBucket', fault: 'client', message };
  if (status !== undefined && name && name !== 'Error' && name !== 'Unknown' && name !== 'UnknownError') {
    return { ...base, code: `S3.${name}`, fault: 'client', message };
  }
  return { ...base, code: 'InternalError', fault: 'destination', message };
}

/** Wraps any error in an S3DeliveryError (returns S3DeliveryErrors unchanged). */
export function toS3DeliveryError(err: unknown): S3DeliveryError {
  if (err instanceof S3DeliveryError) return err;
  return new S3DeliveryError(classifyS3Error(err), err);
}
