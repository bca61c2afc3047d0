/**
 * A uniquely named PostgreSQL database per test file on the shared server (127.0.0.1:5432,
 * trust auth), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_HOST = process.env.HYDRANT_TEST_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.HYDRANT_TEST_PG_PORT ?? 5432);
export const PG_USER = process.env.HYDRANT_TEST_PG_USER ?? 'postgres';

export interface TestDatabase {
  name: string;
  /** A client connected to the database. */
  client: pg.Client;
  /** `jdbc:postgresql://host:port/name`, optionally through another port (a proxy). */
  jdbcUrl(port?: number): string;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(label = 'hydrant'): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: 'test' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: name });
  await client.connect();
  return {
    name,
    client,
    jdbcUrl: (port = PG_PORT) => `jdbc:postgresql://${PG_HOST}:${port}/${name}`,
    query: async (sql, params) => (await client.query(sql, params)).rows,
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: 'test' });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
