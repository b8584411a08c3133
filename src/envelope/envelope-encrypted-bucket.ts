import { Aws, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { assertNoProblems } from '../errors';
import { EnvelopeBranchKeyOptions } from './branch-key-options';
import { BranchKeyResources, createBranchKeys } from './branch-keys';
import { createCryptoFunction, codecEnvironment } from './crypto-function';
import { EnvelopeAlgorithmSuite, EnvelopeCryptoOptions } from './crypto-options';
import { KeyCapability, KeyUser, KeyUserOptions, ManagedKey, ManagedKeyProps } from '../key';
import { acceptFinding, findingName } from '../nag-suppressions';

/**
 * The encryption-context keys of an EnvelopeEncryptedBucket object: every ciphertext carries the
 * bucket name and the key of the protected object (e.g. `protected/reports/q1.pdf`).
 */
export class ObjectEncryptionContext {
  /** Context key whose value is the bucket name. */
  public static readonly BUCKET = 'bucket';
  /** Context key whose value is the S3 key of the protected object. */
  public static readonly OBJECT_KEY = 'object-key';
}

/**
 * Properties of an EnvelopeEncryptedBucket. The shared crypto options (`algorithmSuite`, `cache`,
 * `memorySize`, `timeout`, `logRetention`) apply to all three functions, except that `memorySize`
 * and `timeout` set the inline crypto function only (the intake and read functions run up to 15
 * minutes).
 */
export interface EnvelopeEncryptedBucketProps extends EnvelopeCryptoOptions {
  /**
   * Use this bucket instead of creating one. You own its configuration (block public access,
   * TLS-only policy, versioning, default encryption); lifecycle rules are only added to an
   * `s3.Bucket` from the same app. Cannot be combined with `bucketProps`.
   * @default - a new bucket: block public access, TLS only, SSE-KMS with a bucket key under the
   * envelope key, versioning, and lifecycle rules that abort stale multipart uploads and expire
   * noncurrent intake versions after a day
   */
  readonly existingBucketObj?: s3.IBucket;

  /**
   * Overrides for the new bucket. Settings that would weaken it (other encryption, an own
   * `encryptionKey`, `bucketKeyEnabled: false`, public access, `enforceSSL: false`,
   * `versioned: false`) are synth errors. Cannot be combined with `existingBucketObj`.
   * @default - the secure defaults described under `existingBucketObj`
   */
  readonly bucketProps?: s3.BucketProps;

  /**
   * The key for both the envelope encryption and the bucket's SSE-KMS. Must be a symmetric
   * encryption key. Cannot be combined with `keyProps`.
   * @default - a new ManagedKey
   */
  readonly existingKey?: ManagedKey;

  /**
   * Properties of the new ManagedKey (administrators, aliases, rotation, posture...).
   * @default - a ManagedKey with its defaults
   */
  readonly keyProps?: ManagedKeyProps;

  /**
   * Prefix that plaintext uploads land under; each object written there is encrypted to the
   * protected prefix and then deleted. Must end with `/`.
   * @default 'intake/'
   */
  readonly intakePrefix?: string;

  /**
   * Prefix that ciphertexts are written under. Must end with `/` and not overlap the intake prefix.
   * @default 'protected/'
   */
  readonly protectedPrefix?: string;

  /**
   * Memory of the intake function, in MiB. Encryption streams with bounded memory (a 1 GiB
   * object stays under 256 MB); more memory buys more CPU and so throughput.
   * @default 1024
   */
  readonly intakeMemorySize?: number;

  /**
   * Per-object data keys derived from branch keys (the AWS Encryption SDK's hierarchical
   * keyring) instead of a KMS call per new object: creates a branch key store (DynamoDB), a
   * ManagedKey that wraps the branch keys, and the branch keys themselves (a custom resource),
   * optionally one per tenant. The per-object encryption context stays in every message.
   * @default - a KMS data key per object (cached only for repeated contexts)
   */
  readonly branchKeys?: EnvelopeBranchKeyOptions;
}

const DEFAULT_INTAKE_PREFIX = 'intake/';
const DEFAULT_PROTECTED_PREFIX = 'protected/';
const PREFIX_PATTERN = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/;

/**
 * An S3 bucket whose objects are envelope-encrypted by Lambda functions with the AWS Encryption
 * SDK under a ManagedKey, each ciphertext bound to its bucket and object key by the encryption
 * context (moving it makes it fail to decrypt).
 *
 * - Small objects (up to 4 MiB): `put` / `get` through invoke of `cryptoFunction`.
 * - Any size: write plaintext under `intakePrefix`; `intakeFunction` streams it into a multipart
 *   upload under `protectedPrefix` (bounded memory) and deletes the intake object. Read it back
 *   with a SigV4-signed `GET <readUrl><name>`: `readFunction` decrypts it into a streamed response
 *   (up to 200 MB per response, Lambda's limit for a streamed response; larger objects are read in
 *   parts with `?offset=<n>&length=<m>`).
 *
 * The key policy lets only the functions' roles use the key directly, and only with this bucket's
 * name and an object key as the encryption context; the bucket's SSE-KMS use goes through S3.
 */
export class EnvelopeEncryptedBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.IBucket;
  /** The key that envelope-encrypts objects (and encrypts the new bucket at rest). */
  public readonly key: ManagedKey;
  /** Inline put/get of objects up to 4 MiB through invoke (JSON in, JSON out). */
  public readonly cryptoFunction: lambda.IFunction;
  /** Encrypts objects written under the intake prefix (S3 event notifications). */
  public readonly intakeFunction: lambda.IFunction;
  /** Streams decrypted objects through its function URL. */
  public readonly readFunction: lambda.IFunction;
  /** The function URL of `readFunction` (IAM auth, response streaming): `GET <url><name>`. */
  public readonly readUrl: lambda.FunctionUrl;
  /** Prefix that plaintext uploads land under. */
  public readonly intakePrefix: string;
  /** Prefix that ciphertexts are written under. */
  public readonly protectedPrefix: string;
  /** The branch key store (with `branchKeys`). */
  public readonly branchKeyStore?: dynamodb.ITable;
  /** The key that wraps the branch keys (with `branchKeys`). */
  public readonly branchKeyKey?: ManagedKey;
  /** The branch key store's logical name, in every branch key's KMS encryption context as `tablename`. */
  public readonly branchKeyStoreName?: string;
  /** The bucket ARN S3 puts in the encryption context with bucket keys (known for a new bucket). */
  private readonly sseContextBucketArn?: string;

  constructor(scope: Construct, id: string, props: EnvelopeEncryptedBucketProps = {}) {
    super(scope, id);
    this.intakePrefix = props.intakePrefix ?? DEFAULT_INTAKE_PREFIX;
    this.protectedPrefix = props.protectedPrefix ?? DEFAULT_PROTECTED_PREFIX;
    assertNoProblems(this, [...propsProblems(props), ...prefixProblems(this.intakePrefix, this.protectedPrefix)]);

    this.key = props.existingKey ?? new ManagedKey(this, 'Key', {
      description: `Envelope encryption of the objects of ${this.node.path}`,
      ...props.keyProps,
    });
    assertNoProblems(this, keyProblems(this.key));

    const created = props.existingBucketObj ? undefined : this.createBucket(props.bucketProps ?? {});
    this.bucket = created?.bucket ?? props.existingBucketObj!;
    // The key policy needs the bucket's name; a literal or pseudo-parameter name avoids a
    // dependency cycle (the bucket already refers to the key for SSE-KMS).
    const bucketName = created?.name ?? literalBucketName(this.bucket) ?? this.bucket.bucketName;
    if (!created) assertNoProblems(this, existingBucketProblems(this.bucket, this.key));
    this.sseContextBucketArn = created ? `arn:${Aws.PARTITION}:s3:::${bucketName}` : undefined;

    const branchKeys: BranchKeyResources | undefined = props.branchKeys && createBranchKeys(this, props.branchKeys, { kind: 'EnvelopeEncryptedBucket', singleBranchKeyId: 'bucket' }, props.logRetention);
    this.branchKeyStore = branchKeys?.table;
    this.branchKeyKey = branchKeys?.key;
    this.branchKeyStoreName = branchKeys?.logicalStoreName;
    const environment = {
      ...codecEnvironment(this, this.key.keyArn, props),
      ...branchKeys?.environment,
      BUCKET_NAME: bucketName,
      INTAKE_PREFIX: this.intakePrefix,
      PROTECTED_PREFIX: this.protectedPrefix,
    };
    const inline = createCryptoFunction(this, 'CryptoFunction', {
      bundle: 'bucket',
      description: 'EnvelopeEncryptedBucket: inline put/get of objects up to 4 MiB',
      environment,
      options: props,
    });
    const intake = createCryptoFunction(this, 'IntakeFunction', {
      bundle: 'object-intake',
      description: 'EnvelopeEncryptedBucket: encrypts intake objects into the protected prefix',
      environment,
      options: { ...props, memorySize: props.intakeMemorySize ?? 1024, timeout: Duration.minutes(15) },
    });
    const read = createCryptoFunction(this, 'ReadFunction', {
      bundle: 'object-read',
      description: 'EnvelopeEncryptedBucket: streams decrypted objects through a function URL',
      environment,
      options: { ...props, memorySize: 512, timeout: Duration.minutes(15) },
    });
    this.cryptoFunction = inline;
    this.intakeFunction = intake;
    this.readFunction = read;
    this.readUrl = read.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });

    const protectedObjects = this.bucket.arnForObjects(`${this.protectedPrefix}*`);
    const intakeObjects = this.bucket.arnForObjects(`${this.intakePrefix}*`);
    allow(inline, ['s3:GetObject', 's3:PutObject'], [protectedObjects]);
    allow(intake, ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'], [intakeObjects]);
    allow(intake, ['s3:PutObject', 's3:AbortMultipartUpload'], [protectedObjects]);
    allow(read, ['s3:GetObject'], [protectedObjects]);

    // Direct key use: only these roles, only with this bucket and an object key as the context.
    const envelopeContext: KeyUserOptions = {
      encryptionContext: { [ObjectEncryptionContext.BUCKET]: bucketName },
      requiredEncryptionContextKeys: [ObjectEncryptionContext.OBJECT_KEY],
      allowedEncryptionContextKeys: [ObjectEncryptionContext.BUCKET, ObjectEncryptionContext.OBJECT_KEY],
    };
    if (branchKeys) {
      // New data keys come from branch keys; the envelope key only decrypts objects written
      // before branch keys were turned on (and S3 uses it for SSE-KMS).
      for (const fn of [inline, intake, read]) branchKeys.grantUse(fn.role!);
      this.key.addUser(KeyUser.decrypt(inline.role!, envelopeContext));
      this.key.addUser(KeyUser.decrypt(read.role!, envelopeContext));
    } else {
      this.key.addUser(KeyUser.encryptDecrypt(inline.role!, envelopeContext));
      this.key.addUser(KeyUser.encrypt(intake.role!, envelopeContext));
      this.key.addUser(KeyUser.decrypt(read.role!, envelopeContext));
    }
    for (const fn of [inline, intake, read]) this.grantBucketKeyViaS3(fn.role!);

    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(intake), { prefix: this.intakePrefix });
    this.acceptNagFindings([inline, intake, read], created?.bucket);
  }

  /**
   * Lets the principal read any object through the function URL (`lambda:InvokeFunctionUrl`, and
   * `lambda:InvokeFunction` only via the URL). Nothing on the key or the bucket.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.readFunction.grantInvokeUrl(grantee);
  }

  /**
   * `grantRead`, plus invoking `cryptoFunction` for inline put and get. Nothing on the key or
   * the bucket.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantRead(grantee).combine(this.cryptoFunction.grantInvoke(grantee));
  }

  /**
   * Lets the principal upload plaintext objects under the intake prefix (`s3:PutObject` there,
   * and the key for SSE-KMS through S3 only). It cannot read anything back.
   */
  public grantIntakeWrite(grantee: iam.IGrantable): iam.Grant {
    this.grantBucketKeyViaS3(grantee.grantPrincipal);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [this.bucket.arnForObjects(`${this.intakePrefix}*`)],
    });
  }

  /**
   * The bucket's SSE-KMS key for a principal, through S3 only. Multipart uploads need decrypt as
   * well as encrypt. For a new bucket the context S3 uses with bucket keys (its ARN) is pinned.
   */
  private grantBucketKeyViaS3(principal: iam.IPrincipal): void {
    const sseKey = this.bucket.encryptionKey;
    if (!sseKey) return;
    if (sseKey === this.key) {
      this.key.addUser(KeyUser.viaService(principal, 's3', {
        capability: KeyCapability.ENCRYPT_DECRYPT,
        encryptionContext: this.sseContextBucketArn ? { 'aws:s3:arn': this.sseContextBucketArn } : undefined,
      }));
    } else {
      sseKey.grantEncryptDecrypt(principal);
    }
  }

  /** cdk-nag AwsSolutions findings that are by design, each with its reason. */
  private acceptNagFindings(functions: lambda.Function[], createdBucket?: s3.Bucket): void {
    if (createdBucket) {
      acceptFinding(createdBucket, 'S1', 'Server access logs are opt-in (bucketProps.serverAccessLogsBucket): every envelope ' +
        'encryption and decryption is already a KMS call in CloudTrail, with the bucket and object key in its encryption context.');
    }
    // aws-cdk-lib's per-stack singleton that applies bucket notifications.
    const notificationsHandler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler) {
      acceptFinding(notificationsHandler, 'IAM4', "aws-cdk-lib's bucket-notifications handler uses AWSLambdaBasicExecutionRole only to write its own CloudWatch Logs.",
        ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    }
    for (const fn of functions) {
      acceptFinding(fn, 'IAM5',
        `Object ARNs end in the function's prefix (${this.intakePrefix}* or ${this.protectedPrefix}*): it handles any object under it, and nothing else.`,
        [{
          regex: `/^Resource::.*\\/(${escapeRegex(this.intakePrefix)}|${escapeRegex(this.protectedPrefix)})\\*$/`,
          matches: [this.intakePrefix, this.protectedPrefix].map((prefix) => `Resource::${findingName(this, this.bucket.arnForObjects(`${prefix}*`))}`),
        }]);
    }
  }

  private createBucket(overrides: s3.BucketProps): { bucket: s3.Bucket; name: string } {
    const name = overrides.bucketName ?? generatedBucketName(this);
    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      ...overrides,
      bucketName: name,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'ExpireNoncurrentIntakeVersions', prefix: this.intakePrefix, noncurrentVersionExpiration: Duration.days(1) },
        ...(overrides.lifecycleRules ?? []),
      ],
    });
    return { bucket, name };
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function allow(fn: lambda.Function, actions: string[], resources: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
}

