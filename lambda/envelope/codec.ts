/**
 * Envelope codec: the only module that talks to the AWS Encryption SDK (ESDK). Every ciphertext is
 * a standard ESDK message (any ESDK implementation or the ESDK CLI can decrypt it with the key).
 *
 * API (shared by the table and bucket handlers):
 *
 *   const codec = createCodec({ keyArn, kms: new KMSClient(...) });          // or codecFromEnv()
 *   const ct = await codec.encrypt(plaintext, context);                      // Buffer (ESDK message)
 *   const pt = await codec.decrypt(ct, expectedContext);                     // Buffer; EnvelopeError on failure
 *   pipeline(source, codec.encryptStream(context), sink)                     // see EncryptStreamOptions
 *   pipeline(source, codec.decryptStream(expectedContext), sink)              // errors are EnvelopeErrors
 *
 * `context` is the ESDK encryption context: it is sent to KMS (the key policy pins its keys), stored
 * in the message header and authenticated. `decrypt` requires the header's context to equal
 * `expectedContext` exactly, so a message made for another place fails with CONTEXT_MISMATCH.
 * Because the data-key cache is keyed by the context, keep the context stable across many messages
 * (e.g. table or bucket name) for cache hits; per-message context values cost one KMS call each.
 *
 * Streaming decryption releases each frame only after its authentication tag is checked, but a
 * stream fails at the first bad frame after earlier frames were released: consumers that must never
 * expose partial plaintext (S3 writes) write to a temporary place and commit only on success.
 *
 * Defaults (each overridable through CodecOptions, see config.ts for the environment variables):
 * - suite ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY: key-committing, no ECDSA signature (the
 *   signing suite costs milliseconds per message and cannot stream-decrypt without buffering).
 *   Trade-off: any holder of the data key could forge a message; only the crypto role holds it.
 * - a data-key cache (caching materials manager): 5 min max age, 4096 messages and 1 GiB per data
 *   key, 100 entries. Trade-off: fewer KMS calls (and costs, and throttling) against a wider blast
 *   radius per data key and a revocation delay of up to the max age.
 * - frame length 1 MiB: large frames amortise the per-frame cipher setup (fast large objects)
 *   while bounding streaming memory to a few MiB.
 */
