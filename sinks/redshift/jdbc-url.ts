/**
 * `ClusterJDBCURL`: `jdbc:redshift://<host>[:<port>]/<database>` (a Redshift cluster or
 * workgroup, default port 5439) or `jdbc:postgresql://<host>[:<port>]/<database>` (PostgreSQL
 * standing in for Redshift, default port 5432). Hydrant also accepts any host name or address
 * (AWS only accepts `*.redshift(-serverless).*` hosts) and these JDBC parameters after `?`:
 * `ssl=true|false`, `sslmode=disable|require|verify-ca|verify-full`, `connectTimeout=<seconds>`
 * and `ApplicationName=<name>`.
 */

export type Dialect = 'redshift' | 'postgresql';

export interface JdbcTarget {
  dialect: Dialect;
  host: string;
  port: number;
  database: string;
  /** TLS: off, on without verifying the certificate (`require`), or verified (`verify-ca`, `verify-full`). */
  ssl: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  connectTimeoutMs: number;
  applicationName: string;
}

/** A URL that cannot be used; the message names what is wrong. */
export class JdbcUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JdbcUrlError';
  }
}

const DEFAULT_PORT: Record<Dialect, number> = { redshift: 5439, postgresql: 5432 };
const SSL_MODES = new Set(['disable', 'require', 'verify-ca', 'verify-full']);

export function parseJdbcUrl(url: string): JdbcTarget {
  const m = /^jdbc:(redshift|postgresql):\/\/(\[[0-9A-Fa-f:.]+\]|[^/:?#\s[\]]+)(?::(\d{1,5}))?\/([^/?#\s]+)(?:\?(.*))?$/.exec(url);
  if (!m) {
    throw new JdbcUrlError(`ClusterJDBCURL ${url} is not a JDBC URL of the form jdbc:redshift://<host>:<port>/<database> or jdbc:postgresql://<host>:<port>/<database>.`);
  }
  const dialect = m[1] as Dialect;
  const port = m[3] === undefined ? DEFAULT_PORT[dialect] : Number(m[3]);
  if (port < 1 || port > 65535) throw new JdbcUrlError(`ClusterJDBCURL ${url} has port ${port}; a port is 1 to 65535.`);
  const target: JdbcTarget = {
    dialect,
    host: m[2].startsWith('[') ? m[2].slice(1, -1) : m[2],
    port,
    database: decodeURIComponent(m[4]),
    ssl: dialect === 'redshift' ? 'require' : 'disable',
    connectTimeoutMs: 10_000,
    applicationName: 'hydrant',
  };
  for (const pair of (m[5] ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    switch (key) {
      case 'ssl':
        if (value !== 'true' && value !== 'false') throw new JdbcUrlError(`ClusterJDBCURL parameter ssl must be true or false, not '${value}'.`);
        target.ssl = value === 'true' ? 'require' : 'disable';
        break;
      case 'sslmode':
        if (!SSL_MODES.has(value)) throw new JdbcUrlError(`ClusterJDBCURL parameter sslmode must be one of ${[...SSL_MODES].join(', ')}, not '${value}'.`);
        target.ssl = value as JdbcTarget['ssl'];
        break;
      case 'connectTimeout': {
        const s = Number(value);
        if (!Number.isInteger(s) || s < 1 || s > 3600) throw new JdbcUrlError(`ClusterJDBCURL parameter connectTimeout must be 1 to 3600 seconds, not '${value}'.`);
        target.connectTimeoutMs = s * 1000;
        break;
      }
      case 'ApplicationName':
      case 'applicationName':
        target.applicationName = value;
        break;
      default:
        throw new JdbcUrlError(`ClusterJDBCURL parameter '${key}' is not supported; supported: ssl, sslmode, connectTimeout, ApplicationName.`);
    }
  }
  return target;
}
