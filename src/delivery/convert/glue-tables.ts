/**
 * Where record format conversion finds a table's schema. Firehose reads it from the AWS Glue Data
 * Catalog (`SchemaConfiguration: {DatabaseName, TableName, ...}`); Hydrant has no Glue, so the
 * same SchemaConfiguration names a table defined in Hydrant's configuration:
 *
 * - `glue.tables`: a list of tables in Glue's `TableInput` shape
 *   (`{DatabaseName, Name, StorageDescriptor: {Columns: [{Name, Type}]}}`; `TableName` and a
 *   top-level `Columns` are accepted too);
 * - `glue.tablesDir`: a directory of JSON files `DIR/<database>/<table>.json` or
 *   `DIR/<database>.<table>.json`, each holding what `aws glue get-table --database-name D --name T`
 *   prints (`{"Table": {...}}`) or a bare table.
 *
 * The table's `PartitionKeys` are Hive partition columns (they live in the S3 prefix, not in the
 * files), so they are not part of the file schema, as with Firehose.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parseHiveType, type HiveType } from './hive-types.js';

export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

/** A table as given in the configuration or a file (Glue's shapes). */
export interface GlueTableInput {
  DatabaseName?: string;
  Name?: string;
  TableName?: string;
  VersionId?: string;
  Columns?: GlueColumn[];
  StorageDescriptor?: { Columns?: GlueColumn[] };
}

export interface GlueTablesConfig {
  tables?: GlueTableInput[];
  tablesDir?: string;
  /** Directory a relative `tablesDir` is resolved against (default: the working directory). */
  baseDir?: string;
}

/** A table's schema, ready for conversion. */
export interface TableSchema {
  databaseName: string;
  tableName: string;
  versionId: string;
  columns: { name: string; type: HiveType }[];
}

/** The table does not exist or its definition is unusable; the message says which and where Hydrant looked. */
export class TableSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableSchemaError';
  }
}

function toSchema(table: GlueTableInput, databaseName: string, tableName: string, where: string): TableSchema {
  const columns = table.StorageDescriptor?.Columns ?? table.Columns;
  if (!Array.isArray(columns) || columns.length === 0) throw new TableSchemaError(`table ${databaseName}.${tableName} (${where}) has no Columns`);
  const seen = new Set<string>();
  return {
    databaseName,
    tableName,
    versionId: table.VersionId ?? '0',
    columns: columns.map((c, i) => {
      if (typeof c?.Name !== 'string' || typeof c?.Type !== 'string') throw new TableSchemaError(`column ${i} of table ${databaseName}.${tableName} (${where}) needs a Name and a Type`);
      const name = c.Name.toLowerCase();
      if (seen.has(name)) throw new TableSchemaError(`table ${databaseName}.${tableName} (${where}) has column ${name} twice`);
      seen.add(name);
      try {
        return { name, type: parseHiveType(c.Type) };
      } catch (err) {
        throw new TableSchemaError(`column ${c.Name} of table ${databaseName}.${tableName} (${where}): ${(err as Error).message}`);
      }
    }),
  };
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TableSchemaError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export class GlueTables {
  constructor(private readonly config: GlueTablesConfig) {}

  /** The schema of `database.table`. Throws TableSchemaError. */
  async get(databaseName: string, tableName: string): Promise<TableSchema> {
    const db = databaseName.toLowerCase();
    const name = tableName.toLowerCase();
    for (const t of this.config.tables ?? []) {
      if ((t.DatabaseName ?? '').toLowerCase() === db && (t.Name ?? t.TableName ?? '').toLowerCase() === name) {
        return toSchema(t, databaseName, tableName, 'glue.tables in the config file');
      }
    }
    const dir = this.config.tablesDir;
    if (dir) {
      const root = isAbsolute(dir) ? dir : resolve(this.config.baseDir ?? process.cwd(), dir);
      for (const path of [join(root, databaseName, `${tableName}.json`), join(root, `${databaseName}.${tableName}.json`)]) {
        const doc = await readJson(path);
        if (doc === undefined) continue;
        const table = ((doc as { Table?: GlueTableInput }).Table ?? doc) as GlueTableInput;
        return toSchema(table, databaseName, tableName, path);
      }
    }
    const places = [this.config.tables ? 'glue.tables' : '', dir ? `${dir}/${databaseName}/${tableName}.json, ${dir}/${databaseName}.${tableName}.json` : ''].filter(Boolean);
    throw new TableSchemaError(`table ${databaseName}.${tableName} is not defined (${places.length > 0 ? `looked in ${places.join(' and ')}` : 'no glue.tables or glue.tablesDir is configured'})`);
  }
}
