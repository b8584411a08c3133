/**
 * Streaming reads through a Lambda function URL (IAM auth, response streaming): `GET /<name>`
 * decrypts `<protected prefix><name>` frame by frame into the response, so memory stays bounded.
 * `GET /<name>?offset=<n>&length=<m>` answers only that window of the plaintext, so objects larger
 * than one streamed response (200 MB) are read in parts. Every part is decrypted from the start of
 * the message (ESDK frames only authenticate in sequence), so a part costs reading up to its end.
 *
 * The status line is only sent once the message header checked out and the first frame was
 * authenticated, so a wrong context, unknown key or tampered header gets a clean error response.
 * A failure after that (a tampered or truncated later frame) cuts the response: the client sees a
 * broken transfer, never a clean end, and never an unauthenticated byte.
 */
import { pipeline, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { Codec } from './codec';
import { EnvelopeError, ErrorCode } from './errors';
import { httpStatusFor, logObjectOutcome, objectErrorResponse, s3Call } from './object-errors';
import { BucketLayout, CONTENT_TYPE_METADATA, objectContext, protectedKey } from './object-location';

/**
 * Lambda ends a streamed response at 200 MB (and streams beyond the first 6 MB at about 2 MB/s).
 * A whole object larger than that, or a window asking for more, gets a clean 413 up front instead
 * of a response cut at the limit. For whole objects the ciphertext size is compared: it is a little
 * larger than the plaintext, so the check errs on the safe side.
 */
export const MAX_STREAMED_RESPONSE_BYTES = 200_000_000;

/** A window of the plaintext: `length` bytes from `offset` (fewer at the end of the object). */
export interface ReadWindow {
  readonly offset: number;
  readonly length: number;
}

export interface ReadDeps {
  readonly s3: S3Client;
  readonly crypto: Codec;
  readonly layout: BucketLayout;
  /** @default MAX_STREAMED_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
}

export interface ResponseHead {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
}

/** Opens the response with its status and headers and returns the body stream. */
export type OpenResponse = (head: ResponseHead) => Writable;

/** Wraps a raw response stream with a status and headers (awslambda.HttpResponseStream.from). */
export type ToHttpStream = (stream: Writable, head: ResponseHead) => Writable;

/** Thrown when a read fails after the response was opened (the body stream was destroyed). */
export class ResponseCutError extends Error {
  constructor(public readonly cause: unknown) {
    super('the object failed to decrypt after the response started; the response was cut');
    this.name = 'ResponseCutError';
  }
}

/**
 * Decrypts the protected object `name` into the stream `open` returns. Errors before the response
 * is opened are thrown as they are (the caller answers with an error response); errors after it
 * destroy the body stream and throw a ResponseCutError.
 */
export async function streamProtectedObject(deps: ReadDeps, name: string, open: OpenResponse, window?: ReadWindow): Promise<void> {
  const key = protectedKey(deps.layout, name);
  const source = await s3Call('GetObject', () => deps.s3.send(new GetObjectCommand({ Bucket: deps.layout.bucket, Key: key })), name);
  const limit = deps.maxResponseBytes ?? MAX_STREAMED_RESPONSE_BYTES;
  const tooLarge = window ? window.length > limit : (source.ContentLength ?? 0) > limit;
  if (tooLarge) {
    (source.Body as NodeJS.ReadableStream & { destroy(): void }).destroy();
    throw new EnvelopeError(ErrorCode.PAYLOAD_TOO_LARGE, window
      ? `the window asks for more than the ${limit}-byte limit of a streamed Lambda response: ask for length=${limit} or less`
      : `the object is larger than the ${limit}-byte limit of a streamed Lambda response: read it in parts with ?offset=<n>&length=<at most ${limit}>`);
  }
  const plaintext = deps.crypto.decryptStream(objectContext(deps.layout.bucket, key));
  const ciphertext = source.Body as NodeJS.ReadableStream & { destroy(): void };
  pipeline(ciphertext, plaintext, () => undefined);

  const head: ResponseHead = {
    statusCode: 200,
    headers: {
      'content-type': source.Metadata?.[CONTENT_TYPE_METADATA] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...(window ? { 'x-envelope-offset': String(window.offset) } : {}),
    },
  };
  const start = window?.offset ?? 0;
  const end = window ? window.offset + window.length : Infinity;
  let position = 0;
  let body: Writable | undefined;
  try {
    for await (const chunk of plaintext as AsyncIterable<Buffer>) {
      const from = Math.max(start - position, 0);
      const to = Math.min(end - position, chunk.length);
      position += chunk.length;
      if (from < to) {
        body ??= open(head);
        if (!body.write(chunk.subarray(from, to))) await drained(body);
      }
      if (position >= end) break; // later frames are never sent, so they need not be authenticated
    }
    if (window && !body && start > 0 && position <= start) {
      throw new EnvelopeError(ErrorCode.RANGE_NOT_SATISFIABLE, `offset ${start} is at or past the end of the object (${position} bytes)`);
    }
    body ??= open(head);
    body.end();
    await finished(body);
  } catch (err) {
    if (!body) throw err;
    // Whoever listens learns the error; without a listener it must not crash the process.
    body.once('error', () => undefined);
    body.destroy(err as Error);
    throw new ResponseCutError(err);
  } finally {
    plaintext.destroy();
    ciphertext.destroy();
  }
}

/** Resolves on 'drain'; rejects if the stream closes first (the client went away). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      stream.off('drain', onDrain);
      reject(new Error('the response stream closed'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/** The object name of a function URL request: the URL path without its leading slash. */
export function objectNameOf(event: LambdaFunctionURLEvent): string {
  const method = event.requestContext?.http?.method;
  if (method !== 'GET') throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'only GET is supported');
  const path = event.rawPath ?? '/';
  try {
    return decodeURIComponent(path.replace(/^\//, ''));
  } catch {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'the path is not valid URL encoding');
  }
}

/** The window of a function URL request (`?offset=<n>&length=<m>`), or undefined for the whole object. */
export function readWindowOf(event: LambdaFunctionURLEvent): ReadWindow | undefined {
  const query = event.queryStringParameters ?? {};
  if (query.offset === undefined && query.length === undefined) return undefined;
  const whole = (name: string, value: string | undefined, min: number) => {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
      throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `${name} must be a whole number of bytes${min > 0 ? ' above 0' : ''}; give both offset and length`);
    }
    return Number(value);
  };
  return { offset: whole('offset', query.offset, 0), length: whole('length', query.length, 1) };
}