import { Duplex } from 'node:stream';
import {
  AlgorithmSuiteIdentifier,
  AwsKmsMrkAwareSymmetricKeyringNode,
  BranchKeyStoreNode,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  KmsHierarchicalKeyRingNode,
  MessageHeader,
  MultiKeyringNode,
  NodeAlgorithmSuite,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import {
  DecryptCommand,
  DecryptCommandInput,
  EncryptCommand,
  EncryptCommandInput,
  GenerateDataKeyCommand,
  GenerateDataKeyCommandInput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { EnvelopeError, ErrorCode, errorName, fromKmsError, isKmsErrorName } from './errors';

/** String-to-string encryption context (ESDK and KMS). */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Bounds of the data-key cache. */
export interface CacheBounds {
  /** Seconds a data key stays usable. */
  readonly maxAgeSeconds: number;
  /** Messages encrypted under one data key. */
  readonly maxMessages: number;
  /** Plaintext bytes encrypted under one data key. */
  readonly maxBytes: number;
  /** Data keys held (encrypt and decrypt entries together). */
  readonly capacity: number;
}

export const DEFAULT_CACHE: CacheBounds = {
  maxAgeSeconds: 300,
  maxMessages: 4096,
  maxBytes: 1024 * 1024 * 1024,
  capacity: 100,
};

export const DEFAULT_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
export const DEFAULT_FRAME_LENGTH = 1024 * 1024;
/**
 * Streamed input is handed to the ESDK in pieces of at least this size. The ESDK's streams cost a
 * fixed amount per chunk (several stream hops and a setImmediate each), and an S3 GetObject body
 * arrives in TLS-record chunks of 16 KiB: gathering them costs one copy and cut the ESDK's CPU time
 * for a 16 MiB object by a fifth to a quarter (README, Performance). Much larger pieces are slower
 * again (fresh, page-faulting allocations for each cipher output).
 */
export const ESDK_INPUT_BATCH_BYTES = 128 * 1024;

export interface CodecOptions {
  /** ARN of the KMS key (a multi-Region key ARN decrypts messages made by its replicas too). */
  readonly keyArn: string;
  /** The KMS client (region, endpoint, retries). */
  readonly kms: KMSClient;
  /** Algorithm suite for new messages. @default DEFAULT_SUITE */
  readonly suiteId?: AlgorithmSuiteIdentifier;
  /** Frame length of new messages, in bytes. @default DEFAULT_FRAME_LENGTH */
  readonly frameLength?: number;
  /** Data-key cache bounds; `false` calls KMS for every message. @default DEFAULT_CACHE */
  readonly cache?: CacheBounds | false;
  /**
   * Use the AWS Encryption SDK's hierarchical keyring instead of a KMS keyring: every message gets
   * its own data key, derived locally from a branch key (wrapped by the store's KMS key in a DynamoDB branch
   * key store), so per-message context costs no KMS call; KMS is called once per branch key version
   * per `cacheTtlSeconds`. `cache` is then unused (there is no data key to share).
   * @default - a KMS keyring with the data-key cache
   */
  readonly branchKeys?: BranchKeyOptions;
}

/** A branch key cache for the hierarchical keyring (the ESDK's CryptographicMaterialsCache). */
export type BranchKeyCache = ReturnType<typeof getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>>;

/** Hierarchical keyring settings (see CodecOptions.branchKeys). */
export interface BranchKeyOptions {
  /** The branch key store (with its own KMS key; `keyArn` is then only for decryptKmsMessages). */
  readonly keyStore: BranchKeyStoreNode;
  /** Seconds a branch key stays cached after it was read (and unwrapped by KMS). */
  readonly cacheTtlSeconds: number;
  /** Branch key versions held. @default 1000 */
  readonly maxCacheSize?: number;
  /** The keyring's branch key cache (replaces `maxCacheSize`). @default - a local cache */
  readonly cache?: BranchKeyCache;
  /**
   * Also decrypt messages made with the KMS keyring under the codec's `keyArn` (objects written
   * before branch keys were turned on). New messages always use branch keys.
   * @default false
   */
  readonly decryptKmsMessages?: boolean;
  /** The branch key of a message, from its encryption context (e.g. the tenant's). */
  branchKeyIdFor(context: EncryptionContext): string;
}

export interface EncryptStreamOptions {
  /**
   * The plaintext size, which the cache needs to be used (it counts bytes). Give it only when the
   * whole plaintext arrives as one chunk: encrypt-node 5.0.2 counts part of a chunk twice when the
   * chunk spans a frame boundary and then fails with "Encrypted data exceeded plaintextLength".
   */
  readonly plaintextLength?: number;
}

export interface DecryptOptions {
  /**
   * The context a message made with the KMS keyring (not from a branch key) must carry instead of
   * `expectedContext`: a table's items written before branch keys carry the table-wide context.
   * @default - every message must carry `expectedContext`
   */
  readonly kmsMessageContext?: EncryptionContext;
}

export interface Codec {
  encrypt(plaintext: Uint8Array, context: EncryptionContext): Promise<Buffer>;
  decrypt(ciphertext: Uint8Array, expectedContext: EncryptionContext, options?: DecryptOptions): Promise<Buffer>;
  encryptStream(context: EncryptionContext, options?: EncryptStreamOptions): Duplex;
  decryptStream(expectedContext: EncryptionContext): Duplex;
}

/** Collects the KMS failure of one operation, so it can be reported with its own code. */
interface KmsFailure {
  error?: EnvelopeError;
}

/** The ESDK-compatible KMS interface over the modular SDK v3 client (smaller bundle than `KMS`). */
function esdkKms(kms: KMSClient, failure: KmsFailure) {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      failure.error = fromKmsError(operation, err);
      throw failure.error;
    }
  };
  return {
    generateDataKey: (input: GenerateDataKeyCommandInput) =>
      call('GenerateDataKey', () => kms.send(new GenerateDataKeyCommand(input))),
    encrypt: (input: EncryptCommandInput) => call('Encrypt', () => kms.send(new EncryptCommand(input))),
    decrypt: (input: DecryptCommandInput) => call('Decrypt', () => kms.send(new DecryptCommand(input))),
  };
}

/** Header context keys the ESDK itself may add (signing suites). */
const ESDK_RESERVED_PREFIX = 'aws-crypto-';

