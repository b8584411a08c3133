/**
 * A small local KMS for tests and benchmarks: an HTTP server on loopback speaking the KMS JSON 1.1
 * wire protocol (`X-Amz-Target: TrentService.<Operation>`), so the real `@aws-sdk/client-kms`
 * (signing, serialization, retries) talks to it through `endpoint`.
 *
 * Operations: GenerateDataKey, Encrypt, Decrypt, DescribeKey. Ciphertext blobs are real AES-256-GCM
 * under a per-key secret held in memory, with the encryption context bound as additional
 * authenticated data (a different context fails with InvalidCiphertextException, as in KMS).
 * Faults: unknown keys (NotFoundException), disabled keys (DisabledException), a context policy per
 * key (AccessDeniedException, standing in for key-policy conditions), injected throttling
 * (ThrottlingException) and latency. Every request is counted per operation.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';

export type KmsOperation = 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext' | 'Encrypt' | 'Decrypt' | 'ReEncrypt' | 'DescribeKey';
const OPERATIONS: readonly KmsOperation[] = ['GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'Encrypt', 'Decrypt', 'ReEncrypt', 'DescribeKey'];

export interface CreateKeyOptions {
  /** A multi-Region key (`mrk-` id); add replica Regions with `replicate`. @default false */
  readonly multiRegion?: boolean;
  /** @default true */
  readonly enabled?: boolean;
  readonly description?: string;
}

/**
 * More behaviour from a module beside this one (custom key stores: kms-custom-key-stores.ts). It
 * answers its own operations and keys, and undefined for anything that is not its own.
 */
export interface KmsServerExtension {
  readonly operations: readonly string[];
  dispatch(operation: string, input: Record<string, unknown>): Promise<object | undefined> | object | undefined;
}

/** Decides whether a call with this encryption context is allowed (a key-policy stand-in). */
export type ContextPolicy = (operation: KmsOperation, context: Record<string, string>) => boolean;

interface LocalKey {
  readonly keyId: string;
  readonly secret: Buffer;
  readonly multiRegion: boolean;
  readonly regions: Set<string>;
  readonly description: string;
  enabled: boolean;
  contextPolicy?: ContextPolicy;
}

