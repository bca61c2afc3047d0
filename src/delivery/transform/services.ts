/**
 * The process-wide services behind processing and conversion, created once per Hydrant node and
 * shared by every delivery stream: the Lambda runtime (its worker pool), the jq engine, the
 * Parquet converter and the table schemas. Worker threads start only when first needed.
 */
import { FormatConverter } from '../convert/format-converter.js';
import { GlueTables, type GlueTablesConfig } from '../convert/glue-tables.js';
import { DEFAULT_ACTIVE_PARTITION_LIMIT } from '../partitioning/active-partitions.js';
import { JqEngine } from './jq/jq-engine.js';
import type { FunctionDefinition } from './lambda/function-resolver.js';
import { LambdaRuntime } from './lambda/lambda-runtime.js';

/** The configuration members for transforms (config file and CLI). Every member is optional. */
export interface TransformsConfig {
  /** Where Lambda functions are found by name (`--functions-dir`): `DIR/NAME.mjs|.js|.cjs`, `DIR/NAME/index.*`. */
  functionsDir?: string;
  /** Functions by name: a module path, or a definition with handler, timeout, memory and environment. */
  functions?: Record<string, string | FunctionDefinition>;
  /** Transform worker threads: total (default: cores, at least 2) and per delivery stream (default: total − 1). */
  lambda?: { maxWorkers?: number; maxWorkersPerStream?: number };
  /** jq (MetadataExtraction): worker threads (default 2) and the time limit per chunk of records (default 30 s). */
  jq?: { maxWorkers?: number; timeoutSeconds?: number };
  /** Table schemas for record format conversion (Glue's shapes; see GlueTables). */
  glue?: GlueTablesConfig;
  /** Active partitions per delivery stream with dynamic partitioning (default 500, as AWS). */
  activePartitionLimit?: number;
  /**
   * Dynamic partitioning: MiB the partition buffers of one delivery stream may hold on this node
   * (default 256); above it the largest buffer is written early and reading pauses.
   */
  partitionBufferMiB?: number;
}

export interface TransformServicesOptions {
  region: string;
  accountId: string;
  /** Directory relative paths in the config file are resolved against. */
  baseDir?: string;
  /** A line a function wrote (its console output). */
  onFunctionLog?: (line: string, functionName: string, stream: 'stdout' | 'stderr') => void;
}

export class TransformServices {
  readonly lambda: LambdaRuntime;
  readonly jq: JqEngine;
  readonly converter: FormatConverter;
  readonly tables: GlueTables;
  readonly activePartitionLimit: number;
  readonly partitionBufferBytes: number | undefined;

  constructor(config: TransformsConfig, opts: TransformServicesOptions) {
    this.lambda = new LambdaRuntime({
      region: opts.region,
      accountId: opts.accountId,
      functionsDir: config.functionsDir,
      functions: config.functions,
      baseDir: opts.baseDir,
      maxWorkers: config.lambda?.maxWorkers,
      maxWorkersPerStream: config.lambda?.maxWorkersPerStream,
      onLog: opts.onFunctionLog,
    });
    this.jq = new JqEngine({ maxWorkers: config.jq?.maxWorkers, timeoutMs: config.jq?.timeoutSeconds === undefined ? undefined : config.jq.timeoutSeconds * 1000 });
    this.converter = new FormatConverter();
    this.tables = new GlueTables({ ...config.glue, baseDir: config.glue?.baseDir ?? opts.baseDir });
    this.activePartitionLimit = config.activePartitionLimit ?? DEFAULT_ACTIVE_PARTITION_LIMIT;
    const mib = config.partitionBufferMiB;
    if (mib !== undefined && !(typeof mib === 'number' && mib > 0)) throw new Error(`transforms.partitionBufferMiB must be a positive number of MiB, not ${String(mib)}`);
    this.partitionBufferBytes = mib === undefined ? undefined : Math.round(mib * 1024 * 1024);
  }

  /** Stops every worker thread. */
  async close(): Promise<void> {
    await Promise.all([this.lambda.close(), this.jq.close(), this.converter.close()]);
  }
}
