/**
 * Branch keys of an envelope construct (the AWS Encryption SDK's hierarchical keyring): the
 * DynamoDB branch key store, the ManagedKey that wraps the branch keys, and the custom resource
 * that creates (and rotates) them.
 */
import { CustomResource, Duration, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createCryptoFunction } from './crypto-function';
import { assertNoProblems } from '../errors';
import { KeyCapability, KeyUser, ManagedKey } from '../key';
import { acceptFinding } from '../nag-suppressions';
import { EnvelopeBranchKeyOptions } from './branch-key-options';

/** Branch key ids and the KMS encryption context keys the ESDK's branch key store uses. */
const BRANCH_KEY_CONTEXT = { branchKeyId: 'branch-key-id', storeName: 'tablename' } as const;
const TENANT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const MAX_TENANTS = 100;

/** Who the branch keys belong to. @internal */
export interface BranchKeyOwner {
  /** The construct class, for descriptions (e.g. `EnvelopeEncryptedBucket`). */
  readonly kind: string;
  /** The id of the one branch key without tenants (`bucket`, `table`), also its context key. */
  readonly singleBranchKeyId: string;
}

/** What the envelope construct gets back. @internal */
export interface BranchKeyResources {
  readonly table: dynamodb.Table;
  readonly key: ManagedKey;
  readonly logicalStoreName: string;
  readonly environment: Record<string, string>;
  /** Lets a function role read branch keys (GetItem, KMS Decrypt pinned to this store). */
  grantUse(role: iam.IRole): void;
}

function branchKeyProblems(options: EnvelopeBranchKeyOptions): string[] {
  const problems: string[] = [];
  const tenants = options.tenants;
  if (tenants !== undefined) {
    if (tenants.length === 0 || tenants.length > MAX_TENANTS) problems.push(`branchKeys.tenants must hold 1 to ${MAX_TENANTS} tenants, got ${tenants.length}`);
    const seen = new Set<string>();
    for (const tenant of tenants) {
      if (Token.isUnresolved(tenant) || !TENANT_PATTERN.test(tenant)) {
        problems.push(`branchKeys.tenants: '${tenant}' must be a literal of letters, digits, _ - and . (not first), at most 64 characters`);
      } else if (seen.has(tenant)) {
        problems.push(`branchKeys.tenants: '${tenant}' is listed twice`);
      }
      seen.add(tenant);
    }
  }
  const ttl = options.cacheTtl;
  if (ttl && !ttl.isUnresolved()) {
    const seconds = ttl.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) problems.push(`branchKeys.cacheTtl must be whole seconds from 1 to 86400, got ${seconds}`);
  }
  return problems;
}

/** @internal */
export function createBranchKeys(
  scope: Construct,
  options: EnvelopeBranchKeyOptions,
  owner: BranchKeyOwner,
  logRetention?: logs.RetentionDays,
): BranchKeyResources {
  assertNoProblems(scope, branchKeyProblems(options));
  const logicalStoreName = Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' }) + '-branch-keys';
  const key = new ManagedKey(scope, 'BranchKeyKey', {
    description: `Wraps the branch keys of ${scope.node.path} (and encrypts their store)`,
    ...options.keyProps,
  });
  const table = new dynamodb.Table(scope, 'BranchKeyStore', {
    partitionKey: { name: BRANCH_KEY_CONTEXT.branchKeyId, type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'type', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    removalPolicy: options.storeRemovalPolicy ?? RemovalPolicy.RETAIN,
    deletionProtection: (options.storeRemovalPolicy ?? RemovalPolicy.RETAIN) !== RemovalPolicy.DESTROY,
  });

  // The branch key store's KMS context always carries the store's logical name and the branch key id.
  const storeContext = {
    encryptionContext: { [BRANCH_KEY_CONTEXT.storeName]: logicalStoreName },
    requiredEncryptionContextKeys: [BRANCH_KEY_CONTEXT.branchKeyId],
  };
  const tenants = options.tenants;
  const branchKeyIds = tenants ?? [owner.singleBranchKeyId];

  const provisioner = createCryptoFunction(scope, 'BranchKeyProvisioner', {
    bundle: 'branch-keys',
    description: `${owner.kind}: creates and rotates the branch keys`,
    environment: {},
    options: { memorySize: 256, timeout: Duration.minutes(5), logRetention },
  });
  // Creation and versioning: GenerateDataKeyWithoutPlaintext and ReEncrypt (both sides), Decrypt.
  key.addUser(KeyUser.encryptDecrypt(provisioner.role!, storeContext));
  key.addUser(KeyUser.viaService(provisioner.role!, 'dynamodb', { capability: KeyCapability.ENCRYPT_DECRYPT }));
  table.grant(provisioner, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem');

  const provider = new cr.Provider(scope, 'BranchKeyProvider', {
    onEventHandler: provisioner,
    logGroup: new logs.LogGroup(scope, 'BranchKeyProviderLogs', {
      retention: logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    }),
  });
  const resource = new CustomResource(scope, 'BranchKeys', {
    serviceToken: provider.serviceToken,
    resourceType: 'Custom::EnvelopeBranchKeys',
    properties: {
      TableName: table.tableName,
      LogicalStoreName: logicalStoreName,
      KmsKeyArn: key.keyArn,
      BranchKeyIds: branchKeyIds,
      ContextKey: tenants ? 'tenant' : owner.singleBranchKeyId,
      RotationToken: options.rotationToken ?? '',
    },
  });
  // The key policy and the role policy must be in place before the keys are made.
  resource.node.addDependency(provisioner);
  acceptProviderFindings(provider);

  const environment: Record<string, string> = {
    ENVELOPE_BRANCH_KEY_TABLE: table.tableName,
    ENVELOPE_BRANCH_KEY_STORE_NAME: logicalStoreName,
    ENVELOPE_BRANCH_KEY_KMS_ARN: key.keyArn,
    ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: String(options.cacheTtl?.toSeconds() ?? 300),
    ...(tenants ? { ENVELOPE_BRANCH_KEY_TENANTS: tenants.join(',') } : { ENVELOPE_BRANCH_KEY_ID: owner.singleBranchKeyId }),
  };

  return {
    table,
    key,
    logicalStoreName,
    environment,
    grantUse(role: iam.IRole) {
      key.addUser(KeyUser.decrypt(role, storeContext));
      key.addUser(KeyUser.viaService(role, 'dynamodb', { capability: KeyCapability.DECRYPT }));
      table.grant(role, 'dynamodb:GetItem');
    },
  };
}

function acceptProviderFindings(provider: cr.Provider): void {
  acceptFinding(provider, 'IAM4', "aws-cdk-lib's custom resource framework uses AWSLambdaBasicExecutionRole only to write its own CloudWatch Logs.",
    ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  acceptFinding(provider, 'IAM5', "aws-cdk-lib's custom resource framework may invoke every version of the provisioner function (<arn>:*).");
  acceptFinding(provider, 'L1', "The runtime of aws-cdk-lib's custom resource framework is chosen by aws-cdk-lib and moves with its upgrades.");
}
