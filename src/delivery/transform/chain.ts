/**
 * The processor chain of a delivery stream: a batch of records in, an outcome per record out.
 * Processors run in Firehose's order whatever their order in the configuration (reference §7.4,
 * §8.1): Decompression → CloudWatchLogProcessing → RecordDeAggregation → Lambda →
 * MetadataExtraction → AppendDelimiterToRecord.
 *
 * Record ids given to the Lambda are derived from the batch id and the record's place in the
 * batch, so a batch processed again after a crash presents the same ids. A record that fails any
 * step yields one ProcessingFailed outcome carrying its original bytes (what Firehose writes as
 * `rawData`); the parts of it that succeeded (other sub-records) still go on.
 */
import type { JqEngine } from './jq/jq-engine.js';
import { functionArn } from './lambda/function-resolver.js';
import type { LambdaRuntime } from './lambda/lambda-runtime.js';
import { runLambdaStage, type Invoke, type LambdaItem } from './lambda/lambda-stage.js';
import { TransformAbortedError } from './errors.js';
import { processCloudWatchLogs } from './processors/cloudwatch-logs.js';
import { deaggregateRecord } from './processors/deaggregation.js';
import { gunzipRecord } from './processors/decompression.js';
import { deaggregate } from '../../stream/consumer/kpl.js';
import { checkLambdaPartitionKeys, partitionKeysFromQuery } from '../partitioning/partition-keys.js';
import type { ResolvedProcessing } from './processing-config.js';
import type { PartitionKeys, ProcessedRecord, RecordFailure, TransformErrorOutputType, TransformInput } from './types.js';

/** Error code of records the jq query cannot partition (observed on AWS). */
export const METADATA_EXTRACTION_FAILED = 'DynamicPartitioning.MetadataExtractionFailed';

export interface ProcessorChainOptions {
  config: ResolvedProcessing;
  deliveryStreamArn: string;
  region: string;
  accountId: string;
  /** When the source is a Kinesis data stream (it appears in the Lambda event). */
  sourceKinesisStreamArn?: string;
  /** Fairness key in the shared worker pools (the delivery stream's name). */
  key: string;
  /** Needed when the configuration has a Lambda processor. */
  lambda?: LambdaRuntime | Invoke;
  /** Needed when the configuration has a MetadataExtraction processor. */
  jq?: JqEngine;
  now?: () => number;
  /** Wait before Lambda retry `attempt` (default: exponential backoff). */
  retryDelayMs?: (attempt: number) => number;
  /** Called once per Lambda invocation attempt. */
  onInvocation?: (outcome: { ok: boolean; durationMs: number; records: number }) => void;
}

interface Item extends LambdaItem {
  source: number;
  partitionKeys?: PartitionKeys;
  /** Set when a step failed or dropped the item; later steps skip it. */
  done?: { kind: 'dropped' } | { kind: 'failed'; failure: Omit<RecordFailure, 'rawData' | 'arrivedAt'> };
}

export class ProcessorChain {
  private readonly now: () => number;
  private readonly invoke?: Invoke;

  constructor(private readonly opts: ProcessorChainOptions) {
    this.now = opts.now ?? Date.now;
    const lambda = opts.lambda;
    if (opts.config.enabled && opts.config.lambda && !lambda) throw new Error('a Lambda processor needs a Lambda runtime');
    if (opts.config.enabled && opts.config.metadataExtraction && !opts.jq) throw new Error('a MetadataExtraction processor needs a jq engine');
    if (lambda) this.invoke = typeof lambda === 'function' ? lambda : (arn, event, signal) => lambda.invoke(arn, event, { key: opts.key, signal });
  }

  /** Whether any processor runs (otherwise `process` passes records through unchanged). */
  get active(): boolean {
    return this.opts.config.enabled;
  }

  /**
   * Runs the chain over one batch. Throws TransformAbortedError when `signal` aborts before it
   * finished (nothing is reported as failed then); otherwise every input has an outcome.
   */
  async process(batchId: string, inputs: readonly TransformInput[], signal?: AbortSignal): Promise<ProcessedRecord[]> {
    const cfg = this.opts.config;
    if (!cfg.enabled) return inputs.map((input, source) => ({ result: 'Ok', source, data: input.data }));
    if (signal?.aborted) throw new TransformAbortedError();
    const items = this.split(batchId, inputs);
    if (cfg.lambda) await this.lambdaStep(items, signal);
    if (cfg.metadataExtraction) await this.extractionStep(items, signal);
    if (cfg.appendDelimiter) {
      const delimiter = cfg.appendDelimiter.delimiter;
      for (const item of items) if (!item.done) item.data = Buffer.concat([item.data, delimiter]);
    }
    return this.assemble(inputs, items);
  }

