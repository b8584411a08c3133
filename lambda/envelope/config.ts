/**
 * Codec settings from the function's environment (set by the constructs), validated at cold start:
 * a bad value fails the first invocation with a MISCONFIGURED error naming the variable.
 *
 *   ENVELOPE_KEY_ARN                  required, the KMS key ARN
 *   ENVELOPE_ALGORITHM_SUITE          COMMIT_KEY (default) | COMMIT_KEY_ECDSA_P384
 *   ENVELOPE_FRAME_LENGTH             bytes, default 1048576
 *   ENVELOPE_CACHE_MAX_AGE_SECONDS    default 300; 0 turns the data-key cache off
 *   ENVELOPE_CACHE_MAX_MESSAGES       default 4096
 *   ENVELOPE_CACHE_MAX_BYTES          default 1073741824
 *   ENVELOPE_CACHE_CAPACITY           default 100
 *   ENVELOPE_KMS_MAX_ATTEMPTS         SDK attempts per KMS call (retries with backoff), default 5
 */
import { AlgorithmSuiteIdentifier } from '@aws-crypto/client-node';
import { KMSClient } from '@aws-sdk/client-kms';
import { BranchKeyOptions, CacheBounds, Codec, createCodec, DEFAULT_CACHE, DEFAULT_FRAME_LENGTH, DEFAULT_SUITE } from './codec';
import { EnvelopeError, ErrorCode } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export interface CodecConfig {
  readonly keyArn: string;
  readonly suiteId: AlgorithmSuiteIdentifier;
  readonly frameLength: number;
  readonly cache: CacheBounds | false;
  readonly kmsMaxAttempts: number;
}

/** A Map, so a configured name such as `toString` cannot find an inherited member. */
const SUITES: ReadonlyMap<string, AlgorithmSuiteIdentifier> = new Map([
  ['COMMIT_KEY', DEFAULT_SUITE],
  ['COMMIT_KEY_ECDSA_P384', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384],
]);

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/;

export function misconfigured(message: string): EnvelopeError {
  return new EnvelopeError(ErrorCode.MISCONFIGURED, message);
}

/** A required environment variable. */
export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw misconfigured(`Environment variable ${name} is required`);
  return value;
}

/** An optional integer variable within [min, max]. */
export function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw misconfigured(`Environment variable ${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function readCodecConfig(env: Env): CodecConfig {
  const keyArn = requireEnv(env, 'ENVELOPE_KEY_ARN');
  if (!KEY_ARN.test(keyArn)) throw misconfigured(`ENVELOPE_KEY_ARN must be a KMS key ARN, got '${keyArn}'`);
  const suiteName = env.ENVELOPE_ALGORITHM_SUITE ?? 'COMMIT_KEY';
  const suiteId = SUITES.get(suiteName);
  if (suiteId === undefined) throw misconfigured(`ENVELOPE_ALGORITHM_SUITE must be one of ${[...SUITES.keys()].join(', ')}, got '${suiteName}'`);
  const maxAgeSeconds = intEnv(env, 'ENVELOPE_CACHE_MAX_AGE_SECONDS', DEFAULT_CACHE.maxAgeSeconds, 0, 86_400);
  const cache: CacheBounds | false =
    maxAgeSeconds === 0
      ? false
      : {
        maxAgeSeconds,
        maxMessages: intEnv(env, 'ENVELOPE_CACHE_MAX_MESSAGES', DEFAULT_CACHE.maxMessages, 1, 2 ** 32),
        maxBytes: intEnv(env, 'ENVELOPE_CACHE_MAX_BYTES', DEFAULT_CACHE.maxBytes, 1, 2 ** 50),
        capacity: intEnv(env, 'ENVELOPE_CACHE_CAPACITY', DEFAULT_CACHE.capacity, 1, 100_000),
      };
  return {
    keyArn,
    suiteId,
    cache,
    frameLength: intEnv(env, 'ENVELOPE_FRAME_LENGTH', DEFAULT_FRAME_LENGTH, 1024, 2 ** 30),
    kmsMaxAttempts: intEnv(env, 'ENVELOPE_KMS_MAX_ATTEMPTS', 5, 1, 10),
  };
}

/**
 * The codec for this function: the KMS client takes Region and endpoint from the environment.
 * With `branchKeys` the codec uses the hierarchical keyring (see branch-key-config.ts).
 */
export function codecFromConfig(
  config: CodecConfig,
  kms = new KMSClient({ maxAttempts: config.kmsMaxAttempts }),
  branchKeys?: BranchKeyOptions,
): Codec {
  return createCodec({ keyArn: config.keyArn, kms, suiteId: config.suiteId, frameLength: config.frameLength, cache: config.cache, branchKeys });
}
