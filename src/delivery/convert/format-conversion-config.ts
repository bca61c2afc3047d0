/**
 * `DataFormatConversionConfiguration` (reference §4.4, §9): the API shape, checked and resolved
 * with AWS's defaults. Output is Parquet; ORC is refused (there is no maintained ORC writer for
 * Node.js). Problems are InvalidArgumentExceptions.
 */
import { invalidArgument } from '../../core/aws-error.js';

/** The API shape (members Hydrant reads). */
export interface DataFormatConversionInput {
  Enabled?: boolean;
  SchemaConfiguration?: { RoleARN?: string; CatalogId?: string; DatabaseName?: string; TableName?: string; Region?: string; VersionId?: string };
  InputFormatConfiguration?: { Deserializer?: {
    OpenXJsonSerDe?: { ConvertDotsInJsonKeysToUnderscores?: boolean; CaseInsensitive?: boolean; ColumnToJsonKeyMappings?: Record<string, string> };
    HiveJsonSerDe?: { TimestampFormats?: string[] };
  } };
  OutputFormatConfiguration?: { Serializer?: {
    ParquetSerDe?: { BlockSizeBytes?: number; PageSizeBytes?: number; Compression?: string; EnableDictionaryCompression?: boolean; MaxPaddingBytes?: number; WriterVersion?: string };
    OrcSerDe?: Record<string, unknown>;
  } };
}

export type Deserializer =
  | { kind: 'openx'; caseInsensitive: boolean; dotsToUnderscores: boolean; columnToJsonKey: Record<string, string> }
  | { kind: 'hive'; timestampFormats: string[] };

export interface ParquetOptions {
  compression: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  /** Row group size in bytes (ParquetSerDe.BlockSizeBytes). */
  blockSizeBytes: number;
  pageSizeBytes: number;
  dictionary: boolean;
  writerVersion: 'V1' | 'V2';
}

export interface ResolvedFormatConversion {
  enabled: boolean;
  schema: { databaseName: string; tableName: string; catalogId?: string; region?: string; versionId: string; roleArn?: string };
  deserializer: Deserializer;
  serializer: ParquetOptions;
}

const MiB = 1024 * 1024;
/** ParquetSerDe limits and defaults (reference §9). */
export const PARQUET_DEFAULTS = { blockSizeBytes: 256 * MiB, minBlockSizeBytes: 64 * MiB, pageSizeBytes: MiB, minPageSizeBytes: 64 * 1024 } as const;
/** Buffer size limits with conversion enabled: at least 64 MiB, 128 MiB by default. */
export const CONVERSION_MIN_BUFFER_MB = 64;
export const CONVERSION_DEFAULT_BUFFER_MB = 128;

const fail = (message: string): never => {
  throw invalidArgument(message);
};

function deserializer(input: DataFormatConversionInput['InputFormatConfiguration']): Deserializer {
  const d = input?.Deserializer;
  const given = [d?.OpenXJsonSerDe, d?.HiveJsonSerDe].filter((x) => x !== undefined && x !== null).length;
  if (given !== 1) fail('InputFormatConfiguration.Deserializer must have exactly one of OpenXJsonSerDe and HiveJsonSerDe.');
  if (d!.OpenXJsonSerDe) {
    const o = d!.OpenXJsonSerDe;
    const mappings: Record<string, string> = {};
    for (const [column, key] of Object.entries(o.ColumnToJsonKeyMappings ?? {})) {
      if (typeof key !== 'string' || key === '') fail(`OpenXJsonSerDe.ColumnToJsonKeyMappings.${column} must be a JSON key name.`);
      mappings[column.toLowerCase()] = key;
    }
    return { kind: 'openx', caseInsensitive: o.CaseInsensitive !== false, dotsToUnderscores: o.ConvertDotsInJsonKeysToUnderscores === true, columnToJsonKey: mappings };
  }
  const formats = d!.HiveJsonSerDe!.TimestampFormats ?? [];
  if (!Array.isArray(formats) || formats.some((f) => typeof f !== 'string' || f === '')) fail('HiveJsonSerDe.TimestampFormats must be a list of Joda-Time patterns (or "millis").');
  return { kind: 'hive', timestampFormats: formats };
}

