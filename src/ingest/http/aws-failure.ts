import { AwsError, logUnavailable } from '../../core/aws-error.js';
import { LogUnavailableError } from '../../stream/log/backend.js';

/**
 * What a client is told about a failure, for every route (AWS JSON, REST, the server's last
 * resort): an AWS error as it is, an unreachable log (the Redis backend) as a retryable 503
 * ServiceUnavailableException; undefined for anything else (an internal failure, logged).
 */
export function awsErrorOf(err: unknown): AwsError | undefined {
  if (AwsError.isInstance(err)) return err;
  if (LogUnavailableError.isInstance(err)) return logUnavailable();
  return undefined;
}
