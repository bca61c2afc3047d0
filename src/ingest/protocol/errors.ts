import { AwsError } from '../../core/aws-error.js';

/** A type mismatch while reading the JSON body (AWS spells the key `Message`). */
export function serializationError(message: string): AwsError {
  return new AwsError('SerializationException', message, 400, { messageKey: 'Message' });
}

/** At most this many constraint violations are reported, like AWS. */
export const MAX_VALIDATION_ERRORS = 10;

export function validationError(items: readonly string[]): AwsError {
  const n = items.length;
  return new AwsError('ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${items.join('; ')}`, 400);
}

export function unknownOperation(): AwsError {
  return new AwsError('UnknownOperationException', '', 400);
}
