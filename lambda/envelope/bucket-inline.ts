/**
 * Inline object operations through Lambda invoke (JSON in, JSON out), for objects up to 4 MiB:
 *
 *   { "operation": "put", "key": "reports/q1.pdf", "data": "<base64>", "contentType"?: "..." }
 *     -> { "ok": true, "key": "...", "versionId"?: "..." }
 *   { "operation": "get", "key": "reports/q1.pdf" }
 *     -> { "ok": true, "key": "...", "data": "<base64>", "contentType": "..." }
 *
 * Failures answer { "ok": false, "error": { code, message, retryable } }. Larger objects go
 * through the intake prefix and the function URL.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Codec } from './codec';
import { EnvelopeError, ErrorCode } from './errors';
import { logObjectOutcome, objectErrorResponse, ObjectErrorResponse, s3Call } from './object-errors';
import { BucketLayout, CONTENT_TYPE_METADATA, INLINE_MAX_BYTES, objectContext, protectedKey } from './object-location';

export interface InlineDeps {
  readonly s3: S3Client;
  readonly crypto: Codec;
  readonly layout: BucketLayout;
}

export type InlineResponse =
  | { readonly ok: true; readonly key: string; readonly versionId?: string }
  | { readonly ok: true; readonly key: string; readonly data: string; readonly contentType: string }
  | ObjectErrorResponse;

/** Room for the ESDK header and per-frame overhead of a message holding INLINE_MAX_BYTES. */
const MESSAGE_OVERHEAD_ALLOWANCE = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CONTENT_TYPE = /^[\x20-\x7e]{1,255}$/;

export async function handleInlineRequest(deps: InlineDeps, request: unknown): Promise<InlineResponse> {
  const startedAt = performance.now();
  const operation = isRecord(request) && typeof request.operation === 'string' ? request.operation : 'unknown';
  try {
    if (!isRecord(request)) throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'the request must be a JSON object');
    const response = operation === 'put' ? await putObject(deps, request)
      : operation === 'get' ? await getObject(deps, request)
        : invalidOperation();
    logObjectOutcome(operation, startedAt);
    return response;
  } catch (err) {
    logObjectOutcome(operation, startedAt, err);
    return objectErrorResponse(err);
  }
}

async function putObject(deps: InlineDeps, request: Record<string, unknown>): Promise<InlineResponse> {
  const key = protectedKey(deps.layout, request.key);
  const plaintext = decodeData(request.data);
  const contentType = contentTypeOf(request.contentType);

  const ciphertext = await deps.crypto.encrypt(plaintext, objectContext(deps.layout.bucket, key));
  const result = await s3Call('PutObject', () => deps.s3.send(new PutObjectCommand({
    Bucket: deps.layout.bucket,
    Key: key,
    Body: ciphertext,
    ContentType: 'application/octet-stream',
    Metadata: { [CONTENT_TYPE_METADATA]: contentType },
  })));
  return { ok: true, key: request.key as string, versionId: result.VersionId };
}

async function getObject(deps: InlineDeps, request: Record<string, unknown>): Promise<InlineResponse> {
  const key = protectedKey(deps.layout, request.key);
  const source = await s3Call('GetObject', () => deps.s3.send(new GetObjectCommand({ Bucket: deps.layout.bucket, Key: key })), request.key as string);
  if ((source.ContentLength ?? 0) > INLINE_MAX_BYTES + MESSAGE_OVERHEAD_ALLOWANCE) {
    (source.Body as Readable).destroy();
    throw tooLarge('the object');
  }
  const ciphertext = await source.Body!.transformToByteArray();
  const plaintext = await deps.crypto.decrypt(ciphertext, objectContext(deps.layout.bucket, key));
  if (plaintext.byteLength > INLINE_MAX_BYTES) throw tooLarge('the object');
  return {
    ok: true,
    key: request.key as string,
    data: Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).toString('base64'),
    contentType: source.Metadata?.[CONTENT_TYPE_METADATA] ?? 'application/octet-stream',
  };
}

/**
 * The content type kept in the object's metadata (an HTTP header to S3): 1 to 255 printable ASCII
 * characters, so no line break, control character or non-ASCII text reaches a header.
 */
function contentTypeOf(value: unknown): string {
  if (value === undefined) return 'application/octet-stream';
  if (typeof value !== 'string' || !CONTENT_TYPE.test(value)) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'contentType must be 1 to 255 printable ASCII characters');
  }
  return value;
}

function decodeData(data: unknown): Buffer {
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'data must be a base64 string');
  }
  if ((data.length / 4) * 3 > INLINE_MAX_BYTES + 2) throw tooLarge('data');
  const plaintext = Buffer.from(data, 'base64');
  if (plaintext.length > INLINE_MAX_BYTES) throw tooLarge('data');
  return plaintext;
}

function tooLarge(what: string): EnvelopeError {
  return new EnvelopeError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `${what} is over the ${INLINE_MAX_BYTES}-byte inline limit; write it to the intake prefix and read it through the function URL`,
  );
}

function invalidOperation(): never {
  throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'operation must be "put" or "get"');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
