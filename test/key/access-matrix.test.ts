/**
 * Who can do what with a ManagedKey, in both postures, proven by iam-simulate over the synthesized
 * key policy plus the principals' synthesized identity policies (test/support/iam.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { KeyActions, KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { CFN_EXEC_ROLE_ARN, FAKE_ENV, KeyAccess, logicalIdOf, simulateKeyRequest } from '../support/iam';
import { synthTemplate } from '../support/template';

const ROOT_ARN = `arn:aws:iam::${FAKE_ENV.account}:root`;
const DYNAMODB_ENDPOINT = `dynamodb.${FAKE_ENV.region}.${FAKE_ENV.urlSuffix}`;
const CRYPTO_ACTIONS = [...KeyActions.ENCRYPT_SYMMETRIC, ...KeyActions.DECRYPT_SYMMETRIC].filter((a) => a !== 'kms:DescribeKey');
const SERVICE_PRINCIPAL = 'sns.amazonaws.com';
const USER_FORBIDDEN_ACTIONS = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey'];

interface Fixture {
  readonly access: KeyAccess;
  readonly key: ManagedKey;
  readonly admin: iam.Role;
  readonly user: iam.Role;
  readonly viaUser: iam.Role;
  readonly contextUser: iam.Role;
  readonly grantUser: iam.Role;
  /** Gets decrypt through `bucket.grantRead`, an L2 grant, not through `users`. */
  readonly bucketReader: iam.Role;
  /** Has an identity policy allowing kms:CreateGrant on the key, and nothing in the key policy. */
  readonly bystander: iam.Role;
}