function serializer(output: DataFormatConversionInput['OutputFormatConfiguration']): ParquetOptions {
  const s = output?.Serializer;
  if (s?.OrcSerDe && s?.ParquetSerDe) fail('OutputFormatConfiguration.Serializer must have exactly one of ParquetSerDe and OrcSerDe.');
  if (s?.OrcSerDe) fail('OrcSerDe is not supported by this Hydrant version: there is no maintained ORC writer for Node.js. Use ParquetSerDe.');
  if (!s?.ParquetSerDe) fail('OutputFormatConfiguration.Serializer must have exactly one of ParquetSerDe and OrcSerDe.');
  const p = s!.ParquetSerDe!;
  const compression = p.Compression ?? 'SNAPPY';
  if (compression !== 'SNAPPY' && compression !== 'GZIP' && compression !== 'UNCOMPRESSED') fail(`ParquetSerDe.Compression '${compression}' must be SNAPPY, GZIP or UNCOMPRESSED.`);
  const blockSizeBytes = p.BlockSizeBytes ?? PARQUET_DEFAULTS.blockSizeBytes;
  if (blockSizeBytes < PARQUET_DEFAULTS.minBlockSizeBytes) fail(`ParquetSerDe.BlockSizeBytes must be at least ${PARQUET_DEFAULTS.minBlockSizeBytes} (64 MiB).`);
  const pageSizeBytes = p.PageSizeBytes ?? PARQUET_DEFAULTS.pageSizeBytes;
  if (pageSizeBytes < PARQUET_DEFAULTS.minPageSizeBytes) fail(`ParquetSerDe.PageSizeBytes must be at least ${PARQUET_DEFAULTS.minPageSizeBytes} (64 KiB).`);
  const writerVersion = p.WriterVersion ?? 'V1';
  if (writerVersion !== 'V1' && writerVersion !== 'V2') fail(`ParquetSerDe.WriterVersion '${writerVersion}' must be V1 or V2.`);
  return { compression: compression as ParquetOptions['compression'], blockSizeBytes, pageSizeBytes, dictionary: p.EnableDictionaryCompression !== false, writerVersion: writerVersion as ParquetOptions['writerVersion'] };
}

export interface ConversionContext {
  /** The destination's CompressionFormat (must be UNCOMPRESSED: compression happens inside the file). */
  compressionFormat?: string;
  bufferingHints?: { SizeInMBs?: number };
}

/**
 * Resolves the configuration, or returns undefined when conversion is off (absent or
 * `Enabled: false`). Throws InvalidArgumentException.
 */
export function resolveFormatConversion(input: DataFormatConversionInput | undefined | null, ctx: ConversionContext = {}): ResolvedFormatConversion | undefined {
  if (!input || input.Enabled === false) return undefined;
  if (!input.SchemaConfiguration || !input.InputFormatConfiguration || !input.OutputFormatConfiguration) {
    fail('SchemaConfiguration, InputFormatConfiguration and OutputFormatConfiguration are required when DataFormatConversionConfiguration is enabled.');
  }
  const sc = input.SchemaConfiguration!;
  if (!sc.DatabaseName || !sc.TableName) fail('SchemaConfiguration.DatabaseName and SchemaConfiguration.TableName are required.');
  if ((ctx.compressionFormat ?? 'UNCOMPRESSED') !== 'UNCOMPRESSED') {
    fail(`CompressionFormat must be UNCOMPRESSED when data format conversion is enabled (it is ${ctx.compressionFormat}); choose the compression in ParquetSerDe.Compression.`);
  }
  const size = ctx.bufferingHints?.SizeInMBs;
  if (size !== undefined && size < CONVERSION_MIN_BUFFER_MB) fail(`BufferingHints.SizeInMBs must be at least ${CONVERSION_MIN_BUFFER_MB} when data format conversion is enabled.`);
  const schema: ResolvedFormatConversion['schema'] = { databaseName: sc.DatabaseName!, tableName: sc.TableName!, versionId: sc.VersionId ?? 'LATEST' };
  if (sc.CatalogId) schema.catalogId = sc.CatalogId;
  if (sc.Region) schema.region = sc.Region;
  if (sc.RoleARN) schema.roleArn = sc.RoleARN;
  return { enabled: true, schema, deserializer: deserializer(input.InputFormatConfiguration), serializer: serializer(input.OutputFormatConfiguration) };
}
