/**
 * Object-specific additions to the envelope error model: a missing object, and the HTTP status of
 * each error code for the function URL.
 */
import { ErrorCode, toErrorResponse } from './errors';
import { logger, logOutcome } from './log';

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
  return HTTP_STATUS[response.error.code] ?? 500;
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