  /** Decompression, CloudWatch Logs extraction and de-aggregation: the records each input stands for. */
  private split(batchId: string, inputs: readonly TransformInput[]): Item[] {
    const cfg = this.opts.config;
    const items: Item[] = [];
    inputs.forEach((input, source) => {
      let sub = 0;
      const add = (data: Buffer, partitionKey?: string) => {
        const item: Item = { source, recordId: `${batchId}-${source}-${sub}`, data, arrivedAt: input.arrivedAt };
        if (input.kinesisRecordMetadata) {
          item.kinesisRecordMetadata = partitionKey === undefined
            ? input.kinesisRecordMetadata
            : { ...input.kinesisRecordMetadata, partitionKey, subsequenceNumber: sub };
        }
        sub++;
        items.push(item);
        return item;
      };
      const failWith = (errorOutputType: TransformErrorOutputType, errorCode: string, errorMessage: string) => {
        add(input.data).done = { kind: 'failed', failure: { errorOutputType, errorCode, errorMessage, attemptsMade: 1, attemptEndingTimestamp: this.now() } };
      };
      let pieces: Buffer[] = [input.data];
      if (cfg.decompression) {
        const out = gunzipRecord(input.data);
        if (!out.ok) return failWith('decompression-failed', out.errorCode, out.errorMessage);
        pieces = [out.data];
      }
      if (cfg.cloudWatchLogs) {
        const out = processCloudWatchLogs(pieces[0], cfg.cloudWatchLogs.dataMessageExtraction);
        if (out.kind === 'failed') return failWith('processing-failed', out.errorCode, out.errorMessage);
        if (out.kind === 'dropped') {
          add(Buffer.alloc(0)).done = { kind: 'dropped' };
          return;
        }
        pieces = out.records;
      }
      const de = cfg.deaggregation;
      for (const piece of pieces) {
        if (de?.subRecordType === 'KPL') {
          const users = deaggregate(piece);
          if (users) for (const u of users) add(u.data, u.partitionKey);
          else add(piece);
        } else if (de) {
          for (const part of deaggregateRecord(piece, de.subRecordType, de.delimiter)) add(part);
        } else {
          add(piece);
        }
      }
    });
    return items;
  }

  private async lambdaStep(items: Item[], signal?: AbortSignal): Promise<void> {
    const cfg = this.opts.config.lambda!;
    const pending = items.filter((item) => !item.done);
    if (pending.length === 0) return;
    const outcomes = await runLambdaStage(pending, {
      lambdaArn: cfg.lambdaArn,
      numberOfRetries: cfg.numberOfRetries,
      bufferSizeBytes: cfg.bufferSizeBytes,
      deliveryStreamArn: this.opts.deliveryStreamArn,
      region: this.opts.region,
      sourceKinesisStreamArn: this.opts.sourceKinesisStreamArn,
      invoke: this.invoke!,
      retryDelayMs: this.opts.retryDelayMs,
      now: this.now,
      signal,
      onInvocation: this.opts.onInvocation,
    });
    const arn = functionArn(cfg.lambdaArn, this.opts.region, this.opts.accountId);
    pending.forEach((item, k) => {
      const out = outcomes[k];
      if (out.kind === 'ok') {
        item.data = out.data;
        if (out.partitionKeys) {
          const checked = checkLambdaPartitionKeys(out.partitionKeys);
          if (!checked.ok) {
            item.done = { kind: 'failed', failure: { errorOutputType: 'processing-failed', errorCode: METADATA_EXTRACTION_FAILED, errorMessage: checked.message, attemptsMade: 1, attemptEndingTimestamp: this.now(), lambdaArn: arn } };
            return;
          }
          item.partitionKeys = { lambda: checked.keys };
        }
      } else if (out.kind === 'dropped') {
        item.done = { kind: 'dropped' };
      } else {
        item.done = { kind: 'failed', failure: { errorOutputType: 'processing-failed', errorCode: out.errorCode, errorMessage: out.errorMessage, attemptsMade: out.attemptsMade, attemptEndingTimestamp: out.attemptEndingTimestamp, lambdaArn: arn } };
      }
    });
  }

  private async extractionStep(items: Item[], signal?: AbortSignal): Promise<void> {
    const query = this.opts.config.metadataExtraction!.query;
    const fail = (item: Item, errorMessage: string) => {
      item.done = { kind: 'failed', failure: { errorOutputType: 'processing-failed', errorCode: METADATA_EXTRACTION_FAILED, errorMessage, attemptsMade: 1, attemptEndingTimestamp: this.now() } };
    };
    const json: Item[] = [];
    const texts: string[] = [];
    for (const item of items) {
      if (item.done) continue;
      const text = item.data.toString('utf8');
      try {
        JSON.parse(text);
      } catch {
        fail(item, 'Non JSON record provided');
        continue;
      }
      json.push(item);
      texts.push(text);
    }
    if (json.length === 0) return;
    const results = await this.opts.jq!.evaluate(query, texts, { key: this.opts.key, signal });
    json.forEach((item, k) => {
      const keys = partitionKeysFromQuery(results[k]);
      if (!keys.ok) return fail(item, keys.message);
      item.partitionKeys = { ...item.partitionKeys, query: keys.keys };
    });
  }

  private assemble(inputs: readonly TransformInput[], items: Item[]): ProcessedRecord[] {
    const out: ProcessedRecord[] = [];
    let at = 0;
    for (let source = 0; source < inputs.length; source++) {
      let produced = false;
      let failure: RecordFailure | undefined;
      for (; at < items.length && items[at].source === source; at++) {
        const item = items[at];
        if (!item.done) {
          out.push(item.partitionKeys ? { result: 'Ok', source, data: item.data, partitionKeys: item.partitionKeys } : { result: 'Ok', source, data: item.data });
          produced = true;
        } else if (item.done.kind === 'failed' && !failure) {
          failure = { ...item.done.failure, rawData: inputs[source].data, arrivedAt: inputs[source].arrivedAt };
        }
      }
      if (failure) out.push({ result: 'ProcessingFailed', source, failure });
      else if (!produced) out.push({ result: 'Dropped', source });
    }
    return out;
  }
}
