/**
 * The Lambda step of the processor chain: records are split into invocations of at most
 * `BufferSizeInMBs` of record bytes and at most 6 MB of event, each invocation is retried
 * `NumberOfRetries` times when it fails (function error, timeout, crash, a response that breaks
 * the contract), and every record ends Ok (new data, optional partition keys), Dropped, or failed
 * with Firehose's error code and the number of attempts made.
 */
import { randomUUID } from 'node:crypto';
import { backoffDelay, sleep } from '../../../util/backoff.js';
import { TransformAbortedError } from '../errors.js';
import type { KinesisRecordMetadata } from '../types.js';

export { TransformAbortedError } from '../errors.js';
import { MAX_INVOKE_PAYLOAD_BYTES, type InvokeOutcome } from './lambda-runtime.js';
import { checkResponse } from './response.js';

/** A record as the Lambda step sees it. */
export interface LambdaItem {
  recordId: string;
  data: Buffer;
  arrivedAt: number;
  kinesisRecordMetadata?: KinesisRecordMetadata;
}

export type LambdaItemOutcome =
  | { kind: 'ok'; data: Buffer; partitionKeys?: Record<string, string> }
  | { kind: 'dropped' }
  | { kind: 'failed'; errorCode: string; errorMessage: string; attemptsMade: number; attemptEndingTimestamp: number };

/** Invokes a function; `LambdaRuntime.invoke` in production. */
export type Invoke = (lambdaArn: string, event: unknown, signal?: AbortSignal) => Promise<InvokeOutcome>;

export interface LambdaStageOptions {
  lambdaArn: string;
  numberOfRetries: number;
  /** Most record bytes (decoded) per invocation. */
  bufferSizeBytes: number;
  deliveryStreamArn: string;
  region: string;
  sourceKinesisStreamArn?: string;
  invoke: Invoke;
  /** Invocations of one batch in flight at once (default 5, Firehose's per-shard concurrency). */
  maxConcurrentInvocations?: number;
  /** Wait before retry `attempt` (1-based) of an invocation (default: exponential backoff from 200 ms, at most 5 s). */
  retryDelayMs?: (attempt: number) => number;
  now?: () => number;
  signal?: AbortSignal;
  /** Called once per invocation attempt (metrics: ExecuteProcessing.Duration / .Success). */
  onInvocation?: (outcome: { ok: boolean; durationMs: number; records: number }) => void;
}

/** Fixed part of an event (ids, ARNs, field names), with room to spare. */
const EVENT_OVERHEAD = 512;
/** Per record besides its base64 data and id: field names, timestamp, punctuation. */
const RECORD_OVERHEAD = 96;
const KINESIS_METADATA_OVERHEAD = 320;

function estimatedSize(item: LambdaItem): number {
  return 4 * Math.ceil(item.data.length / 3) + item.recordId.length + RECORD_OVERHEAD + (item.kinesisRecordMetadata ? KINESIS_METADATA_OVERHEAD : 0);
}

/**
 * Splits records into invocations, in order: each holds at most `bufferSizeBytes` of record data
 * (at least one record) and an event of at most 6 MB. A record whose event alone would exceed
 * 6 MB is returned in `tooLarge`.
 */
export function planInvocations(items: readonly LambdaItem[], bufferSizeBytes: number, fixedBytes = EVENT_OVERHEAD): { invocations: number[][]; tooLarge: number[] } {
  const invocations: number[][] = [];
  const tooLarge: number[] = [];
  let current: number[] = [];
  let bytes = 0;
  let payload = fixedBytes;
  for (let i = 0; i < items.length; i++) {
    const size = estimatedSize(items[i]);
    if (fixedBytes + size > MAX_INVOKE_PAYLOAD_BYTES) {
      tooLarge.push(i);
      continue;
    }
    const len = items[i].data.length;
    if (current.length > 0 && (bytes + len > bufferSizeBytes || payload + size > MAX_INVOKE_PAYLOAD_BYTES)) {
      invocations.push(current);
      current = [];
      bytes = 0;
      payload = fixedBytes;
    }
    current.push(i);
    bytes += len;
    payload += size;
  }
  if (current.length > 0) invocations.push(current);
  return { invocations, tooLarge };
}

