/**
 * The structured logger of the envelope handlers (Powertools for AWS Lambda). Log records carry
 * the request id, operation and outcome only: never payloads, attribute values, object bodies,
 * encryption-context values or key material. Level: POWERTOOLS_LOG_LEVEL (default INFO).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EnvelopeError, errorName } from './errors';

export const logger = new Logger({ serviceName: 'cdk-kms-patterns-envelope' });

/** The first stack frame (file and line, no data): where an unexpected error was thrown. */
function thrownAt(err: unknown): string | undefined {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  return stack.split('\n').find((line) => line.trimStart().startsWith('at '))?.trim();
}

/**
 * Logs the outcome of one operation: its name, duration and, on failure, the error code and class.
 * An Internal failure also says what failed: our own message for errors raised around a call
 * (`during`: the call and the error class, never data), or the throwing stack frame otherwise.
 */
export function logOutcome(operation: string, startedAt: number, err?: unknown): void {
  const durationMs = Math.round(performance.now() - startedAt);
  if (err === undefined) {
    logger.info('operation succeeded', { operation, durationMs });
    return;
  }
  const code = err instanceof EnvelopeError ? err.code : 'Internal';
  const cause = err instanceof EnvelopeError && err.cause !== undefined ? errorName(err.cause) : errorName(err);
  if (code === 'Internal') {
    const failed = err instanceof EnvelopeError ? { reason: err.message } : { thrownAt: thrownAt(err) };
    logger.error('operation failed', { operation, durationMs, code, errorClass: cause, ...failed });
  } else {
    logger.warn('operation failed', { operation, durationMs, code, errorClass: cause });
  }
}
