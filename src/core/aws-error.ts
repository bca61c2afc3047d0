/**
 * An error the API edge answers with AWS's JSON error shape:
 * `{"__type": name, "message": message}` with the given HTTP status.
 * `messageKey` is `message` for modeled exceptions and `Message` for a few generic ones
 * (SerializationException, AccessDeniedException) as AWS spells them.
 */
export class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  readonly messageKey: 'message' | 'Message';
  readonly extra?: Record<string, unknown>;

  constructor(type: string, message: string, status = 400, opts: { messageKey?: 'message' | 'Message'; extra?: Record<string, unknown> } = {}) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
    this.messageKey = opts.messageKey ?? 'message';
    this.extra = opts.extra;
  }

  /** The JSON body AWS sends for this error. A message-less error (e.g. UnknownOperationException) has no message member. */
  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { __type: this.type };
    if (this.message) body[this.messageKey] = this.message;
    if (this.extra) Object.assign(body, this.extra);
    return body;
  }

  static isInstance(err: unknown): err is AwsError {
    return typeof err === 'object' && err !== null && typeof (err as AwsError).type === 'string' &&
      typeof (err as AwsError).status === 'number' && typeof (err as AwsError).toBody === 'function';
  }
}

export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message);
export const resourceNotFound = (message: string) => new AwsError('ResourceNotFoundException', message);
export const resourceInUse = (message: string) => new AwsError('ResourceInUseException', message);
export const limitExceeded = (message: string) => new AwsError('LimitExceededException', message);
export const serviceUnavailable = (message: string) => new AwsError('ServiceUnavailableException', message, 500);

/**
 * The log (the Redis backend) could not be reached: nothing of the request was stored. 503 with
 * a Retry-After, so producers back off and send the same records again.
 */
export const logUnavailable = () => new AwsError('ServiceUnavailableException', 'The records could not be stored: the storage backend is unavailable. Nothing was stored; retry the request.', 503);
