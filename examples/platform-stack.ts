/**
 * The demo: a realistic platform stack. An application role, an operator role and a CI deploy
 * role, and keys for different purposes, each with the principals that manage it separated from
 * the ones that use it.
 */
import { Duration, PhysicalName, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CustomStoreKey, ExternalKeyStore, KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey, MultiRegionKey } from '../src';

/** The account that runs disaster recovery and may decrypt backups. */
const DR_ACCOUNT = '222222222222';

export class PlatformStack extends Stack {
  /** The backup key: a multi-Region primary that app.ts replicates to the DR Regions. */
  public readonly backupKey: MultiRegionKey;
  /** The keys the audit stack watches. */
  public readonly auditedKeys: ManagedKey[];
  /** Platform operators, who also administer the audit trail's keys. */
  public readonly operatorRole: iam.Role;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const appRole = new iam.Role(this, 'OrdersServiceRole', {
      description: 'The orders service (Lambda)',
      // A fixed name: the backup key's replicas in other Regions name the role by ARN.
      roleName: PhysicalName.GENERATE_IF_NEEDED,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const reportingRole = new iam.Role(this, 'ReportingRole', {
      description: 'Monthly reports read order data of one tenant',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const operatorRole = this.operatorRole = new iam.Role(this, 'OperatorRole', {
      description: 'Platform operators (through SSO)',
      roleName: PhysicalName.GENERATE_IF_NEEDED,
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const ciDeployRole = new iam.Role(this, 'CiDeployRole', {
      description: 'The CI pipeline: signs release artifacts',
      assumedBy: new iam.AccountRootPrincipal(),
    });

    // Orders data: the service encrypts and decrypts, reporting decrypts one tenant's data only,
    // the service's DynamoDB access goes through DynamoDB, CloudWatch Logs encrypts the log group.
    const ordersKey = new ManagedKey(this, 'OrdersKey', {
      description: 'Orders data',
      aliases: ['orders'],
      administrators: [operatorRole],
      users: [
        KeyUser.encryptDecrypt(appRole, { requiredEncryptionContextKeys: ['order-id'] }),
        KeyUser.decrypt(reportingRole, { encryptionContext: { tenant: 'acme' } }),
        KeyUser.viaService(appRole, 'dynamodb'),
      ],
      services: [KeyService.cloudWatchLogs()],
    });
    new logs.LogGroup(this, 'OrdersLogs', { encryptionKey: ordersKey, retention: logs.RetentionDays.ONE_YEAR });

    // Payment data: STRICT, so no IAM policy anywhere can reach it; only the key policy names users.
    const paymentsKey = new ManagedKey(this, 'PaymentsKey', {
      description: 'Payment tokens',
      aliases: ['payments'],
      posture: KeyPolicyPosture.STRICT,
      administrators: [operatorRole],
      users: [KeyUser.encryptDecrypt(appRole, { encryptionContext: { purpose: 'payment-token' } })],
      rotation: { period: Duration.days(180) },
    });

    // Receipts bucket encrypted with the payments key: the L2 grant lands in the STRICT key policy.
    const receipts = new s3.Bucket(this, 'Receipts', {
      encryptionKey: paymentsKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
    });
    receipts.grantRead(reportingRole);
    this.auditedKeys = [ordersKey, paymentsKey];

    // Release signing: CI signs, the service verifies.
    new ManagedKey(this, 'ReleaseSigningKey', {
      description: 'Signs release artifacts',
      aliases: ['release-signing'],
      keySpec: kms.KeySpec.ECC_NIST_P256,
      administrators: [operatorRole],
      users: [KeyUser.sign(ciDeployRole), KeyUser.verify(appRole)],
    });

    // Session tokens: HMAC.
    new ManagedKey(this, 'SessionMacKey', {
      description: 'MACs of session tokens',
      aliases: ['session-mac'],
      keySpec: kms.KeySpec.HMAC_256,
      administrators: [operatorRole],
      users: [KeyUser.generateVerifyMac(appRole)],
    });

    // Backups: a multi-Region primary that the DR account may decrypt; app.ts replicates it to two
    // DR Regions, each replica with the same roles (and viaService endpoints of its own Region).
    this.backupKey = new MultiRegionKey(this, 'BackupKey', {
      description: 'Backups, replicated to the DR Regions',
      aliases: ['backups'],
      administrators: [operatorRole],
      users: [
        KeyUser.encrypt(appRole),
        KeyUser.viaService(appRole, 'backup', { capability: KeyCapability.DECRYPT }),
        KeyUser.crossAccount(DR_ACCOUNT, KeyCapability.DECRYPT, { callerAccount: DR_ACCOUNT }),
      ],
    });

    // A key from before the platform adopted ManagedKey, still being migrated: rotation was never
    // turned on and its policy has no CreateGrant guard. `lint` shows both findings with their fix.
    const legacyReportsKey = new kms.Key(this, 'LegacyReportsKey', {
      description: 'Reports archive (legacy: migrating to ManagedKey)',
      alias: 'legacy-reports',
      enableKeyRotation: false,
    });
    legacyReportsKey.grantDecrypt(reportingRole);

    // Card vault: key material that never leaves our own HSM, behind an XKS proxy (an XksProxy's
    // connection works the same way) reached through a VPC endpoint service.
    const vault = new ExternalKeyStore(this, 'CardVaultStore', {
      keyStoreName: 'card-vault',
      uriEndpoint: 'https://xks.example.com',
      uriPath: '/cards/kms/xks/v1',
      vpcEndpointServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0',
      credentialSecret: secretsmanager.Secret.fromSecretNameV2(this, 'XksCredential', 'card-vault/xks-credential'),
    });
    new CustomStoreKey(this, 'CardVaultKey', {
      description: 'Card numbers, under a key in our HSM',
      aliases: ['card-vault'],
      keyStore: vault,
      xksKeyId: 'card-vault-1',
      administrators: [operatorRole],
      users: [KeyUser.encryptDecrypt(appRole, { encryptionContext: { purpose: 'card-vault' } })],
    });
  }
}
