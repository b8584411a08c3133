/**
 * Where protected objects live and the encryption context that binds each ciphertext to its place:
 * the bucket name and the key of the protected object. A ciphertext copied to another key or bucket
 * fails to decrypt.
 */
import { Env, requireEnv } from './config';
import { EnvelopeError, ErrorCode } from './errors';

/** Encryption-context keys of an object (the key policy pins both; keep in sync with src/envelope). */
export const OBJECT_CONTEXT_KEYS = { bucket: 'bucket', objectKey: 'object-key' } as const;

/** Plaintext size limit of the inline put/get operations (invoke payloads are at most 6 MB). */
export const INLINE_MAX_BYTES = 4 * 1024 * 1024;

/** Metadata key (x-amz-meta-*) of a protected object that carries the plaintext's content type. */
export const CONTENT_TYPE_METADATA = 'plaintext-content-type';

export interface BucketLayout {
  readonly bucket: string;
  /** Prefix that plaintext uploads land under, e.g. `intake/`. */
  readonly intakePrefix: string;
  /** Prefix that ciphertexts are written under, e.g. `protected/`. */
  readonly protectedPrefix: string;
}

export function objectContext(bucket: string, key: string): Record<string, string> {
  return { [OBJECT_CONTEXT_KEYS.bucket]: bucket, [OBJECT_CONTEXT_KEYS.objectKey]: key };
}

/** Reads the layout from the function's environment (set by EnvelopeEncryptedBucket). */
export function layoutFromEnv(env: Env): BucketLayout {
  return { bucket: requireEnv(env, 'BUCKET_NAME'), intakePrefix: requireEnv(env, 'INTAKE_PREFIX'), protectedPrefix: requireEnv(env, 'PROTECTED_PREFIX') };
}

/**
 * The S3 key of the protected object for a caller's object name (relative to the protected prefix).
 * Rejects names that are empty, absolute or that climb out with `..` segments.
 */
export function protectedKey(layout: BucketLayout, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 900) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'key must be a non-empty string of at most 900 characters');
  }
  if (name.startsWith('/') || name.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'key must be relative and contain no "." or ".." segments');
  }
  return layout.protectedPrefix + name;
}

/** The protected key an intake object is encrypted to: same name, protected prefix. */
export function protectedKeyForIntake(layout: BucketLayout, intakeKey: string): string {
  if (!intakeKey.startsWith(layout.intakePrefix) || intakeKey.length === layout.intakePrefix.length) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `object is not under the intake prefix ${layout.intakePrefix}`);
  }
  return protectedKey(layout, intakeKey.slice(layout.intakePrefix.length));
}
