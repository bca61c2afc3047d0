/**
 * The top-level members of one JSON object as raw JSON text, for JSON 'auto' loading: numbers
 * keep every digit (a 64-bit id stays exact, which `JSON.parse` would round), nested objects and
 * arrays stay JSON text (Redshift loads them as their JSON text). The object must already be
 * known to be valid JSON.
 */

const WS = new Set([' ', '\t', '\n', '\r']);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s[i])) i++;
  return i;
}

/** Index just past the string starting at `i` (which is `"`). */
function endOfString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Index just past the value starting at `i`. */
function endOfValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return endOfString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const ch = s[j];
      if (ch === '"') { j = endOfString(s, j) - 1; continue; }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new SyntaxError('unterminated object or array');
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}' && s[j] !== ']' && !WS.has(s[j])) j++;
  return j;
}

/** Key → raw JSON value text of the object `text` (`{...}`); a repeated key keeps its last value. */
export function topLevelMembers(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new SyntaxError('not a JSON object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') throw new SyntaxError('expected a colon');
    i = skipWs(text, i + 1);
    const valueEnd = endOfValue(text, i);
    out.set(key, text.slice(i, valueEnd));
    i = skipWs(text, valueEnd);
    if (text[i] === ',') { i = skipWs(text, i + 1); continue; }
    if (text[i] === '}') return out;
    throw new SyntaxError('expected a comma or a closing brace');
  }
}
