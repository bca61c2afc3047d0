/**
 * One load attempt of a staged batch (destinations.md §4.2–4.6): connect over the PostgreSQL
 * wire protocol (`pg`), and in ONE transaction check the bookkeeping table for the batch's
 * manifest, run the COPY, and record the manifest. A batch retried after a crash between COPY
 * and Hydrant's checkpoint finds its manifest recorded and is not loaded again.
 *
 * - `jdbc:redshift://`: Redshift's own statement, `COPY <table> (<columns>) FROM
 *   's3://<bucket>/<manifest>' CREDENTIALS 'aws_iam_role=<RoleARN>' MANIFEST <CopyOptions>`.
 * - `jdbc:postgresql://`: Hydrant reads the manifest and each object it lists back from S3 and
 *   streams them (decompressed, translated: see pg-input.ts) into `COPY … FROM STDIN`.
 */
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ObjectStore } from '../s3/object-store.js';
import { dateStyleFor } from './copy-options.js';
import { parseTableName, tableSql } from './identifiers.js';
import { ObjectInput, pgCopyStatement, type TableColumn } from './pg-input.js';
import type { RedshiftSettings } from './config.js';

/** A manifest as Firehose writes it (and Redshift reads it). */
export interface Manifest {
  entries: { url: string; mandatory: boolean; meta?: { content_length?: number } }[];
}

export interface LoadRequest {
  /** `s3://bucket/key` of the batch's manifest: the bookkeeping key. */
  manifestUrl: string;
  deliveryStream: string;
  batchId: string;
  /** The destination's RoleARN (named in Redshift's CREDENTIALS clause). */
  roleArn: string;
  signal: AbortSignal;
}

export interface LoadResult {
  rows: number;
  /** The manifest was already recorded: nothing was loaded again. */
  alreadyLoaded: boolean;
}

/** An error of Hydrant's own while loading, with a Firehose error code. */
export class LoadError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

/** `s3://bucket/key` → parts. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new LoadError('Redshift.MissingS3File', `manifest entry ${url} is not an s3://bucket/key URL`);
  return { bucket: m[1], key: m[2] };
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The statement Firehose sends to Redshift. */
export function redshiftCopyStatement(s: RedshiftSettings, manifestUrl: string, roleArn: string): string {
  const cols = s.columns.length > 0 ? ` (${s.columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ')})` : '';
  const options = s.optionsText.trim();
  return `COPY ${s.table}${cols} FROM ${literal(manifestUrl)} CREDENTIALS ${literal(`aws_iam_role=${roleArn}`)} MANIFEST${options ? ` ${options}` : ''}`;
}

export interface RedshiftLoaderOptions {
  store: ObjectStore;
  /** Where loaded manifests are recorded (created when missing). */
  bookkeepingTable: string;
}

/** Loads staged batches; one connection per attempt (batches are seconds to minutes apart). */
export class RedshiftLoader {
  private readonly bookkeeping: string;
  private bookkeepingReady = new Set<string>();

  constructor(private readonly opts: RedshiftLoaderOptions) {
    this.bookkeeping = tableSql(parseTableName(opts.bookkeepingTable));
  }

