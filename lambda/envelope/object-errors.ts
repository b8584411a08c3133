/**
 * Object-specific additions to the envelope error model: a missing object, and the HTTP status of
 * each error code for the function URL.
 */
import { during, EnvelopeError, ErrorCode, errorName, toErrorResponse } from './errors';
import { logger, logOutcome } from './log';
import { ownValue } from './own';

/** Error code of a get for an object that does not exist. */
export const NOT_FOUND = 'NotFound';

export class ObjectNotFoundError extends Error {
  constructor(public readonly key: string) {
    super(`no protected object named ${JSON.stringify(key)}`);
    this.name = 'ObjectNotFoundError';
  }
}

export interface ObjectErrorResponse {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
}

export function objectErrorResponse(err: unknown): ObjectErrorResponse {
  if (err instanceof ObjectNotFoundError) return { ok: false, error: { code: NOT_FOUND, message: err.message, retryable: false } };
  return toErrorResponse(err);
}

const HTTP_STATUS: Record<string, number> = {
  [NOT_FOUND]: 404,
  [ErrorCode.INVALID_REQUEST]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.RANGE_NOT_SATISFIABLE]: 416,
  [ErrorCode.CONTEXT_MISMATCH]: 422,
  [ErrorCode.INTEGRITY_CHECK_FAILED]: 422,
  [ErrorCode.ACCESS_DENIED]: 403,
  [ErrorCode.KMS_THROTTLED]: 503,
  [ErrorCode.KEY_DISABLED]: 503,
};

/** The HTTP status for an error response (500 for anything server-side or unexpected). */
export function httpStatusFor(response: ObjectErrorResponse): number {
  return (ownValue(HTTP_STATUS, response.error.code) as number | undefined) ?? 500;
}

/** S3 error names (SDK error `name`) the handlers understand, and what each means for the caller. */
const S3_ERRORS: Record<string, [ErrorCode, string]> = {
  AccessDenied: [ErrorCode.ACCESS_DENIED, 'S3 denied the request'],
  NoSuchBucket: [ErrorCode.MISCONFIGURED, 'The bucket does not exist'],
  KeyTooLongError: [ErrorCode.INVALID_REQUEST, 'The object key is longer than S3 allows'],
};

/**
 * Runs one S3 call (`operation`, e.g. 'PutObject'). With `objectName`, S3's "no such key" becomes
 * ObjectNotFoundError; known S3 errors become typed errors; anything else an Internal error naming
 * the call (see `during`).
 */
export function s3Call<T>(operation: string, send: () => Promise<T>, objectName?: string): Promise<T> {
  return during(`S3 ${operation}`, send, (err) => {
    if (objectName !== undefined && isNoSuchKey(err)) return new ObjectNotFoundError(objectName);
    const mapped = ownValue(S3_ERRORS, errorName(err)) as [ErrorCode, string] | undefined;
    return mapped && new EnvelopeError(mapped[0], mapped[1], { cause: err });
  });
}

/** True for S3's "no such key" answer to GetObject / HeadObject. */
export function isNoSuchKey(err: unknown): boolean {
  const name = err && typeof err === 'object' && 'name' in err ? err.name : undefined;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** logOutcome, with a missing object logged as the caller's mistake it is (not an internal error). */
export function logObjectOutcome(operation: string, startedAt: number, err?: unknown): void {
  if (err instanceof ObjectNotFoundError) {
    logger.warn('operation failed', { operation, durationMs: Math.round(performance.now() - startedAt), code: NOT_FOUND });
  } else {
    logOutcome(operation, startedAt, err);
  }
}
