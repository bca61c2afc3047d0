/** What the Lambda runtime sends a worker for one invocation (shared by both sides; types only). */

/** The Lambda `context` members that are plain data (the worker adds the functions). */
export interface LambdaContextFields {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** The invocation's time limit; `getRemainingTimeInMillis` counts down from the moment the worker starts it. */
  timeoutMs: number;
}

export interface LambdaTask {
  /** Absolute path of the function's module. */
  modulePath: string;
  /** The export to call (Lambda's handler name; `handler` by default). */
  exportName: string;
  /** The invocation event, serialized as Lambda sends it. */
  event: string;
  context: LambdaContextFields;
}
