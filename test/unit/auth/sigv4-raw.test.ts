import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../src/core/aws-error.js';
import { createSigV4Verifier, SIGNATURE_MISMATCH, type SigV4Request } from '../../../src/ingest/auth/index.js';

const KEY = 'AKIDRAW';
const SECRET = 'raw-secret';
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5); // 20240102T030405Z
const BODY = Buffer.from('{"DeliveryStreamName":"s"}');

const signer = (secret = SECRET, service = 'firehose') => new SignatureV4({
  credentials: { accessKeyId: KEY, secretAccessKey: secret }, region: 'eu-west-1', service, sha256: Sha256,
});

function baseRequest(extraHeaders: Record<string, string> = {}, body = BODY): HttpRequest {
  return new HttpRequest({
    method: 'POST', protocol: 'http:', hostname: 'localhost', port: 4573, path: '/',
    headers: { host: 'localhost:4573', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Firehose_20150804.ListDeliveryStreams', ...extraHeaders },
    body,
  });
}

function toVerify(r: HttpRequest, body: Buffer = r.body as Buffer): SigV4Request {
  return { method: r.method, path: r.path, query: r.query as Record<string, string>, headers: r.headers, body };
}

async function signedHeaderRequest(opts: { secret?: string; at?: number; headers?: Record<string, string>; body?: Buffer<ArrayBuffer> } = {}) {
  const r = await signer(opts.secret).sign(baseRequest(opts.headers, opts.body), { signingDate: new Date(opts.at ?? T0) });
  return r as HttpRequest;
}

async function rejection(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (err) {
    expect(AwsError.isInstance(err)).toBe(true);
    return err as AwsError;
  }
  throw new Error('expected a rejection');
}

const verifier = (extra: Partial<Parameters<typeof createSigV4Verifier>[0]> = {}) =>
  createSigV4Verifier({ credentials: new Map([[KEY, SECRET]]), now: () => T0 + 30_000, ...extra });

describe('SigV4 header style', () => {
  it('verifies a correctly signed request and returns the scope', async () => {
    const r = await signedHeaderRequest();
    await expect(verifier().verify(toVerify(r))).resolves.toEqual({ accessKeyId: KEY, region: 'eu-west-1', service: 'firehose' });
  });

  it('detects a tampered body, header or secret', async () => {
    const r = await signedHeaderRequest();
    const e1 = await rejection(verifier().verify(toVerify(r, Buffer.from('{"DeliveryStreamName":"t"}'))));
    expect(e1.toBody()).toEqual({ __type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH });
    const tampered = toVerify(r);
    tampered.headers = { ...tampered.headers, 'x-amz-target': 'Firehose_20150804.DeleteDeliveryStream' };
    expect((await rejection(verifier().verify(tampered))).message).toBe(SIGNATURE_MISMATCH);
    const noHashHeader = await new SignatureV4({ credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, region: 'eu-west-1',
      service: 'firehose', sha256: Sha256, applyChecksum: false }).sign(baseRequest(), { signingDate: new Date(T0) }) as HttpRequest;
    expect(noHashHeader.headers['x-amz-content-sha256']).toBeUndefined();
    await expect(verifier().verify(toVerify(noHashHeader))).resolves.toMatchObject({ accessKeyId: KEY });
    expect((await rejection(verifier().verify(toVerify(noHashHeader, Buffer.from('{}'))))).message).toBe(SIGNATURE_MISMATCH);
    const wrong = await signedHeaderRequest({ secret: 'other' });
    expect((await rejection(verifier().verify(toVerify(wrong)))).status).toBe(400);
  });

  it('ignores unsigned headers added in transit', async () => {
    const r = toVerify(await signedHeaderRequest());
    r.headers = { ...r.headers, 'x-forwarded-for': '10.0.0.1', 'user-agent': 'changed' };
    await expect(verifier().verify(r)).resolves.toMatchObject({ accessKeyId: KEY });
  });

  it('honours X-Amz-Content-Sha256 when the client sends it', async () => {
    const r = await signedHeaderRequest({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(String(r.headers.authorization)).toContain('x-amz-content-sha256');
    await expect(verifier().verify(toVerify(r, Buffer.from('anything')))).resolves.toMatchObject({ service: 'firehose' });
  });

  it('answers missing authentication with 403 MissingAuthenticationTokenException', async () => {
    const err = await rejection(verifier().verify({ method: 'POST', path: '/', query: {}, headers: { host: 'x' }, body: BODY }));
    expect(err.status).toBe(403);
    expect(err.toBody()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('names every missing part of an incomplete Authorization header', async () => {
    const err = await rejection(verifier().verify({ method: 'POST', path: '/', query: {}, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=abc' }, body: BODY }));
    expect(err.type).toBe('IncompleteSignatureException');
    expect(err.status).toBe(400);
    expect(err.message).toBe("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=abc");
    const bearer = await rejection(verifier().verify({ method: 'POST', path: '/', query: {}, headers: { authorization: 'Bearer x', 'x-amz-date': '20240102T030405Z' }, body: BODY }));
    expect(bearer.message).toBe("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
      "Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer x");
  });

  it('rejects malformed credentials and dates', async () => {
    const base = { method: 'POST', path: '/', query: {}, body: BODY };
    const auth = (cred: string) => `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host, Signature=00`;
    expect((await rejection(verifier().verify({ ...base, headers: { authorization: auth('AKIDRAW/20240102/eu-west-1'), 'x-amz-date': '20240102T030405Z' } }))).message)
      .toBe("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDRAW/20240102/eu-west-1'");
    expect((await rejection(verifier().verify({ ...base, headers: { authorization: auth('AKIDRAW/20240102/eu-west-1/firehose/aws4_request'), 'x-amz-date': '2024-01-02' } }))).toBody())
      .toEqual({ __type: 'IncompleteSignatureException', message: "Date must be in ISO-8601 'basic format'. Got '2024-01-02'. See http://en.wikipedia.org/wiki/ISO_8601" });
    expect((await rejection(verifier().verify({ ...base, headers: { authorization: auth('AKIDRAW/20240101/eu-west-1/firehose/aws4_request'), 'x-amz-date': '20240102T030405Z' } }))).message)
      .toBe("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T030405Z'.");
  });

  it('answers an unknown access key with UnrecognizedClientException', async () => {
    const r = await signedHeaderRequest();
    const err = await rejection(createSigV4Verifier({ credentials: { OTHER: SECRET }, now: () => T0 }).verify(toVerify(r)));
    expect(err.toBody()).toEqual({ __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
  });

  it('rejects requests outside the clock-skew window in both directions', async () => {
    const r = await signedHeaderRequest();
    const late = await rejection(verifier({ now: () => T0 + 6 * 60_000 }).verify(toVerify(r)));
    expect(late.toBody()).toEqual({ __type: 'InvalidSignatureException',
      message: 'Signature expired: 20240102T030405Z is now earlier than 20240102T030505Z (20240102T031005Z - 5 min.)' });
    const early = await rejection(verifier({ now: () => T0 - 6 * 60_000 }).verify(toVerify(r)));
    expect(early.message).toBe('Signature not yet current: 20240102T030405Z is still later than 20240102T030305Z (20240102T025805Z + 5 min.)');
    await expect(verifier({ now: () => T0 + 4 * 60_000 }).verify(toVerify(r))).resolves.toBeTruthy();
  });

  it('restricts the signing service when asked', async () => {
    const r = await signer(SECRET, 'kinesis').sign(baseRequest(), { signingDate: new Date(T0) }) as HttpRequest;
    await expect(verifier().verify(toVerify(r))).resolves.toMatchObject({ service: 'kinesis' });
    const err = await rejection(verifier({ services: ['firehose'] }).verify(toVerify(r)));
    expect(err.message).toBe("Credential should be scoped to correct service: 'firehose'. ");
  });
});

describe('SigV4 presigned query style', () => {
  async function presigned(expiresIn = 300) {
    const r = await signer().presign(baseRequest(), { signingDate: new Date(T0), expiresIn });
    return r as HttpRequest;
  }

  it('verifies a presigned request passed as a record or as URLSearchParams', async () => {
    const r = await presigned();
    expect(r.query['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(r.headers.authorization).toBeUndefined();
    await expect(verifier().verify(toVerify(r))).resolves.toEqual({ accessKeyId: KEY, region: 'eu-west-1', service: 'firehose' });
    const params = new URLSearchParams(r.query as Record<string, string>);
    await expect(verifier().verify({ ...toVerify(r), query: params })).resolves.toMatchObject({ accessKeyId: KEY });
  });

  it('rejects a tampered query and an expired URL', async () => {
    const r = await presigned(60);
    const q = { ...(r.query as Record<string, string>), 'X-Amz-Expires': '600' };
    expect((await rejection(verifier().verify({ ...toVerify(r), query: q }))).message).toBe(SIGNATURE_MISMATCH);
    const expired = await rejection(verifier({ now: () => T0 + 120_000 }).verify(toVerify(r)));
    expect(expired.type).toBe('InvalidSignatureException');
    expect(expired.message).toMatch(/^Signature expired: 20240102T030405Z is now earlier than 20240102T030505Z/);
  });

  it('rejects header and query authentication together', async () => {
    const r = await presigned();
    const err = await rejection(verifier().verify({ ...toVerify(r), headers: { ...r.headers, authorization: 'AWS4-HMAC-SHA256 x' } }));
    expect(err.toBody()).toEqual({ __type: 'InvalidSignatureException',
      message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header." });
  });

  it('names every missing query parameter', async () => {
    const err = await rejection(verifier().verify({ method: 'POST', path: '/', query: { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Date': '20240102T030405Z' }, headers: {}, body: BODY }));
    expect(err.toBody()).toEqual({ __type: 'IncompleteSignatureException',
      message: "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters." });
  });
});
