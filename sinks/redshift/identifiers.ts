/**
 * SQL identifiers in `CopyCommand.DataTableName` (`table`, `schema.table`) and
 * `CopyCommand.DataTableColumns` (`a, b, "Mixed Case"`). Unquoted names are folded to lower
 * case, as both Redshift and PostgreSQL do; double-quoted names keep their case. Checking them
 * here means nothing a configuration holds can change the meaning of the SQL Hydrant sends.
 */

export interface Identifier {
  /** The name as the database stores it (folded unless quoted). */
  name: string;
  /** SQL text for it (always double-quoted, so a folded name reads back exactly). */
  sql: string;
}

export class IdentifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentifierError';
  }
}

const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Quote a name for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Split `text` on `sep` outside double quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        cur += '""';
        i++;
        continue;
      }
      quoted = !quoted;
    }
    if (ch === sep && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (quoted) throw new IdentifierError(`'${text}' has an unterminated double quote`);
  parts.push(cur);
  return parts;
}

function parseOne(raw: string, what: string): Identifier {
  const t = raw.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    const inner = t.slice(1, -1);
    if (!/^(?:[^"]|"")+$/.test(inner)) throw new IdentifierError(`${what} '${raw.trim()}' is not a valid quoted identifier`);
    const name = inner.replaceAll('""', '"');
    return { name, sql: quoteIdent(name) };
  }
  if (!UNQUOTED.test(t)) throw new IdentifierError(`${what} '${raw.trim()}' is not a valid identifier (letters, digits, _ and $, not starting with a digit; or "double-quoted")`);
  const name = t.toLowerCase();
  return { name, sql: quoteIdent(name) };
}

/** `DataTableName`: `table` or `schema.table`. */
export function parseTableName(text: string): Identifier[] {
  const parts = splitOutsideQuotes(text, '.').map((p) => parseOne(p, 'DataTableName part'));
  if (parts.length > 2) throw new IdentifierError(`DataTableName '${text}' has ${parts.length} parts; use table or schema.table`);
  return parts;
}

/** `DataTableColumns`: comma-separated column names (empty text: none given). */
export function parseColumns(text: string | undefined): Identifier[] {
  if (text === undefined || text.trim() === '') return [];
  const cols = splitOutsideQuotes(text, ',').map((p) => parseOne(p, 'DataTableColumns entry'));
  const seen = new Set<string>();
  for (const c of cols) {
    if (seen.has(c.name)) throw new IdentifierError(`DataTableColumns names column ${c.name} twice`);
    seen.add(c.name);
  }
  return cols;
}

/** SQL for a table path. */
export function tableSql(parts: Identifier[]): string {
  return parts.map((p) => p.sql).join('.');
}
