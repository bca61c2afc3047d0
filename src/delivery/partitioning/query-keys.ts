/**
 * The keys a MetadataExtraction query produces, when they can be read from its text: the query
 * is (as AWS documents it) a jq object construction such as
 * `{customer_id: .customer_id, year: .ts | strftime("%Y")}`, whose top-level member names are the
 * partition keys. Used at create time to check that every `!{partitionKeyFromQuery:k}` in the
 * Prefix names a key the query makes. A query of another shape yields undefined: its keys are
 * only known when it runs.
 */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits `inner` at top-level commas (outside strings, brackets, braces and parentheses). */
function topLevel(inner: string, sep: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"') {
      for (i++; i < inner.length && inner[i] !== '"'; i++) if (inner[i] === '\\') i++;
      if (i >= inner.length) return undefined;
    } else if (c === '{' || c === '[' || c === '(') {
      depth++;
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
      if (depth < 0) return undefined;
    } else if (c === sep && depth === 0) {
      out.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  out.push(inner.slice(start));
  return out;
}

function keyOf(member: string): string | undefined {
  const m = member.trim();
  if (m === '') return undefined;
  const parts = topLevel(m, ':');
  if (!parts) return undefined;
  const key = parts[0].trim();
  const hasValue = parts.length > 1;
  if (IDENT.test(key)) return key;
  if (key.startsWith('$') && IDENT.test(key.slice(1)) && !hasValue) return key.slice(1);
  if (key.startsWith('"') && key.endsWith('"') && key.length >= 2 && !key.includes('\\(')) {
    try {
      return JSON.parse(key) as string;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The top-level keys of an object-construction query, or undefined when the query is not one (or uses computed keys). */
export function queryKeys(query: string): string[] | undefined {
  const q = query.trim();
  if (!q.startsWith('{') || !q.endsWith('}')) return undefined;
  const inner = q.slice(1, -1);
  // topLevel refuses unbalanced text: `{a: 1} + {b: 2}` gives `a: 1} + {b: 2` inside.
  const members = topLevel(inner, ',');
  if (!members) return undefined;
  const keys: string[] = [];
  for (const member of members) {
    const key = keyOf(member);
    if (key === undefined) return undefined;
    keys.push(key);
  }
  return keys;
}