class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const BLOB_MAGIC = Buffer.from('LKMS');
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export class LocalKmsServer {
  /** Starts a server on a free loopback port. */
  static async start(options: { region?: string; account?: string } = {}): Promise<LocalKmsServer> {
    const server = new LocalKmsServer(options.region ?? 'us-east-1', options.account ?? '111122223333');
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  /** Fake credentials: the SDK signs requests with them; the server only checks a signature is present. */
  readonly credentials = { accessKeyId: 'AKIDLOCALKMS', secretAccessKey: 'local-kms-secret' };

  /** Requests received per operation (throttled and failed ones included). */
  readonly calls = Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<KmsOperation, number>;

  private readonly keys = new Map<string, LocalKey>();
  private readonly http: http.Server;
  private throttleRemaining = 0;
  private throttleOperations?: ReadonlySet<KmsOperation>;
  private latencyMs = 0;
  private readonly extensions: KmsServerExtension[] = [];

  private constructor(
    readonly region: string,
    readonly account: string,
  ) {
    this.http = http.createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 1000;
  }

  get endpoint(): string {
    const { port } = this.http.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A real KMS client wired to this server (fake credentials; SigV4 signing still runs). */
  client(config: KMSClientConfig = {}): KMSClient {
    return new KMSClient({
      region: this.region,
      endpoint: this.endpoint,
      credentials: this.credentials,
      ...config,
    });
  }

  /** Creates a key and returns its ARN (in the server's Region). */
  createKey(options: CreateKeyOptions = {}): string {
    const multiRegion = options.multiRegion ?? false;
    const uuid = crypto.randomUUID().replace(/-/g, '');
    const keyId = multiRegion ? `mrk-${uuid}` : crypto.randomUUID();
    this.keys.set(keyId, {
      keyId,
      secret: crypto.randomBytes(32),
      multiRegion,
      regions: new Set([this.region]),
      description: options.description ?? '',
      enabled: options.enabled ?? true,
    });
    return this.arn(keyId, this.region);
  }

  /** Adds a replica Region to a multi-Region key and returns the replica's ARN. */
  replicate(keyArnOrId: string, region: string): string {
    const key = this.resolve(keyArnOrId);
    if (!key.multiRegion) throw new Error(`${key.keyId} is not a multi-Region key`);
    key.regions.add(region);
    return this.arn(key.keyId, region);
  }

  /** Adds the operations and keys of another module (e.g. custom key stores). */
  extend(extension: KmsServerExtension): void {
    this.extensions.push(extension);
  }

  disableKey(keyArnOrId: string): void {
    this.resolve(keyArnOrId).enabled = false;
  }

  enableKey(keyArnOrId: string): void {
    this.resolve(keyArnOrId).enabled = true;
  }

  /** Calls on this key are denied (AccessDeniedException) unless the policy allows the context. */
  setContextPolicy(keyArnOrId: string, policy: ContextPolicy | undefined): void {
    this.resolve(keyArnOrId).contextPolicy = policy;
  }

  /** The next `count` requests (of the given operations, or any) fail with ThrottlingException. */
  throttle(count: number, operations?: KmsOperation[]): void {
    this.throttleRemaining = count;
    this.throttleOperations = operations ? new Set(operations) : undefined;
  }

  /** Adds this much latency to every response (to model a network round trip in benchmarks). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  resetCalls(): void {
    for (const op of OPERATIONS) this.calls[op] = 0;
  }

  /** Total requests received, all operations. */
  get totalCalls(): number {
    return OPERATIONS.reduce((sum, op) => sum + this.calls[op], 0);
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private arn(keyId: string, region: string): string {
    return `arn:aws:kms:${region}:${this.account}:key/${keyId}`;
  }

  /** Resolves a key id or key ARN (an ARN must name a Region the key exists in). */
  private resolve(keyArnOrId: unknown): LocalKey {
    if (typeof keyArnOrId !== 'string' || keyArnOrId === '') throw new KmsFault('ValidationException', 'KeyId is required');
    const arnMatch = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(keyArnOrId);
    const keyId = arnMatch ? arnMatch[3] : keyArnOrId;
    const key = this.keys.get(keyId);
    const wrongPlace = arnMatch && (arnMatch[2] !== this.account || !key?.regions.has(arnMatch[1]));
    if (!key || wrongPlace) throw new KmsFault('NotFoundException', `Key '${keyArnOrId}' does not exist`);
    return key;
  }

  /** The ARN the response names: the requested ARN if one was given, else the server's Region. */
  private responseArn(key: LocalKey, requested: unknown): string {
    return typeof requested === 'string' && requested.startsWith('arn:') ? requested : this.arn(key.keyId, this.region);
  }

  private usable(key: LocalKey, operation: KmsOperation, context: Record<string, string>): void {
    if (!key.enabled) throw new KmsFault('DisabledException', `${this.arn(key.keyId, this.region)} is disabled.`);
    if (key.contextPolicy && !key.contextPolicy(operation, context)) {
      throw new KmsFault('AccessDeniedException', `User is not authorized to perform kms:${operation} with this encryption context`);
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: object, errorType?: string) => {
        const send = () => {
          const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() };
          if (errorType) headers['x-amzn-errortype'] = errorType;
          res.writeHead(status, headers).end(JSON.stringify(body));
        };
        if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
        else send();
      };
      const fail = (err: unknown) => {
        // Extensions throw errors carrying a KMS exception name in `type`.
        const named = (err as { type?: unknown } | undefined)?.type;
        const type = err instanceof Error && typeof named === 'string' ? named : 'KMSInternalException';
        const message = err instanceof Error ? err.message : String(err);
        reply(type === 'KMSInternalException' ? 500 : 400, { __type: type, message }, type);
      };
      try {
        const operation = this.operationOf(req);
        if ((OPERATIONS as readonly string[]).includes(operation)) this.calls[operation]++;
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
          throw new KmsFault('MissingAuthenticationTokenException', 'Request is missing a SigV4 signature');
        }
        if (this.throttleRemaining > 0 && (!this.throttleOperations || this.throttleOperations.has(operation))) {
          this.throttleRemaining--;
          throw new KmsFault('ThrottlingException', 'Rate exceeded');
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.answer(operation, input).then((body) => reply(200, body), fail);
      } catch (err) {
        fail(err);
      }
    });
  }

  private operationOf(req: http.IncomingMessage): KmsOperation {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '') as KmsOperation;
    const extended = this.extensions.some((e) => e.operations.includes(operation));
    if (!OPERATIONS.includes(operation) && !extended) throw new KmsFault('UnknownOperationException', `Unsupported operation ${target}`);
    return operation;
  }

  /** An extension's answer for its own operations and keys, else the server's. */
  private async answer(operation: KmsOperation, input: Record<string, unknown>): Promise<object> {
    for (const extension of this.extensions) {
      if (!extension.operations.includes(operation)) continue;
      const answer = await extension.dispatch(operation, input);
      if (answer !== undefined) return answer;
    }
    if (!OPERATIONS.includes(operation)) throw new KmsFault('UnknownOperationException', `Unsupported operation ${operation}`);
    return this.dispatch(operation, input);
  }

  private dispatch(operation: KmsOperation, input: Record<string, unknown>): object {
    const context = contextOf(input.EncryptionContext);
    switch (operation) {
      case 'DescribeKey': {
        const key = this.resolve(input.KeyId);
        return {
          KeyMetadata: {
            AWSAccountId: this.account,
            KeyId: key.keyId,
            Arn: this.responseArn(key, input.KeyId),
            Enabled: key.enabled,
            KeyState: key.enabled ? 'Enabled' : 'Disabled',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeySpec: 'SYMMETRIC_DEFAULT',
            KeyManager: 'CUSTOMER',
            Origin: 'AWS_KMS',
            MultiRegion: key.multiRegion,
            Description: key.description,
            EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          },
        };
      }
      case 'GenerateDataKey': {
        const key = this.resolve(input.KeyId);
        this.usable(key, operation, context);
        const size = dataKeySize(input);
        const plaintext = crypto.randomBytes(size);
        return { KeyId: this.responseArn(key, input.KeyId), Plaintext: plaintext.toString('base64'), CiphertextBlob: seal(key, plaintext, context).toString('base64') };
      }
      case 'GenerateDataKeyWithoutPlaintext': {
        const key = this.resolve(input.KeyId);
        this.usable(key, operation, context);
        const plaintext = crypto.randomBytes(dataKeySize(input));
        return { KeyId: this.responseArn(key, input.KeyId), CiphertextBlob: seal(key, plaintext, context).toString('base64') };
      }
      case 'ReEncrypt': {
        // Decrypt under the source context, encrypt under the destination key and context, as KMS
        // does (used by the AWS Encryption SDK's branch key store to make branch key versions).
        const blob = Buffer.from(String(input.CiphertextBlob ?? ''), 'base64');
        const source = this.keys.get(blobKeyId(blob));
        if (!source) throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid');
        if (input.SourceKeyId !== undefined && this.resolve(input.SourceKeyId) !== source) {
          throw new KmsFault('IncorrectKeyException', 'The source key ID does not identify the key that encrypted the ciphertext');
        }
        const sourceContext = contextOf(input.SourceEncryptionContext);
        this.usable(source, 'ReEncrypt', sourceContext);
        const plaintext = open(source, blob, sourceContext);
        const destination = this.resolve(input.DestinationKeyId);
        const destinationContext = contextOf(input.DestinationEncryptionContext);
        this.usable(destination, 'ReEncrypt', destinationContext);
        return {
          SourceKeyId: this.arn(source.keyId, this.region),
          KeyId: this.responseArn(destination, input.DestinationKeyId),
          CiphertextBlob: seal(destination, plaintext, destinationContext).toString('base64'),
        };
      }
      case 'Encrypt': {
        const key = this.resolve(input.KeyId);
        this.usable(key, operation, context);
        const plaintext = Buffer.from(String(input.Plaintext ?? ''), 'base64');
        if (plaintext.length === 0 || plaintext.length > 4096) throw new KmsFault('ValidationException', 'Plaintext must be 1 to 4096 bytes');
        return { KeyId: this.responseArn(key, input.KeyId), CiphertextBlob: seal(key, plaintext, context).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
      case 'Decrypt': {
        const blob = Buffer.from(String(input.CiphertextBlob ?? ''), 'base64');
        const keyId = blobKeyId(blob);
        const key = this.keys.get(keyId);
        if (!key) throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid');
        if (input.KeyId !== undefined && this.resolve(input.KeyId) !== key) {
          throw new KmsFault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext');
        }
        this.usable(key, operation, context);
        const plaintext = open(key, blob, context);
        return { KeyId: this.responseArn(key, input.KeyId), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      }
    }
  }
}

function contextOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new KmsFault('ValidationException', 'EncryptionContext must be a map');
  return value as Record<string, string>;
}

function dataKeySize(input: Record<string, unknown>): number {
  if (typeof input.NumberOfBytes === 'number') {
    if (input.NumberOfBytes < 1 || input.NumberOfBytes > 1024) throw new KmsFault('ValidationException', 'NumberOfBytes must be 1 to 1024');
    return input.NumberOfBytes;
  }
  if (input.KeySpec === 'AES_256') return 32;
  if (input.KeySpec === 'AES_128') return 16;
  throw new KmsFault('ValidationException', 'Either KeySpec or NumberOfBytes is required');
}

/** Canonical encoding of an encryption context: sorted pairs, so key order does not matter. */
function contextAad(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]])));
}

