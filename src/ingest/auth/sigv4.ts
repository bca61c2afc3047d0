import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { checkRequestTime, parseAmzDate } from './amz-date.js';
import { first, readClaim, type QueryParams } from './claim.js';
import { invalidSignature, SIGNATURE_MISMATCH, unrecognizedClient } from './errors.js';

export interface SigV4Request {
  method: string;
  /** The request path as received (percent-encoded), without the query string. */
  path: string;
  query: QueryParams | URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Who signed a verified request. */
export interface SigV4Identity {
  accessKeyId: string;
  region: string;
  service: string;
}

export interface SigV4VerifierOptions {
  /** Access key id → secret access key. */
  credentials: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Allowed distance between the request's X-Amz-Date and the server clock. Default 5 minutes. */
  maxSkewMs?: number;
  /** Clock (epoch ms); defaults to Date.now. */
  now?: () => number;
  /** If set, only these signing names are accepted in the credential scope (e.g. ['firehose']). */
  services?: readonly string[];
}

export interface SigV4Verifier {
  /** Resolves with the signer's identity, or rejects with an AwsError (AWS's names, statuses and wording). */
  verify(req: SigV4Request): Promise<SigV4Identity>;
}

const SIGNATURE_IN_HEADER = /Signature=([0-9a-f]+)/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Verifies AWS Signature Version 4 (Authorization header or presigned query string) against a
 * static key table. The signature is recomputed with @smithy/signature-v4 over exactly the
 * headers the client signed, with the client's own X-Amz-Date, region and service, and compared
 * in constant time. The payload hash is the client's X-Amz-Content-Sha256 when sent (a hex digest
 * must then match the body; `UNSIGNED-PAYLOAD` is honoured as is), otherwise SHA-256 of the body
 * (computed with node:crypto; the pure-JS Sha256 only hashes the short canonical strings).
 */
export function createSigV4Verifier(options: SigV4VerifierOptions): SigV4Verifier {
  const secrets: ReadonlyMap<string, string> = options.credentials instanceof Map
    ? options.credentials
    : new Map(Object.entries(options.credentials));
  const maxSkewMs = options.maxSkewMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const services = options.services ? new Set(options.services) : undefined;

  return {
    async verify(req) {
      const headers = lowerCaseHeaders(req.headers);
      const query = toQueryParams(req.query);
      const claim = readClaim(headers, query);
      const dateMs = parseAmzDate(claim.amzDate);
      const secret = secrets.get(claim.accessKeyId);
      if (secret === undefined) throw unrecognizedClient();
      if (claim.scopeDate !== claim.amzDate.slice(0, 8)) {
        throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
          `'${claim.scopeDate}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`);
      }
      if (services && !services.has(claim.service)) {
        throw invalidSignature(`Credential should be scoped to correct service: '${[...services].join("' or '")}'. `);
      }
      const clock = now();
      const pastWindow = claim.expiresSeconds !== undefined ? claim.expiresSeconds * 1000 : maxSkewMs;
      checkRequestTime(claim.amzDate, dateMs, clock, pastWindow, maxSkewMs);

      const expected = await computeSignature(req, headers, query, claim.signedHeaders, {
        accessKeyId: claim.accessKeyId, secretAccessKey: secret, region: claim.region, service: claim.service, dateMs,
      });
      if (!constantTimeEqual(expected, claim.signature)) throw invalidSignature(SIGNATURE_MISMATCH);
      return { accessKeyId: claim.accessKeyId, region: claim.region, service: claim.service };
    },
  };
}

interface SigningInput {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  dateMs: number;
}

async function computeSignature(req: SigV4Request, headers: ReadonlyMap<string, string>, query: QueryParams,
  signedHeaders: readonly string[], s: SigningInput): Promise<string> {
  const signed = new Set(signedHeaders);
  const toSign: Record<string, string> = {};
  for (const name of signed) {
    const v = headers.get(name);
    if (v !== undefined) toSign[name] = v;
  }
  // The signer takes the payload hash from this header; it is only part of the canonical
  // headers when the client signed it. Likewise X-Amz-Date, which the signer always sets.
  const unsignable = new Set<string>();
  const claimed = headers.get('x-amz-content-sha256') ?? first(query['X-Amz-Content-Sha256']);
  // A claimed hex digest must be the body's (else the signature did not cover this body);
  // markers such as UNSIGNED-PAYLOAD are taken as the client chose them.
  if (claimed !== undefined && HEX_SHA256.test(claimed) && claimed.toLowerCase() !== payloadHash(req.body)) return '';
  toSign['x-amz-content-sha256'] = claimed ?? payloadHash(req.body);
  if (!signed.has('x-amz-content-sha256')) unsignable.add('x-amz-content-sha256');
  if (!signed.has('x-amz-date')) unsignable.add('x-amz-date');

  const signer = new SignatureV4({
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    region: s.region,
    service: s.service,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const request = new HttpRequest({ method: req.method.toUpperCase(), path: decodePath(req.path), query: definedQuery(query), headers: toSign, body: req.body });
  const out = await signer.sign(request, { signingDate: new Date(s.dateMs), signableHeaders: signed, unsignableHeaders: unsignable });
  const m = SIGNATURE_IN_HEADER.exec(String(out.headers.authorization));
  return m ? m[1] : '';
}

function payloadHash(body: Buffer): string {
  return body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
}

function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a); // same work either way
    return false;
  }
  return timingSafeEqual(a, b);
}

function lowerCaseHeaders(headers: SigV4Request['headers']): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), Array.isArray(v) ? v.join(',') : v);
  }
  return out;
}

function toQueryParams(q: SigV4Request['query']): QueryParams {
  if (!(q instanceof URLSearchParams)) return q;
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of q) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function definedQuery(q: QueryParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) out[k] = v;
  return out;
}

/** The signer expects the unencoded path (it encodes it itself, as clients do when signing). */
function decodePath(path: string): string {
  try {
    return path.split('/').map((seg) => decodeURIComponent(seg)).join('/');
  } catch {
    return path;
  }
}
