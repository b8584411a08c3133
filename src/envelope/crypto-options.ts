import { Duration, Size } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The ESDK algorithm suite of new ciphertexts. */
export enum EnvelopeAlgorithmSuite {
  /**
   * AES-256-GCM with HKDF-SHA512 key derivation and key commitment, no ECDSA signature: fast, and
   * any holder of the data key (only the crypto function) could forge a message.
   */
  COMMITTING = 'COMMIT_KEY',
  /**
   * The same plus an ECDSA P-384 signature per message: a reader with decrypt-only rights cannot
   * forge messages, at a cost of milliseconds per message; streaming reads must buffer to verify.
   */
  COMMITTING_SIGNED = 'COMMIT_KEY_ECDSA_P384',
}

/**
 * Bounds of the crypto function's data-key cache. A data key is reused for many messages until
 * one bound is reached: fewer KMS calls (cost, latency, throttling) against a wider blast radius
 * per data key and up to `maxAge` before a disabled key stops encryption.
 */
export interface EnvelopeCacheOptions {
  /**
   * Whether data keys are cached at all (off: one KMS call per message).
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * How long a data key stays usable.
   * @default Duration.minutes(5)
   */
  readonly maxAge?: Duration;

  /**
   * Messages encrypted under one data key.
   * @default 4096
   */
  readonly maxMessagesPerDataKey?: number;

  /**
   * Plaintext encrypted under one data key.
   * @default Size.gibibytes(1)
   */
  readonly maxBytesPerDataKey?: Size;

  /**
   * Data keys held in memory (encryption and decryption entries together).
   * @default 100
   */
  readonly capacity?: number;
}

/** Settings of the envelope crypto function shared by the envelope constructs. */
export interface EnvelopeCryptoOptions {
  /**
   * The ESDK algorithm suite.
   * @default EnvelopeAlgorithmSuite.COMMITTING
   */
  readonly algorithmSuite?: EnvelopeAlgorithmSuite;

  /**
   * The data-key cache.
   * @default - enabled, 5 minutes, 4096 messages, 1 GiB per data key, 100 entries
   */
  readonly cache?: EnvelopeCacheOptions;

  /**
   * Memory of the crypto function.
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Timeout of the crypto function.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the crypto function's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}