/** Blob: magic | key id length (1 byte) | key id | iv | tag | ciphertext. */
function seal(key: LocalKey, plaintext: Buffer, context: Record<string, string>): Buffer {
  const iv = crypto.randomBytes(IV_LENGTH);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.secret, iv);
  cipher.setAAD(contextAad(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const id = Buffer.from(key.keyId);
  return Buffer.concat([BLOB_MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), ciphertext]);
}

function blobKeyId(blob: Buffer): string {
  if (blob.length < BLOB_MAGIC.length + 1 || !blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)) {
    throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid');
  }
  const length = blob[BLOB_MAGIC.length];
  return blob.subarray(BLOB_MAGIC.length + 1, BLOB_MAGIC.length + 1 + length).toString();
}

function open(key: LocalKey, blob: Buffer, context: Record<string, string>): Buffer {
  const start = BLOB_MAGIC.length + 1 + Buffer.byteLength(key.keyId);
  const iv = blob.subarray(start, start + IV_LENGTH);
  const tag = blob.subarray(start + IV_LENGTH, start + IV_LENGTH + TAG_LENGTH);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key.secret, iv);
    decipher.setAAD(contextAad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(start + IV_LENGTH + TAG_LENGTH)), decipher.final()]);
  } catch {
    // KMS answers a wrong encryption context this way too.
    throw new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid');
  }
}
