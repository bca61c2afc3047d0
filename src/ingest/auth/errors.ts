import { AwsError } from '../../core/aws-error.js';

/** The request-level authentication errors AWS JSON services answer with (status, name, wording). */
export const missingAuthenticationToken = () =>
  new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);

export const incompleteSignature = (message: string) => new AwsError('IncompleteSignatureException', message, 400);

export const invalidSignature = (message: string) => new AwsError('InvalidSignatureException', message, 400);

export const unrecognizedClient = () =>
  new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);

export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export const BOTH_AUTH_STYLES =
  "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
