/**
 * AWS Signature Version 4 verification for XKS requests (service `kms-xks-proxy`), following
 * Appendix A of the XKS Proxy API specification: the signed-header list comes from the request,
 * the date must be within 5 minutes, and signatures are compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential } from './config';
import { XksError } from './errors';

export const XKS_SERVICE = 'kms-xks-proxy';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface SignedRequest {
  readonly method: string;
  /** The request target as received (path and optional query string). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Derived signing keys, reused across requests of the same day (the key only depends on secret, date and Region). */
const signingKeys = new Map<string, Buffer>();

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function signingKey(secret: string, date: string, region: string): Buffer {
  const cacheKey = `${date}/${region}/${secret}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), XKS_SERVICE), 'aws4_request');
    if (signingKeys.size >= 64) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

function fail(message: string): never {
  throw new XksError('AuthenticationFailedException', message);
}

/** RFC 3986 encoding as SigV4 wants it. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return [...new URLSearchParams(query)]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
}

function parseAmzDate(value: string): number {
  const m = AMZ_DATE.exec(value);
  if (!m) fail('X-Amz-Date must look like 20250101T000000Z');
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/**
 * Verifies the request's SigV4 signature against the key store's credentials (one or two, during
 * rotation). Returns the access key id that signed it; throws AuthenticationFailedException otherwise.
 */
export function verifySigV4(
  request: SignedRequest,
  credentials: readonly Credential[],
  region: string,
  now: number = Date.now(),
): string {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization) fail('missing Authorization header');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) fail(`Authorization header is not a ${ALGORITHM} signature`);
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = match;

  if (scopeService !== XKS_SERVICE) fail(`credential scope service must be ${XKS_SERVICE}`);
  if (scopeRegion !== region) fail('credential scope Region does not match this key store');
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) fail('SignedHeaders must include host and x-amz-date');

  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!amzDate) fail('missing X-Amz-Date header');
  if (Math.abs(now - parseAmzDate(amzDate)) > MAX_CLOCK_SKEW_MS) fail('X-Amz-Date is more than 5 minutes from the proxy clock');
  if (amzDate.slice(0, 8) !== scopeDate) fail('credential scope date does not match X-Amz-Date');

  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!credential) fail('unknown access key id');

  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== payloadHash && declaredHash !== 'UNSIGNED-PAYLOAD') fail('body does not match X-Amz-Content-Sha256');

  const canonicalHeaders = signedHeaders.map((name) => {
    const value = headerValue(request.headers, name);
    if (value === undefined) fail(`signed header ${name} is missing`);
    return `${name}:${value}\n`;
  }).join('');
  const queryStart = request.url.indexOf('?');
  const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
  const query = queryStart < 0 ? '' : request.url.slice(queryStart + 1);
  const canonicalRequest = [request.method, path, canonicalQuery(query), canonicalHeaders, signedHeaderList, payloadHash].join('\n');

  const scope = `${scopeDate}/${scopeRegion}/${XKS_SERVICE}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const expected = createHmac('sha256', signingKey(credential.secretAccessKey, scopeDate, scopeRegion)).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) fail('signature does not match');
  return accessKeyId;
}