export function createCodec(options: CodecOptions): Codec {
  const { keyArn, kms } = options;
  const suiteId = options.suiteId ?? DEFAULT_SUITE;
  const frameLength = options.frameLength ?? DEFAULT_FRAME_LENGTH;
  const bounds = options.cache === undefined ? DEFAULT_CACHE : options.cache;
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const cache = bounds ? getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>(bounds.capacity) : undefined;
  // One partition for all managers of this codec: they share the cache entries.
  const partition = `envelope:${keyArn}`;

  // One hierarchical keyring for the codec's life: it holds the branch key cache.
  const hierarchical = options.branchKeys && new KmsHierarchicalKeyRingNode({
    keyStore: options.branchKeys.keyStore,
    branchKeyIdSupplier: { getBranchKeyId: (context) => options.branchKeys!.branchKeyIdFor(context) },
    cacheLimitTtl: options.branchKeys.cacheTtlSeconds,
    ...(options.branchKeys.cache ? { cache: options.branchKeys.cache } : { maxCacheSize: options.branchKeys.maxCacheSize ?? 1000 }),
  });

  // A fresh keyring per operation (cheap) lets each operation see its own KMS failure.
  function materials(failure: KmsFailure, forDecrypt = false) {
    if (hierarchical && forDecrypt && options.branchKeys!.decryptKmsMessages) {
      // Each keyring skips the data keys of the other provider (aws-kms-hierarchy / aws-kms).
      const legacy = new AwsKmsMrkAwareSymmetricKeyringNode({ keyId: keyArn, client: esdkKms(kms, failure) });
      return new MultiKeyringNode({ children: [hierarchical, legacy] });
    }
    if (hierarchical) return hierarchical;
    const keyring = new AwsKmsMrkAwareSymmetricKeyringNode({ keyId: keyArn, client: esdkKms(kms, failure) });
    if (!bounds || !cache) return keyring;
    return new NodeCachingMaterialsManager({
      cache,
      partition,
      backingMaterials: keyring,
      maxAge: bounds.maxAgeSeconds * 1000,
      maxMessagesEncrypted: bounds.maxMessages,
      maxBytesEncrypted: bounds.maxBytes,
    });
  }

  // With a cache, buffer operations run one at a time: concurrent cache misses (a batch of items
  // sealed in parallel) would each call KMS. They are CPU-bound, so little is lost; the cost is that
  // reading messages made under many different data keys waits for their KMS calls in turn.
  // (The hierarchical keyring derives each data key locally: its operations need no queue.)
  const encryptQueue = bounds && !hierarchical ? serialQueue() : run;
  const decryptQueue = bounds && !hierarchical ? serialQueue() : run;

  return {
    async encrypt(plaintext, context) {
      checkContext(context);
      const failure: KmsFailure = {};
      try {
        const { result } = await encryptQueue(() =>
          client.encrypt(materials(failure), plaintext, { suiteId, frameLength, encryptionContext: { ...context } }));
        return result;
      } catch (err) {
        throw failure.error ?? keyringError(err) ?? new EnvelopeError(ErrorCode.INTERNAL, 'Encryption failed', { cause: err });
      }
    },

    async decrypt(ciphertext, expectedContext, decryptOptions = {}) {
      const failure: KmsFailure = {};
      let output;
      try {
        output = await decryptQueue(() => client.decrypt(materials(failure, true), ciphertext));
      } catch (err) {
        throw failure.error ?? keyringError(err) ?? decryptError(err);
      }
      try {
        const { kmsMessageContext } = decryptOptions;
        const kmsMessage = output.messageHeader.encryptedDataKeys.every((edk) => edk.providerId === 'aws-kms');
        verifyContext(output.messageHeader, kmsMessageContext && kmsMessage ? kmsMessageContext : expectedContext);
      } catch (err) {
        output.plaintext.fill(0);
        throw err;
      }
      return output.plaintext;
    },

    encryptStream(context, streamOptions = {}) {
      checkContext(context);
      const failure: KmsFailure = {};
      const inner = client.encryptStream(materials(failure), {
        suiteId,
        frameLength,
        encryptionContext: { ...context },
        plaintextLength: streamOptions.plaintextLength,
      });
      const classify = (err: unknown) => failure.error ?? keyringError(err) ?? new EnvelopeError(ErrorCode.INTERNAL, 'Encryption failed', { cause: err });
      return new TypedStream(inner, classify, false, ESDK_INPUT_BATCH_BYTES);
    },

    decryptStream(expectedContext) {
      const failure: KmsFailure = {};
      // Unsigned messages only: each frame is authenticated before it is released.
      const inner = client.decryptUnsignedMessageStream(materials(failure, true));
      const typed = new TypedStream(inner, (err) => failure.error ?? keyringError(err) ?? decryptError(err), true, ESDK_INPUT_BATCH_BYTES);
      inner.once('MessageHeader', (header: MessageHeader) => {
        try {
          verifyContext(header, expectedContext);
          typed.release();
        } catch (err) {
          typed.destroy(err as Error);
        }
      });
      return typed;
    },
  };
}

type Task = <T>(task: () => Promise<T>) => Promise<T>;

const run: Task = (task) => task();

