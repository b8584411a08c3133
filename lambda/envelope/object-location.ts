/**
 * Where protected objects live and the encryption context that binds each ciphertext to its place:
 * the bucket name and the key of the protected object. A ciphertext copied to another key or bucket
 * fails to decrypt.
 */
import { Env, requireEnv } from './config';
import { EnvelopeError, ErrorCode } from './errors';
import { isWellFormed } from './item-validation';

/** S3's limit on the UTF-8 length of an object key. */
export const MAX_S3_KEY_BYTES = 1024;
/** C0 control characters and DEL: XML 1.0 (S3's listings) cannot carry most of them, NUL included. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

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
 * The name also goes into the KMS encryption context, so it must be something S3 and KMS carry
 * exactly. Each rule covers a class of names: not a non-empty string; not well-formed Unicode (a
 * lone surrogate would become U+FFFD in UTF-8, a different key); control characters (NUL, line
 * breaks, ...); longer than S3's 1024 UTF-8 bytes together with the prefix; absolute, with `.` /
 * `..` segments that climb out, or with empty segments (`a//b`, a trailing `/`), which file-system
 * backed tools and S3 consoles fold into other names. Each is an InvalidRequest naming the rule, never a server error.
 */
export function protectedKey(layout: BucketLayout, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidKey('key must be a non-empty string');
  if (!isWellFormed(name)) throw invalidKey('key must be well-formed Unicode (it holds a lone surrogate)');
  if (CONTROL_CHARACTER.test(name)) throw invalidKey('key must not contain control characters (U+0000 to U+001F, U+007F)');
  const maxBytes = MAX_S3_KEY_BYTES - Buffer.byteLength(layout.protectedPrefix);
  if (Buffer.byteLength(name) > maxBytes) throw invalidKey(`key must be at most ${maxBytes} bytes of UTF-8 (S3 allows ${MAX_S3_KEY_BYTES} with the prefix)`);
  if (name.split('/').some((segment) => segment === '' || segment === '..' || segment === '.')) {
    throw invalidKey('key must be relative, with no empty, "." or ".." segments (no leading, trailing or double "/")');
  }
  return layout.protectedPrefix + name;
}

function invalidKey(message: string): EnvelopeError {
  return new EnvelopeError(ErrorCode.INVALID_REQUEST, message);
}

/** The protected key an intake object is encrypted to: same name, protected prefix. */
export function protectedKeyForIntake(layout: BucketLayout, intakeKey: string): string {
  if (!intakeKey.startsWith(layout.intakePrefix) || intakeKey.length === layout.intakePrefix.length) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `object is not under the intake prefix ${layout.intakePrefix}`);
  }
  return protectedKey(layout, intakeKey.slice(layout.intakePrefix.length));
}
