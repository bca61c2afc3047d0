/**
 * The error an object store throws for a failed put / head. `code` uses Firehose's error-log
 * names (`S3.NoSuchBucket`, `S3.AccessDenied`, `S3.KMS.NotFoundException`, `InternalError`, ...;
 * reference §14). Firehose retries every S3 failure until the data's retention ends (§7.8), so
 * `retryable` is true for everything except a caller's abort; `fault` and `throttling` tell logs
 * and metrics whether the cause is the configuration/permissions ("client") or the store
 * ("destination").
 */

export type S3Fault = 'client' | 'destination';

export interface S3ErrorClassification {
  code: string;
  retryable: boolean;
  throttling: boolean;
  fault: S3Fault;
  /** HTTP status from S3 when there was a response. */
  httpStatus?: number;
  message: string;
}

export class S3DeliveryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly throttling: boolean;
  readonly fault: S3Fault;
  readonly httpStatus?: number;

  constructor(c: S3ErrorClassification, cause?: unknown) {
    super(c.message, cause === undefined ? undefined : { cause });
    this.name = 'S3DeliveryError';
    this.code = c.code;
    this.retryable = c.retryable;
    this.throttling = c.throttling;
    this.fault = c.fault;
    this.httpStatus = c.httpStatus;
  }

  static isInstance(err: unknown): err is S3DeliveryError {
    return err instanceof S3DeliveryError;
  }
}
