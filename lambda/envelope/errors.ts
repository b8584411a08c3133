/**
 * The typed error model of the envelope handlers. Every failure a caller can see is an
 * `EnvelopeError` with a stable `code`; anything else becomes `Internal` with a generic message,
 * so no payload, key material or stack trace ever reaches a response.
 */
import { ownValue } from './own';

/** Stable error codes returned to callers (the `error.code` of an error response). */
export const ErrorCode = {
  /** The request is malformed (missing field, wrong type, unknown operation). */
  INVALID_REQUEST: 'InvalidRequest',
  /** The request or response would exceed the Lambda invoke payload limit. */
  PAYLOAD_TOO_LARGE: 'PayloadTooLarge',
  /** A read window starts at or past the end of the object. */
  RANGE_NOT_SATISFIABLE: 'RangeNotSatisfiable',
  /** The ciphertext was made for another place (item, object) or the context is wrong or missing. */
  CONTEXT_MISMATCH: 'ContextMismatch',
  /** The ciphertext or a signed value was modified, truncated or is not an ESDK message. */
  INTEGRITY_CHECK_FAILED: 'IntegrityCheckFailed',
  /** The KMS key does not exist (or the caller cannot see it). */
  KEY_NOT_FOUND: 'KeyNotFound',
  /** The KMS key is disabled or pending deletion. */
  KEY_DISABLED: 'KeyDisabled',
  /** KMS refused the call (key policy, IAM, or encryption-context conditions). */
  ACCESS_DENIED: 'AccessDenied',
  /** KMS kept throttling after the SDK's retries with backoff. Retry later. */
  KMS_THROTTLED: 'KmsThrottled',
  /** DynamoDB kept throttling after the SDK's retries. Retry later. */
  TABLE_THROTTLED: 'TableThrottled',
  /** A conditional write failed (the item exists, or the condition did not hold). */
  CONDITIONAL_CHECK_FAILED: 'ConditionalCheckFailed',
  /** The function's configuration (environment) is invalid. */
  MISCONFIGURED: 'Misconfigured',
  /** An unexpected failure; details are in the function's logs only. */
  INTERNAL: 'Internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([ErrorCode.KMS_THROTTLED, ErrorCode.TABLE_THROTTLED, ErrorCode.INTERNAL]);

/** An expected failure with a stable code and a message safe to return to the caller. */
export class EnvelopeError extends Error {
  public readonly code: ErrorCode;
  public readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvelopeError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}

/** The JSON body of every failed operation. */
export interface ErrorResponse {
  readonly ok: false;
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly retryable: boolean };
}

/** KMS exception names (SDK error `name`) and the code each maps to. */
const KMS_ERRORS: Record<string, ErrorCode> = {
  NotFoundException: ErrorCode.KEY_NOT_FOUND,
  DisabledException: ErrorCode.KEY_DISABLED,
  KMSInvalidStateException: ErrorCode.KEY_DISABLED,
  KeyUnavailableException: ErrorCode.KEY_DISABLED,
  AccessDeniedException: ErrorCode.ACCESS_DENIED,
  ThrottlingException: ErrorCode.KMS_THROTTLED,
  LimitExceededException: ErrorCode.KMS_THROTTLED,
  InvalidCiphertextException: ErrorCode.CONTEXT_MISMATCH,
  IncorrectKeyException: ErrorCode.CONTEXT_MISMATCH,
  InvalidKeyUsageException: ErrorCode.MISCONFIGURED,
};

/** True for the name of a KMS exception this module maps. */
export function isKmsErrorName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(KMS_ERRORS, name);
}

/**
 * Turns an AWS SDK KMS error into an EnvelopeError. KMS answers InvalidCiphertextException when the
 * encryption context differs from the one the data key was made with, hence CONTEXT_MISMATCH.
 */
export function fromKmsError(operation: string, err: unknown): EnvelopeError {
  if (err instanceof EnvelopeError) return err;
  const name = errorName(err);
  // Own members only: an error named `toString` must not find Object.prototype's.
  const code = (ownValue(KMS_ERRORS, name) as ErrorCode | undefined) ?? ErrorCode.INTERNAL;
  return new EnvelopeError(code, `KMS ${operation} failed: ${name}`, { cause: err });
}

/**
 * Runs one call to a dependency, named by `what` (e.g. 'DynamoDB PutItem'). `known` maps the
 * failures it understands (a missing object, a throttle) to typed errors; any other failure becomes
 * an Internal error whose message names the call and the error class, never the error's own
 * message (which may quote data), so the log line says what failed.
 */
export async function during<T>(what: string, run: () => Promise<T>, known?: (err: unknown) => Error | undefined): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof EnvelopeError) throw err;
    throw known?.(err) ?? new EnvelopeError(ErrorCode.INTERNAL, `${what} failed (${errorName(err)})`, { cause: err });
  }
}

/** The error response for any thrown value; unknown errors become a generic Internal error. */
export function toErrorResponse(err: unknown): ErrorResponse {
  const e = err instanceof EnvelopeError ? err : new EnvelopeError(ErrorCode.INTERNAL, 'Internal error; see the function logs');
  return { ok: false, error: { code: e.code, message: e.message, retryable: e.retryable } };
}

/** The error's class name only: safe to log (never the message, which may quote data). */
export function errorName(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && typeof err.name === 'string') return err.name;
  return typeof err;
}
