/**
 * Rows → one Parquet file: an Arrow table built from the table schema (Hive types map to Arrow
 * types, which the writer stores with Parquet's standard logical types: STRING, DATE,
 * TIMESTAMP(MILLIS), DECIMAL, 3-level LIST and MAP), written by parquet-wasm (the Rust arrow-rs
 * Parquet writer, compiled to WebAssembly) with the ParquetSerDe's compression, page size, row
 * group size, dictionary and writer version. Synchronous: runs in the conversion worker.
 */
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import type { HiveType } from './hive-types.js';
import type { Column } from './json-rows.js';
import type { ParquetOptions } from './format-conversion-config.js';

function arrowType(t: HiveType): arrow.DataType {
  switch (t.kind) {
    case 'string': case 'char': case 'varchar': return new arrow.Utf8();
    case 'boolean': return new arrow.Bool();
    case 'tinyint': return new arrow.Int8();
    case 'smallint': return new arrow.Int16();
    case 'int': return new arrow.Int32();
    case 'bigint': return new arrow.Int64();
    case 'float': return new arrow.Float32();
    case 'double': return new arrow.Float64();
    case 'decimal': return new arrow.Decimal(t.scale, t.precision, 128);
    case 'date': return new arrow.DateDay();
    case 'timestamp': return new arrow.TimestampMillisecond();
    case 'binary': return new arrow.Binary();
    case 'array': return new arrow.List(new arrow.Field('element', arrowType(t.element), true));
    case 'map': {
      // Arrow's typings want the key and value types as type parameters; they are only known at run time.
      const entries = new arrow.Struct([new arrow.Field('key', arrowType(t.key), false), new arrow.Field('value', arrowType(t.value), true)]);
      return new arrow.Map_(new arrow.Field('entries', entries, false) as unknown as arrow.Field<never>);
    }
    case 'struct': return new arrow.Struct(t.fields.map((f) => new arrow.Field(f.name, arrowType(f.type), true)));
  }
}

/** The Arrow schema of a table (every column nullable, as Hive columns are). */
export function arrowSchema(columns: readonly Column[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, arrowType(c.type), true)));
}

const COMPRESSION = { SNAPPY: parquet.Compression.SNAPPY, GZIP: parquet.Compression.GZIP, UNCOMPRESSED: parquet.Compression.UNCOMPRESSED } as const;

/** Writes rows (column values in schema order) as one Parquet file. */
export function writeParquet(columns: readonly Column[], rows: readonly unknown[][], opts: ParquetOptions): Uint8Array {
  const schema = arrowSchema(columns);
  const builders = schema.fields.map((f) => arrow.makeBuilder({ type: f.type, nullValues: [null, undefined] }));
  for (const row of rows) for (let i = 0; i < builders.length; i++) builders[i].append(row[i]);
  const vectors = builders.map((b) => b.finish().toVector());
  const table = new arrow.Table(schema, Object.fromEntries(schema.fields.map((f, i) => [f.name, vectors[i]])));
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[opts.compression])
    .setDictionaryEnabled(opts.dictionary)
    .setDataPageSizeLimit(opts.pageSizeBytes)
    .setMaxRowGroupBytes(opts.blockSizeBytes)
    .setWriterVersion(opts.writerVersion === 'V2' ? parquet.WriterVersion.V2 : parquet.WriterVersion.V1)
    .setCreatedBy('hydrant (parquet-rs via parquet-wasm)')
    .build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}
