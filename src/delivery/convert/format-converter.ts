/**
 * Record format conversion for a batch (JSON → Parquet), off the event loop: the records go to a
 * conversion worker thread, which returns one Parquet file for the records that fit the table and
 * the ones that did not (each bound for `format-conversion-failed` with Firehose's error code).
 */
import { WorkerPool } from '../../util/worker-pool.js';
import { workerScript } from '../../util/worker-script.js';
import type { ConvertResult, ConvertTask, RecordConversionFailure } from './convert-task.js';
import type { ResolvedFormatConversion } from './format-conversion-config.js';
import type { TableSchema } from './glue-tables.js';
import type { DataCatalogTable } from '../transform/failed-records.js';

export type { RecordConversionFailure } from './convert-task.js';

export interface ConversionOutcome {
  /** The Parquet object body; undefined when no record converted. */
  file?: Buffer;
  rows: number;
  failures: RecordConversionFailure[];
}

export class FormatConverter {
  private readonly pool: WorkerPool;

  constructor(opts: { maxWorkers?: number } = {}) {
    const maxWorkers = opts.maxWorkers ?? 2;
    this.pool = new WorkerPool({ name: 'parquet', script: workerScript(import.meta.url, './convert-worker.js'), maxWorkers, maxPerKey: Math.max(1, maxWorkers - 1) });
  }

  /** Converts one batch's records. `key` is the delivery stream (fairness between streams). */
  async convert(table: TableSchema, cfg: ResolvedFormatConversion, records: readonly Buffer[], opts: { key?: string; signal?: AbortSignal } = {}): Promise<ConversionOutcome> {
    let total = 0;
    for (const r of records) total += r.length;
    const data = new Uint8Array(total);
    const offsets = new Uint32Array(records.length + 1);
    let at = 0;
    records.forEach((r, i) => {
      offsets[i] = at;
      data.set(r, at);
      at += r.length;
    });
    offsets[records.length] = at;
    const task: ConvertTask = { columns: table.columns, deserializer: cfg.deserializer, serializer: cfg.serializer, data, offsets };
    const out = await this.pool.run<ConvertResult>(task, { key: opts.key, signal: opts.signal, transfer: [data.buffer] });
    const outcome: ConversionOutcome = { rows: out.rows, failures: out.failures };
    if (out.file) outcome.file = Buffer.from(out.file.buffer, out.file.byteOffset, out.file.byteLength);
    return outcome;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The `dataCatalogTable` member of format-conversion-failed documents. */
export function dataCatalogTable(cfg: ResolvedFormatConversion, table: TableSchema, region: string, accountId: string): DataCatalogTable {
  const catalogId = cfg.schema.catalogId ?? accountId;
  const tableRegion = cfg.schema.region ?? region;
  return {
    catalogId,
    databaseName: cfg.schema.databaseName,
    tableName: cfg.schema.tableName,
    region: tableRegion,
    versionId: cfg.schema.versionId === 'LATEST' ? table.versionId : cfg.schema.versionId,
    catalogArn: `arn:aws:glue:${tableRegion}:${catalogId}:catalog`,
  };
}
