import { describe, expect, it } from 'vitest';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { classifyS3Error, toS3DeliveryError } from '../../../sinks/s3/retry.js';
import { S3DeliveryError } from '../../../sinks/s3/errors.js';

function s3Error(name: string, status: number, message = `${name} happened`): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}
function sysError(code: string): Error {
  return Object.assign(new Error(`${code} oops`), { code });
}
function named(name: string): Error {
  return Object.assign(new Error(`${name}!`), { name });
}

describe('classifyS3Error', () => {
  it.each([
    [s3Error('NoSuchBucket', 404), 'S3.NoSuchBucket', 'client', false, true],
    [s3Error('AccessDenied', 403), 'S3.AccessDenied', 'client', false, true],
    [s3Error('AccountProblem', 403), 'S3.AccountProblem', 'client', false, true],
    [s3Error('AllAccessDisabled', 403), 'S3.AllAccessDisabled', 'client', false, true],
    [s3Error('InvalidPayer', 403), 'S3.InvalidPayer', 'client', false, true],
    [s3Error('NotSignedUp', 403), 'S3.NotSignedUp', 'client', false, true],
    [s3Error('MethodNotAllowed', 405), 'S3.MethodNotAllowed', 'client', false, true],
    [s3Error('KMS.NotFoundException', 400), 'S3.KMS.NotFoundException', 'client', false, true],
    [s3Error('KMS.RequestLimitExceeded', 400), 'S3.KMS.RequestLimitExceeded', 'destination', true, true],
    [s3Error('KMS.DisabledException', 400), 'S3.KMS.DisabledException', 'client', false, true],
    [s3Error('SlowDown', 503), 'S3.SlowDown', 'destination', true, true],
    [s3Error('ServiceUnavailable', 503), 'S3.SlowDown', 'destination', true, true],
    [s3Error('InternalError', 500), 'InternalError', 'destination', false, true],
    [s3Error('Unknown', 502), 'InternalError', 'destination', false, true],
    [s3Error('NotFound', 404), 'S3.NoSuchBucket', 'client', false, true], // HeadBucket: no body
    [s3Error('Forbidden', 403), 'S3.AccessDenied', 'client', false, true],
    [s3Error('EntityTooLarge', 400), 'S3.EntityTooLarge', 'client', false, true],
    [s3Error('RequestTimeout', 400), 'S3.RequestTimeout', 'destination', false, true],
    [named('TimeoutError'), 'S3.RequestTimeout', 'destination', false, true],
    [sysError('ECONNREFUSED'), 'S3.NetworkError', 'destination', false, true],
    [sysError('ECONNRESET'), 'S3.NetworkError', 'destination', false, true],
    [sysError('ENOTFOUND'), 'S3.NetworkError', 'destination', false, true],
    [sysError('EACCES'), 'S3.AccessDenied', 'client', false, true],
    [sysError('ENOSPC'), 'InternalError', 'destination', false, true],
    [named('CredentialsProviderError'), 'S3.CredentialsError', 'client', false, true],
    [named('AbortError'), 'Aborted', 'destination', false, false],
    [new Error('something odd'), 'InternalError', 'destination', false, true],
    ['a string', 'InternalError', 'destination', false, true],
  ])('%#: → %s', (err, code, fault, throttling, retryable) => {
    const c = classifyS3Error(err);
    expect({ code: c.code, fault: c.fault, throttling: c.throttling, retryable: c.retryable })
      .toEqual({ code, fault, throttling, retryable });
  });

  it('keeps the HTTP status and message, and wraps with the cause', () => {
    const err = s3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    const wrapped = toS3DeliveryError(err);
    expect(wrapped).toBeInstanceOf(S3DeliveryError);
    expect(wrapped.httpStatus).toBe(404);
    expect(wrapped.message).toBe('The specified bucket does not exist');
    expect(wrapped.cause).toBe(err);
    expect(toS3DeliveryError(wrapped)).toBe(wrapped);
  });
});
