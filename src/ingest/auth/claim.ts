import { BOTH_AUTH_STYLES, incompleteSignature, invalidSignature, missingAuthenticationToken } from './errors.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** What a request claims about its SigV4 signature, from the Authorization header or the query string. */
export interface SignatureClaim {
  style: 'header' | 'query';
  accessKeyId: string;
  /** Credential scope parts. */
  scopeDate: string;
  region: string;
  service: string;
  /** Lower-case signed header names, as listed by the client. */
  signedHeaders: string[];
  signature: string;
  /** The X-Amz-Date value the signature was made with. */
  amzDate: string;
  /** Presigned requests: X-Amz-Expires in seconds, if given. */
  expiresSeconds?: number;
}

export type QueryParams = Record<string, string | string[] | undefined>;

export function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Reads the signature claim, checking presence and shape in AWS's order: both styles →
 * InvalidSignatureException; neither → MissingAuthenticationTokenException; missing parts →
 * IncompleteSignatureException naming each one.
 */
export function readClaim(headers: ReadonlyMap<string, string>, query: QueryParams): SignatureClaim {
  const authorization = headers.get('authorization');
  const queryAlgorithm = first(query['X-Amz-Algorithm']);
  if (authorization !== undefined && queryAlgorithm !== undefined) throw invalidSignature(BOTH_AUTH_STYLES);
  if (authorization === undefined && queryAlgorithm === undefined) throw missingAuthenticationToken();
  return authorization !== undefined ? fromHeader(authorization, headers) : fromQuery(query);
}

function fromHeader(authorization: string, headers: ReadonlyMap<string, string>): SignatureClaim {
  const trimmed = authorization.trim();
  const space = trimmed.search(/\s/);
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  const params = new Map<string, string>();
  for (const part of (space === -1 ? '' : trimmed.slice(space + 1)).split(/[,\s]+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  let msg = '';
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(p)) msg += `Authorization header requires '${p}' parameter. `;
  }
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined && headers.get('date') === undefined) {
    msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (msg) throw incompleteSignature(`${msg}Authorization=${authorization}`);
  if (algorithm !== ALGORITHM) throw incompleteSignature(`Unsupported AWS 'algorithm': '${algorithm}'`);
  return {
    style: 'header',
    ...scope(params.get('Credential') as string),
    signedHeaders: (params.get('SignedHeaders') as string).split(';').map((h) => h.toLowerCase()),
    signature: params.get('Signature') as string,
    // Only X-Amz-Date is supported for recomputing; a Date-only request will not verify.
    amzDate: amzDate ?? '',
  };
}

function fromQuery(query: QueryParams): SignatureClaim {
  let msg = '';
  for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date']) {
    if (!first(query[p])) msg += `AWS query-string parameters must include '${p}'. `;
  }
  if (msg) throw incompleteSignature(`${msg}Re-examine the query-string parameters.`);
  const algorithm = first(query['X-Amz-Algorithm']) as string;
  if (algorithm !== ALGORITHM) throw incompleteSignature(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const expires = first(query['X-Amz-Expires']);
  let expiresSeconds: number | undefined;
  if (expires !== undefined) {
    expiresSeconds = /^\d{1,9}$/.test(expires) ? Number(expires) : NaN;
    if (Number.isNaN(expiresSeconds)) throw incompleteSignature(`X-Amz-Expires must be a non-negative integer, got '${expires}'`);
  }
  return {
    style: 'query',
    ...scope(first(query['X-Amz-Credential']) as string),
    signedHeaders: (first(query['X-Amz-SignedHeaders']) as string).split(';').map((h) => h.toLowerCase()),
    signature: first(query['X-Amz-Signature']) as string,
    amzDate: first(query['X-Amz-Date']) as string,
    expiresSeconds,
  };
}

function scope(credential: string): Pick<SignatureClaim, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incompleteSignature(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, region, service, terminator] = parts;
  if (terminator !== 'aws4_request') {
    throw invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  }
  return { accessKeyId, scopeDate, region, service };
}
