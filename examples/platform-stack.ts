/**
 * The demo: a realistic platform stack. An application role, an operator role and a CI deploy
 * role, and keys for different purposes, each with the principals that manage it separated from
 * the ones that use it.
 */
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../src';

/** The account that runs disaster recovery and may decrypt backups. */
const DR_ACCOUNT = '222222222222';

export class PlatformStack extends Stack {
  /** The keys the audit stack watches. */
  public readonly auditedKeys: ManagedKey[];
  /** Platform operators, who also administer the audit trail's keys. */
  public readonly operatorRole: iam.Role;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const appRole = new iam.Role(this, 'OrdersServiceRole', {
      description: 'The orders service (Lambda)',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const reportingRole = new iam.Role(this, 'ReportingRole', {
      description: 'Monthly reports read order data of one tenant',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const operatorRole = this.operatorRole = new iam.Role(this, 'OperatorRole', {
      description: 'Platform operators (through SSO)',
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

    // Backups: a multi-Region primary that the DR account may decrypt.
    new ManagedKey(this, 'BackupKey', {
      description: 'Backups, replicated to the DR Region',
      aliases: ['backups'],
      multiRegion: true,
      administrators: [operatorRole],
      users: [
        KeyUser.encrypt(appRole),
        KeyUser.crossAccount(DR_ACCOUNT, KeyCapability.DECRYPT, { callerAccount: DR_ACCOUNT }),
      ],
    });
  }
}