/**
 * The function URL handler over a response stream. `getDeps` is called inside the error handling,
 * so a misconfigured function answers with a clean error response. Rejects (ResponseCutError)
 * only when the response was cut after it started.
 */
export async function handleReadRequest(
  getDeps: () => ReadDeps,
  event: LambdaFunctionURLEvent,
  responseStream: Writable,
  toHttpStream: ToHttpStream,
): Promise<void> {
  const startedAt = performance.now();
  try {
    await streamProtectedObject(getDeps(), objectNameOf(event), (head) => toHttpStream(responseStream, head), readWindowOf(event));
    logObjectOutcome('read', startedAt);
  } catch (err) {
    logObjectOutcome('read', startedAt, err instanceof ResponseCutError ? err.cause : err);
    // Failing the invocation makes Lambda end the cut response with an error, not a clean end.
    if (err instanceof ResponseCutError) throw err;
    const response = objectErrorResponse(err);
    const body = toHttpStream(responseStream, {
      statusCode: httpStatusFor(response),
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
    body.end(JSON.stringify(response));
    await finished(body);
  }
}

/** A buffered function URL response, for runtimes without response streaming (local tools). */
export interface BufferedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: true;
}

/**
 * Runs handleReadRequest into memory. Only for local invocation: Lambda uses response streaming.
 * A response cut mid-way becomes a 502 error, never a partial body.
 */
export async function bufferedReadRequest(getDeps: () => ReadDeps, event: LambdaFunctionURLEvent): Promise<BufferedResponse> {
  const chunks: Buffer[] = [];
  let head: ResponseHead = { statusCode: 500, headers: {} };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  try {
    await handleReadRequest(getDeps, event, sink, (stream, responseHead) => {
      head = responseHead;
      return stream;
    });
  } catch (err) {
    if (!(err instanceof ResponseCutError)) throw err;
    const response = objectErrorResponse(err.cause);
    return { statusCode: 502, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(response)).toString('base64'), isBase64Encoded: true };
  }
  return { ...head, body: Buffer.concat(chunks).toString('base64'), isBase64Encoded: true };
}
