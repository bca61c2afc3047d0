/**
 * Record format conversion in the S3 destination (`DataFormatConversionConfiguration`, reference
 * §9): a batch's JSON records become one Parquet object (compression inside the file); records
 * that do not fit the table go, as Firehose's format-conversion-failed documents, into one error
 * object per batch under the error prefix.
 *
 * Deterministic on replay: the resolved conversion settings are part of the batch's journaled
 * plan (an UpdateDestination after the cut does not change how a replayed batch is converted),
 * the error object's key derives from the batch identity, and the table's schema is read from
 * Hydrant's table definitions when the batch is encoded (Firehose's `VersionId: LATEST`).
 */
import type { LogRecord } from '../../core/record.js';
import { invalidArgument } from '../../core/aws-error.js';
import { dataCatalogTable, type FormatConverter } from '../convert/format-converter.js';
import { resolveFormatConversion, type DataFormatConversionInput, type ResolvedFormatConversion } from '../convert/format-conversion-config.js';
import { TableSchemaError, type GlueTables } from '../convert/glue-tables.js';
import { formatConversionFailedDocument } from '../transform/failed-records.js';
import { errorObject, type ErrorDocument, type ErrorObject, type ErrorOutputLocation } from './error-objects.js';
import type { ExtendedS3DestinationConfiguration } from './s3-config.js';

/** `!{firehose:error-output-type}` of records that failed conversion. */
export const FORMAT_CONVERSION_FAILED = 'format-conversion-failed';

/** What conversion needs from the node: the Parquet workers and the table definitions. */
export interface ConversionServices {
  converter: FormatConverter;
  tables: GlueTables;
  region: string;
  accountId: string;
}

/** The member the plan of a converted batch carries (JSON, journaled with the batch). */
export interface ConversionPlan {
  settings: ResolvedFormatConversion;
  batchId: string;
}

/** The conversion a destination configuration asks for, or undefined (off or disabled). */
export function conversionOf(cfg: ExtendedS3DestinationConfiguration): ResolvedFormatConversion | undefined {
  return resolveFormatConversion(cfg.DataFormatConversionConfiguration as DataFormatConversionInput | undefined, {
    compressionFormat: cfg.CompressionFormat,
    bufferingHints: cfg.BufferingHints,
  });
}

/**
 * CreateDeliveryStream / UpdateDestination: the table a conversion names must be defined (in
 * place of Glue's GetTable), so a stream cannot be created that could never deliver.
 */
export async function checkConversionTable(cfg: ExtendedS3DestinationConfiguration | undefined, tables: GlueTables | undefined): Promise<void> {
  const settings = cfg && conversionOf(cfg);
  if (!settings) return;
  if (!tables) throw invalidArgument('DataFormatConversionConfiguration: record format conversion is not available on this node.');
  try {
    await tables.get(settings.schema.databaseName, settings.schema.tableName);
  } catch (err) {
    if (err instanceof TableSchemaError) throw invalidArgument(`SchemaConfiguration: ${err.message}. Define the table in the config file (transforms.glue.tables) or in transforms.glue.tablesDir.`);
    throw err;
  }
}

/** The table is not defined (or unusable) when a batch is converted: the batch is retried, nothing is written. */
export class ConversionTableError extends Error {
  readonly code = 'DataFormatConversion.TableNotFound';
  constructor(message: string) {
    super(message);
    this.name = 'ConversionTableError';
  }
}

/** A converted batch: the Parquet object's body (none when no record fitted) and the error object. */
export interface ConvertedBatch {
  file?: Buffer;
  rows: number;
  /** Bytes of the records that were converted. */
  bytes: number;
  errors?: ErrorObject;
}

export async function convertBatch(opts: {
  services: ConversionServices;
  plan: ConversionPlan;
  records: readonly LogRecord[];
  streamName: string;
  errorOutput: ErrorOutputLocation;
  signal?: AbortSignal;
  now?: () => number;
}): Promise<ConvertedBatch> {
  const { services, plan, records } = opts;
  const { settings } = plan;
  let table;
  try {
    table = await services.tables.get(settings.schema.databaseName, settings.schema.tableName);
  } catch (err) {
    if (err instanceof TableSchemaError) throw new ConversionTableError(`record format conversion: ${err.message}`);
    throw err;
  }
  const outcome = await services.converter.convert(table, settings, records.map((r) => r.data), { key: opts.streamName, signal: opts.signal });
  let bytes = 0;
  for (const r of records) bytes += r.data.length;
  const converted: ConvertedBatch = { rows: outcome.rows, bytes };
  if (outcome.file) converted.file = outcome.file;
  if (outcome.failures.length > 0) {
    const catalog = dataCatalogTable(settings, table, services.region, services.accountId);
    const at = (opts.now ?? Date.now)();
    const docs: ErrorDocument[] = outcome.failures.map((f) => {
      const r = records[f.index];
      bytes -= r.data.length;
      return {
        doc: formatConversionFailedDocument({
          attemptsMade: 1,
          arrivedAt: r.arrivedAt,
          errorCode: f.errorCode,
          errorMessage: f.errorMessage,
          attemptEndingTimestamp: at,
          rawData: r.data,
          table: catalog,
        }),
        arrivedAt: r.arrivedAt,
      };
    });
    converted.bytes = bytes;
    converted.errors = await errorObject(opts.streamName, opts.errorOutput, plan.batchId, FORMAT_CONVERSION_FAILED, docs);
  }
  return converted;
}