/** The transformation event for some records (reference §8.2), in the order Firehose writes its fields. */
export function buildEvent(items: readonly LambdaItem[], opts: Pick<LambdaStageOptions, 'deliveryStreamArn' | 'region' | 'sourceKinesisStreamArn'>): Record<string, unknown> {
  const event: Record<string, unknown> = { invocationId: randomUUID(), deliveryStreamArn: opts.deliveryStreamArn };
  if (opts.sourceKinesisStreamArn) event.sourceKinesisStreamArn = opts.sourceKinesisStreamArn;
  event.region = opts.region;
  event.records = items.map((item) => {
    const rec: Record<string, unknown> = { recordId: item.recordId, approximateArrivalTimestamp: item.arrivedAt, data: item.data.toString('base64') };
    if (item.kinesisRecordMetadata) rec.kinesisRecordMetadata = item.kinesisRecordMetadata;
    return rec;
  });
  return event;
}

/** Runs the Lambda step over `items`; one outcome per item, in order. */
export async function runLambdaStage(items: readonly LambdaItem[], opts: LambdaStageOptions): Promise<LambdaItemOutcome[]> {
  const now = opts.now ?? Date.now;
  const outcomes = new Array<LambdaItemOutcome>(items.length);
  const fixed = EVENT_OVERHEAD + opts.deliveryStreamArn.length + (opts.sourceKinesisStreamArn?.length ?? 0);
  const { invocations, tooLarge } = planInvocations(items, opts.bufferSizeBytes, fixed);
  for (const i of tooLarge) {
    outcomes[i] = {
      kind: 'failed',
      errorCode: 'Lambda.FunctionError',
      errorMessage: `The record is ${items[i].data.length} bytes; with base64 it does not fit in one ${MAX_INVOKE_PAYLOAD_BYTES}-byte Lambda invocation`,
      attemptsMade: 0,
      attemptEndingTimestamp: now(),
    };
  }
  let next = 0;
  const worker = async () => {
    while (next < invocations.length) {
      const indexes = invocations[next++];
      const results = await invokeWithRetries(indexes.map((i) => items[i]), opts, now);
      indexes.forEach((itemIndex, k) => (outcomes[itemIndex] = results[k]));
    }
  };
  const lanes = Math.max(1, Math.min(opts.maxConcurrentInvocations ?? 5, invocations.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return outcomes;
}

async function invokeWithRetries(items: LambdaItem[], opts: LambdaStageOptions, now: () => number): Promise<LambdaItemOutcome[]> {
  const attempts = opts.numberOfRetries + 1;
  const ids = items.map((item) => item.recordId);
  let last: { errorCode: string; errorMessage: string } = { errorCode: 'Lambda.FunctionError', errorMessage: 'not invoked' };
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      const wait = opts.retryDelayMs ? opts.retryDelayMs(attempt - 1) : backoffDelay(attempt - 2, 200, 5_000);
      if (wait > 0) await sleep(wait, opts.signal);
    }
    if (opts.signal?.aborted) throw new TransformAbortedError();
    made = attempt;
    const outcome = await opts.invoke(opts.lambdaArn, buildEvent(items, opts), opts.signal);
    if (opts.signal?.aborted) throw new TransformAbortedError();
    if (!outcome.ok) {
      opts.onInvocation?.({ ok: false, durationMs: outcome.durationMs, records: items.length });
      last = outcome;
      continue;
    }
    const checked = checkResponse(outcome.payload, ids);
    opts.onInvocation?.({ ok: checked.ok, durationMs: outcome.durationMs, records: items.length });
    if (!checked.ok) {
      last = checked;
      continue;
    }
    return ids.map((id) => {
      const r = checked.records.get(id)!;
      if (r.result === 'Ok') return r.partitionKeys ? { kind: 'ok', data: r.data, partitionKeys: r.partitionKeys } : { kind: 'ok', data: r.data };
      if (r.result === 'Dropped') return { kind: 'dropped' };
      return { kind: 'failed', errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'ProcessingFailed status set for record', attemptsMade: attempt, attemptEndingTimestamp: now() };
    });
  }
  if (opts.signal?.aborted) throw new TransformAbortedError();
  const ended = now();
  return items.map(() => ({ kind: 'failed', errorCode: last.errorCode, errorMessage: last.errorMessage, attemptsMade: made, attemptEndingTimestamp: ended }));
}