  async load(s: RedshiftSettings, req: LoadRequest): Promise<LoadResult> {
    const t = s.target;
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      database: t.database,
      user: s.user,
      password: s.password,
      ssl: t.ssl === 'disable' ? false : { rejectUnauthorized: t.ssl !== 'require' },
      connectionTimeoutMillis: t.connectTimeoutMs,
      application_name: t.applicationName,
    });
    // An error on an idle client would otherwise be thrown as an uncaught 'error' event.
    client.on('error', () => undefined);
    const onAbort = () => void client.end().catch(() => undefined);
    req.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (req.signal.aborted) throw req.signal.reason;
      await client.connect();
      await this.ensureBookkeeping(client, t.host, t.port, t.database);
      await client.query('BEGIN');
      const seen = await client.query(`SELECT rows_loaded FROM ${this.bookkeeping} WHERE manifest_url = $1`, [req.manifestUrl]);
      if (seen.rows.length > 0) {
        await client.query('ROLLBACK');
        return { rows: Number(seen.rows[0].rows_loaded), alreadyLoaded: true };
      }
      const rows = t.dialect === 'redshift'
        ? (await client.query(redshiftCopyStatement(s, req.manifestUrl, req.roleArn))).rowCount ?? 0
        : await this.copyFromS3(client, s, req);
      await client.query(
        `INSERT INTO ${this.bookkeeping} (manifest_url, delivery_stream, batch_id, rows_loaded, loaded_at) VALUES ($1, $2, $3, $4, $5)`,
        [req.manifestUrl, req.deliveryStream, req.batchId, rows, new Date()],
      );
      await client.query('COMMIT');
      return { rows, alreadyLoaded: false };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      req.signal.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    }
  }

  private async ensureBookkeeping(client: pg.Client, host: string, port: number, database: string): Promise<void> {
    const where = `${host}:${port}/${database}`;
    if (this.bookkeepingReady.has(where)) return;
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.bookkeeping} (
      manifest_url VARCHAR(1024) NOT NULL PRIMARY KEY,
      delivery_stream VARCHAR(64) NOT NULL,
      batch_id VARCHAR(64) NOT NULL,
      rows_loaded BIGINT NOT NULL,
      loaded_at TIMESTAMPTZ NOT NULL
    )`);
    this.bookkeepingReady.add(where);
  }

  /** The PostgreSQL stand-in: stream every object of the manifest into one COPY FROM STDIN. */
  private async copyFromS3(client: pg.Client, s: RedshiftSettings, req: LoadRequest): Promise<number> {
    const manifestRef = parseS3Url(req.manifestUrl);
    const manifest = await this.readManifest(manifestRef.bucket, manifestRef.key, req.signal);
    const o = s.options;
    let columns: TableColumn[] = [];
    if (o.format === 'json' || (o.emptyAsNull && s.columns.length === 0)) {
      const described = await client.query<TableColumn>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`,
        [s.table],
      );
      columns = described.rows;
      if (s.columns.length > 0) {
        const byName = new Map(columns.map((c) => [c.name, c]));
        columns = s.columns.map((name) => {
          const c = byName.get(name);
          if (!c) throw new LoadError('Redshift.ColumnNotFound', `column "${name}" of DataTableColumns does not exist in ${s.table}`);
          return c;
        });
      }
    }
    const statementColumns = s.columns.length > 0 ? s.columns : columns.map((c) => c.name);
    const dateStyle = dateStyleFor(o);
    if (dateStyle) await client.query(`SET LOCAL DateStyle = '${dateStyle}'`);
    const copy = client.query(copyFrom(pgCopyStatement(s.table, statementColumns, o)));
    const copied = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    copied.catch(() => undefined);
    try {
      for (const entry of manifest.entries) {
        const { bucket, key } = parseS3Url(entry.url);
        let body;
        try {
          body = await this.opts.store.get(bucket, key, req.signal);
        } catch (err) {
          if ((err as { code?: string }).code === 'S3.NoSuchKey') {
            if (!entry.mandatory) continue;
            throw new LoadError('Redshift.MissingS3File', `the manifest's mandatory object ${entry.url} does not exist`);
          }
          throw err;
        }
        const input = new ObjectInput({ options: o, columns, url: entry.url });
        const into = async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), copied]);
        };
        if (o.gzip) await pipeline(body, createGunzip(), input, into, { signal: req.signal });
        else await pipeline(body, input, into, { signal: req.signal });
      }
      copy.end();
      await copied;
    } catch (err) {
      copy.destroy(err as Error);
      await copied.catch(() => undefined);
      throw err;
    }
    return copy.rowCount;
  }

  private async readManifest(bucket: string, key: string, signal: AbortSignal): Promise<Manifest> {
    const body = await this.opts.store.get(bucket, key, signal);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    try {
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
      if (!Array.isArray(m.entries)) throw new Error('no entries array');
      return m;
    } catch (err) {
      throw new LoadError('Redshift.MissingS3File', `the manifest s3://${bucket}/${key} is not a COPY manifest: ${(err as Error).message}`);
    }
  }
}