/**
 * A unique lower-case name from the construct path, the account and the Region: pseudo
 * parameters, not a reference to the bucket, so the key policy can name it without a cycle.
 */
function generatedBucketName(scope: Construct): string {
  const base = Names.uniqueResourceName(scope, { maxLength: 28, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '');
  return `${base}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

function propsProblems(props: EnvelopeEncryptedBucketProps): string[] {
  const problems: string[] = [];
  if (props.existingBucketObj && props.bucketProps) {
    problems.push('existingBucketObj and bucketProps cannot be combined: pass one of them');
  }
  if (props.existingKey && props.keyProps) problems.push('existingKey and keyProps cannot be combined: pass one of them');
  if (props.algorithmSuite === EnvelopeAlgorithmSuite.COMMITTING_SIGNED) {
    problems.push('algorithmSuite COMMITTING_SIGNED is not supported: streaming reads release frames before a message signature could be verified; use COMMITTING');
  }
  const b = props.bucketProps;
  if (!b) return problems;
  if (b.encryption !== undefined && b.encryption !== s3.BucketEncryption.KMS) {
    problems.push('bucketProps.encryption must be KMS (or unset): the bucket is encrypted with the envelope key');
  }
  if (b.encryptionKey) problems.push('bucketProps.encryptionKey is not allowed: pass the key as existingKey');
  if (b.bucketKeyEnabled === false) problems.push('bucketProps.bucketKeyEnabled cannot be false: S3 bucket keys keep KMS calls and costs down');
  if (b.publicReadAccess) problems.push('bucketProps.publicReadAccess cannot be true');
  if (b.blockPublicAccess && !blocksAll(b.blockPublicAccess)) problems.push('bucketProps.blockPublicAccess must block all public access');
  if (b.enforceSSL === false) problems.push('bucketProps.enforceSSL cannot be false: the bucket accepts TLS requests only');
  if (b.versioned === false) problems.push('bucketProps.versioned cannot be false: versioning keeps overwritten ciphertexts recoverable');
  return problems;
}

function blocksAll(block: s3.BlockPublicAccess): boolean {
  return !!(block.blockPublicAcls && block.blockPublicPolicy && block.ignorePublicAcls && block.restrictPublicBuckets);
}

function prefixProblems(intakePrefix: string, protectedPrefix: string): string[] {
  const problems: string[] = [];
  for (const [name, prefix] of [['intakePrefix', intakePrefix], ['protectedPrefix', protectedPrefix]]) {
    if (Token.isUnresolved(prefix) || !PREFIX_PATTERN.test(prefix) || prefix.split('/').some((s) => s === '.' || s === '..')) {
      problems.push(`${name} '${prefix}' must be a literal S3 key prefix ending in '/' (letters, digits, !_.*'()- and '/'), e.g. 'intake/'`);
    }
  }
  if (problems.length === 0 && (intakePrefix.startsWith(protectedPrefix) || protectedPrefix.startsWith(intakePrefix))) {
    problems.push(`intakePrefix '${intakePrefix}' and protectedPrefix '${protectedPrefix}' overlap: give them separate prefixes`);
  }
  return problems;
}

function keyProblems(key: ManagedKey): string[] {
  return key.keySpec === kms.KeySpec.SYMMETRIC_DEFAULT && key.keyUsage === kms.KeyUsage.ENCRYPT_DECRYPT
    ? []
    : [`the key must be a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key, got ${key.keySpec} ${key.keyUsage}`];
}

/** The bucket's name when it is known at synth: imported by name, or an s3.Bucket given a name. */
function literalBucketName(bucket: s3.IBucket): string | undefined {
  if (!Token.isUnresolved(bucket.bucketName)) return bucket.bucketName;
  const resource = bucket.node.defaultChild;
  const name = resource instanceof s3.CfnBucket ? resource.bucketName : undefined;
  return name !== undefined && !Token.isUnresolved(name) ? name : undefined;
}

function existingBucketProblems(bucket: s3.IBucket, key: ManagedKey): string[] {
  if (bucket.encryptionKey === key && literalBucketName(bucket) === undefined) {
    return ['existingBucketObj is encrypted with the envelope key and has a generated name: give it a literal bucketName (the key policy names the bucket, and a reference would make a dependency cycle)'];
  }
  return [];
}
