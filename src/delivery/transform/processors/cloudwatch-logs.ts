/**
 * The CloudWatchLogProcessing processor: a decompressed CloudWatch Logs subscription payload is
 * `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents: [{id, timestamp, message}]}`.
 * CONTROL_MESSAGE payloads (CloudWatch's reachability checks) are dropped. With
 * `DataMessageExtraction` each log event's `message` becomes a record of its own (the envelope is
 * dropped); without it the payload passes on unchanged.
 */

export type CloudWatchLogsResult =
  | { kind: 'dropped' }
  | { kind: 'records'; records: Buffer[] }
  | { kind: 'failed'; errorCode: string; errorMessage: string };

interface Envelope {
  messageType?: unknown;
  logEvents?: unknown;
}

export function processCloudWatchLogs(data: Buffer, extract: boolean): CloudWatchLogsResult {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(data.toString('utf8')) as Envelope;
  } catch {
    return { kind: 'failed', errorCode: 'CloudWatchLogs.InvalidFormat', errorMessage: 'The decompressed record is not a CloudWatch Logs subscription message (not JSON)' };
  }
  if (typeof envelope !== 'object' || envelope === null) {
    return { kind: 'failed', errorCode: 'CloudWatchLogs.InvalidFormat', errorMessage: 'The decompressed record is not a CloudWatch Logs subscription message' };
  }
  if (envelope.messageType === 'CONTROL_MESSAGE') return { kind: 'dropped' };
  if (!extract) return { kind: 'records', records: [data] };
  if (envelope.messageType !== 'DATA_MESSAGE' || !Array.isArray(envelope.logEvents)) {
    return { kind: 'failed', errorCode: 'CloudWatchLogs.InvalidFormat', errorMessage: `The decompressed record is not a CloudWatch Logs DATA_MESSAGE with logEvents (messageType ${JSON.stringify(envelope.messageType)})` };
  }
  const records: Buffer[] = [];
  for (const event of envelope.logEvents as unknown[]) {
    const message = (event as { message?: unknown } | null)?.message;
    if (typeof message !== 'string') {
      return { kind: 'failed', errorCode: 'CloudWatchLogs.InvalidFormat', errorMessage: 'A log event of the CloudWatch Logs message has no message string' };
    }
    records.push(Buffer.from(message, 'utf8'));
  }
  return records.length === 0 ? { kind: 'dropped' } : { kind: 'records', records };
}