/** Runs tasks one after another, in call order, whatever each one's outcome. */
function serialQueue(): Task {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** Rejects contexts that would collide with ESDK-reserved keys or are empty. */
function checkContext(context: EncryptionContext): void {
  const keys = Object.keys(context);
  if (keys.length === 0) throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'An encryption context is required');
  for (const key of keys) {
    if (key.startsWith(ESDK_RESERVED_PREFIX)) {
      throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `Encryption context key ${key} is reserved by the ESDK`);
    }
  }
}

/** The message header must carry exactly the expected context (ESDK-reserved keys aside). */
export function verifyContext(header: MessageHeader, expected: EncryptionContext): void {
  const actual = header.encryptionContext;
  const actualKeys = Object.keys(actual).filter((k) => !k.startsWith(ESDK_RESERVED_PREFIX));
  const expectedKeys = Object.keys(expected);
  const same =
    actualKeys.length === expectedKeys.length &&
    expectedKeys.every((k) => Object.prototype.hasOwnProperty.call(actual, k) && actual[k] === expected[k]);
  if (!same) {
    throw new EnvelopeError(ErrorCode.CONTEXT_MISMATCH, 'The ciphertext was encrypted for another place (encryption context mismatch)');
  }
}

/** Classifies an ESDK decryption failure that is not a KMS failure. */
/**
 * A failure of the hierarchical keyring's own calls (it calls KMS and DynamoDB itself): a KMS
 * error keeps its code; a branch key that cannot be read is MISCONFIGURED (wrong table or id).
 */
function keyringError(err: unknown): EnvelopeError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof EnvelopeError) return e; // from branchKeyIdFor (e.g. an unknown tenant)
    if (isKmsErrorName(errorName(e))) return fromKmsError('Decrypt (branch key)', e);
  }
  const message = err instanceof Error ? err.message : '';
  // On decrypt the ESDK folds each keyring failure into one message naming the exception.
  const named = /\b([A-Z][A-Za-z]+Exception)\b/.exec(message)?.[1];
  if (named && isKmsErrorName(named)) return fromKmsError('Decrypt (branch key)', Object.assign(new Error(named), { name: named }));
  if (/branch key/i.test(message) && !/decrypt data key/i.test(message)) {
    return new EnvelopeError(ErrorCode.MISCONFIGURED, 'The branch key could not be read from the branch key store', { cause: err });
  }
  return undefined;
}

function decryptError(err: unknown): EnvelopeError {
  if (err instanceof EnvelopeError) return err;
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('Unable to decrypt data key')) {
    return new EnvelopeError(ErrorCode.CONTEXT_MISMATCH, 'The ciphertext was not encrypted under this key', { cause: err });
  }
  return new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, 'The ciphertext is corrupt, truncated or not an ESDK message', { cause: err });
}

/**
 * Wraps an ESDK stream: its errors surface as EnvelopeErrors, and (when `held`) no output passes
 * until `release()` is called, i.e. until the message header has been verified.
 */
export class TypedStream extends Duplex {
  private held: boolean;
  /** Input gathered for the next write to the inner stream (see `batchBytes`). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /**
   * @param batchBytes gather input chunks smaller than this into one write of about this size
   *   (0: pass every chunk on as it comes). The ESDK's streams cost a fixed amount per chunk.
   */
  constructor(
    private readonly inner: Duplex,
    private readonly classify: (err: unknown) => EnvelopeError,
    held = false,
    private readonly batchBytes = 0,
  ) {
    super();
    this.held = held;
    inner.on('data', (chunk: Buffer) => {
      if (this.held) {
        this.destroy(new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, 'Output before the message header was verified'));
      } else if (!this.push(chunk)) {
        inner.pause();
      }
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(classify(err)));
  }

  release(): void {
    this.held = false;
  }

  // The ESDK streams can throw synchronously from write/end; turn that into a stream error too.
  _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.batchBytes === 0) return this.forward(chunk, done);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.batchBytes) return done();
    this.forward(this.takePending(), done);
  }

  _final(done: (err?: Error | null) => void): void {
    const end = (err?: Error | null) => {
      if (err) return done(err);
      try {
        this.inner.end((endErr?: Error | null) => done(endErr ? this.classify(endErr) : null));
      } catch (thrown) {
        done(this.classify(thrown));
      }
    };
    if (this.pendingBytes > 0) this.forward(this.takePending(), end);
    else end();
  }

  private forward(chunk: Buffer, done: (err?: Error | null) => void): void {
    try {
      this.inner.write(chunk, (err) => done(err ? this.classify(err) : null));
    } catch (err) {
      done(this.classify(err));
    }
  }

  /** The gathered input as one buffer (copied only when there is more than one chunk). */
  private takePending(): Buffer {
    const batch = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return batch;
  }

  _read(): void {
    this.inner.resume();
  }

  _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.inner.destroy();
    done(err);
  }
}