function fixture(posture: KeyPolicyPosture): Fixture {
  const stack = new Stack(new App(), 'Stack');
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const [admin, user, viaUser, contextUser, grantUser, bucketReader, bystander] =
    ['Admin', 'User', 'ViaUser', 'ContextUser', 'GrantUser', 'BucketReader', 'Bystander'].map(role);
  const key = new ManagedKey(stack, 'Key', {
    posture,
    administrators: [admin],
    users: [
      KeyUser.encryptDecrypt(user),
      KeyUser.viaService(viaUser, 'dynamodb'),
      KeyUser.encryptDecrypt(contextUser, { encryptionContext: { table: 'orders' } }),
      KeyUser.grantForAwsResources(grantUser),
    ],
    services: [KeyService.custom(SERVICE_PRINCIPAL, KeyCapability.ENCRYPT_DECRYPT)],
  });
  new s3.Bucket(stack, 'Bucket', { encryptionKey: key, enforceSSL: true }).grantRead(bucketReader);
  bystander.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:CreateGrant'], resources: [key.keyArn] }));
  const access = KeyAccess.of(synthTemplate(stack), key);
  return { access, key, admin, user, viaUser, contextUser, grantUser, bucketReader, bystander };
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s ManagedKey access matrix', (posture) => {
  const f = fixture(posture);
  const inTemplate = [f.admin, f.user, f.viaUser, f.contextUser, f.grantUser, f.bucketReader, f.bystander];

  test('administrators manage the key but cannot encrypt or decrypt', async () => {
    for (const action of CRYPTO_ACTIONS) {
      await expect(f.access.canDo(f.admin, action)).resolves.toBe('ImplicitlyDenied');
    }
    for (const action of ['kms:DescribeKey', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:EnableKeyRotation']) {
      await expect(f.access.canDo(f.admin, action)).resolves.toBe('Allowed');
    }
  });

  test('users encrypt and decrypt but cannot change, disable or delete the key', async () => {
    for (const action of CRYPTO_ACTIONS) {
      await expect(f.access.canDo(f.user, action)).resolves.toBe('Allowed');
    }
    for (const action of USER_FORBIDDEN_ACTIONS) {
      for (const user of [f.user, f.viaUser, f.contextUser, f.grantUser, f.bucketReader]) {
        await expect(f.access.canDo(user, action)).resolves.toBe('ImplicitlyDenied');
      }
    }
  });

  test('a viaService user is allowed only through that service', async () => {
    await expect(f.access.canDo(f.viaUser, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo(f.viaUser, 'kms:Decrypt', { 'kms:ViaService': `s3.${FAKE_ENV.region}.${FAKE_ENV.urlSuffix}` }))
      .resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo(f.viaUser, 'kms:Decrypt', { 'kms:ViaService': DYNAMODB_ENDPOINT })).resolves.toBe('Allowed');
    await expect(f.access.canDo(f.viaUser, 'kms:GenerateDataKey', { 'kms:ViaService': DYNAMODB_ENDPOINT })).resolves.toBe('Allowed');
  });

  test('an encryption-context user is bound to its exact context', () => {
    // iam-simulate drops kms:EncryptionContext:<key> condition keys (see test/support/iam.ts), so it
    // can neither allow with the right context nor deny for the right reason. Instead: the exact
    // condition block in the template, and our own evaluator (src/access/evaluator) for the decision.
    const contextUserArn = f.access.principalArn(f.contextUser);
    const statements = (f.access.keyPolicy as any).Statement.filter((s: any) => [s.Principal?.AWS].flat().includes(contextUserArn));
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:table': 'orders' } });

    const decide = (encryptionContext?: Record<string, string>) => evaluateKeyAccess({
      keyPolicy: f.access.keyPolicy,
      identityPolicies: f.access.identityPolicies(f.contextUser).map((p) => p.policy),
      request: { principal: contextUserArn, action: 'kms:Decrypt', keyArn: f.access.keyArn, encryptionContext },
    }).decision;
    expect(decide({ table: 'orders' })).toBe('Allow');
    expect(decide({ table: 'orders', extra: 'x' })).toBe('Allow');
    expect(decide({ table: 'payments' })).toBe('ImplicitDeny');
    expect(decide({ other: 'orders' })).toBe('ImplicitDeny');
    expect(decide()).toBe('ImplicitDeny');
  });

  test('bucket.grantRead(role) lets the role decrypt with the key', async () => {
    await expect(f.access.canDo(f.bucketReader, 'kms:Decrypt')).resolves.toBe('Allowed');
    await expect(f.access.canDo(f.bucketReader, 'kms:Encrypt')).resolves.toBe('ImplicitlyDenied');
  });

  test(`bucket.grantRead(role) works ${posture === KeyPolicyPosture.STRICT ? 'through the key policy' : 'through IAM and the root statement'}`, async () => {
    const keyPolicyOnly = await simulateKeyRequest({
      keyPolicy: f.access.keyPolicy,
      identityPolicies: [],
      principalArn: f.access.principalArn(f.bucketReader),
      action: 'kms:Decrypt',
      keyArn: f.access.keyArn,
    });
    const withoutRoot = await simulateKeyRequest({
      keyPolicy: { ...f.access.keyPolicy, Statement: (f.access.keyPolicy as any).Statement.filter((s: any) => s.Sid !== 'AccountRootDelegatesToIam') },
      identityPolicies: f.access.identityPolicies(f.bucketReader),
      principalArn: f.access.principalArn(f.bucketReader),
      action: 'kms:Decrypt',
      keyArn: f.access.keyArn,
    });

    const viaKeyPolicy = posture === KeyPolicyPosture.STRICT;
    expect(keyPolicyOnly.decision).toBe(viaKeyPolicy ? 'Allowed' : 'ImplicitlyDenied');
    expect(withoutRoot.decision).toBe(viaKeyPolicy ? 'Allowed' : 'ImplicitlyDenied');
  });

  test('a service uses the key only on behalf of the key\'s account (aws:SourceAccount)', async () => {
    await expect(f.access.canDo(SERVICE_PRINCIPAL, 'kms:GenerateDataKey', { 'aws:SourceAccount': FAKE_ENV.account })).resolves.toBe('Allowed');
    await expect(f.access.canDo(SERVICE_PRINCIPAL, 'kms:GenerateDataKey', { 'aws:SourceAccount': '222222222222' })).resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo(SERVICE_PRINCIPAL, 'kms:GenerateDataKey')).resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo('sqs.amazonaws.com', 'kms:GenerateDataKey', { 'aws:SourceAccount': FAKE_ENV.account })).resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo(SERVICE_PRINCIPAL, 'kms:PutKeyPolicy', { 'aws:SourceAccount': FAKE_ENV.account })).resolves.toBe('ImplicitlyDenied');
  });

  test('the CreateGrant guard denies grants that are not for an AWS resource', async () => {
    await expect(f.access.canDo(f.grantUser, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'true' })).resolves.toBe('Allowed');
    // The default request context is a direct call: kms:GrantIsForAWSResource=false.
    await expect(f.access.canDo(f.grantUser, 'kms:CreateGrant')).resolves.toBe('ExplicitlyDenied');
    await expect(f.access.canDo(f.bystander, 'kms:CreateGrant')).resolves.toBe('ExplicitlyDenied');
    await expect(f.access.canDo(f.admin, 'kms:CreateGrant')).resolves.toBe('ExplicitlyDenied');
  });

  if (posture === KeyPolicyPosture.STRICT) {
    test('STRICT: only the CloudFormation execution role (the policy manager) can change the key policy', async () => {
      await expect(f.access.canDo(CFN_EXEC_ROLE_ARN, 'kms:PutKeyPolicy')).resolves.toBe('Allowed');
      await expect(f.access.canDo(CFN_EXEC_ROLE_ARN, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
      for (const principal of [...inTemplate, ROOT_ARN]) {
        await expect(f.access.canDo(principal, 'kms:PutKeyPolicy')).resolves.toBe('ImplicitlyDenied');
      }
    });

    test('STRICT: an IAM policy made outside the app grants nothing', async () => {
      const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };
      const outside = await simulateKeyRequest({
        keyPolicy: f.access.keyPolicy,
        identityPolicies: [{ name: 'made-in-the-console', policy: everything }],
        principalArn: `arn:aws:iam::${FAKE_ENV.account}:role/Stranger`,
        action: 'kms:Decrypt',
        keyArn: f.access.keyArn,
      });
      expect(outside.decision).toBe('ImplicitlyDenied');
      await expect(f.access.canDo(ROOT_ARN, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
    });

    test('STRICT: an IAM policy in the app that names the key is mirrored into the key policy, as far as STRICT allows', async () => {
      // The bystander's IAM policy allows kms:CreateGrant on the key: STRICT keeps it for AWS resources only.
      const keyPolicyOnly = (context: Record<string, string>) => simulateKeyRequest({
        keyPolicy: f.access.keyPolicy, identityPolicies: [], principalArn: f.access.principalArn(f.bystander), action: 'kms:CreateGrant', keyArn: f.access.keyArn, context,
      });
      expect((await keyPolicyOnly({ 'kms:GrantIsForAWSResource': 'true' })).decision).toBe('Allowed');
      expect((await keyPolicyOnly({ 'kms:GrantIsForAWSResource': 'false' })).decision).not.toBe('Allowed');
    });
  } else {
    test('IAM_DELEGATED: administrators and IAM policies (through the root statement) can change the key policy', async () => {
      await expect(f.access.canDo(f.admin, 'kms:PutKeyPolicy')).resolves.toBe('Allowed');
      await expect(f.access.canDo(f.bystander, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'true' })).resolves.toBe('Allowed');
      await expect(f.access.canDo(CFN_EXEC_ROLE_ARN, 'kms:PutKeyPolicy')).resolves.toBe('ImplicitlyDenied');
    });
  }

  test('principals named nowhere can do nothing', async () => {
    await expect(f.access.canDo(`arn:aws:iam::${FAKE_ENV.account}:role/Stranger`, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
    await expect(f.access.canDo('arn:aws:iam::222222222222:role/Other', 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
    expect(logicalIdOf(f.key)).toBe(f.access.keyLogicalId);
  });
});
