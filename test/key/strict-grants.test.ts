/**
 * STRICT and the grants aws-cdk-lib makes without calling the key, the account-root statements it
 * adds, and what the deployer needs for encrypted resources.
 */
import { App, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KeyPolicyPosture, ManagedKey, ManagedKeyProps } from '../../src';
import { CFN_EXEC_ROLE_ARN, FAKE_ENV, KeyAccess } from '../support/iam';
import { synthTemplate } from '../support/template';

const ENV = { account: FAKE_ENV.account, region: FAKE_ENV.region };

function strictStack(props: ManagedKeyProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const key = new ManagedKey(stack, 'Key', { posture: KeyPolicyPosture.STRICT, ...props });
  return { app, stack, role, key };
}

const statementsOf = (access: KeyAccess): any[] => (access.keyPolicy as any).Statement;

describe('grants that never call the key', () => {
  test('KeyGrants.fromKey(key).decrypt(role) takes effect through the key policy', async () => {
    const { stack, role, key } = strictStack();
    kms.KeyGrants.fromKey(key).decrypt(role);
    const access = KeyAccess.of(synthTemplate(stack), key);
    await expect(access.canDo(role, 'kms:Decrypt')).resolves.toBe('Allowed');
    await expect(access.canDo(role, 'kms:Encrypt')).resolves.toBe('ImplicitlyDenied');
    // The key policy alone allows it (the IAM policy is not needed in STRICT).
    expect(statementsOf(access).some((s) => s.Principal?.AWS === access.principalArn(role) && [s.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });

  test('an identity statement keeps its conditions in the key policy', () => {
    const { stack, role, key } = strictStack();
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'], resources: [key.keyArn], conditions: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
    }));
    const access = KeyAccess.of(synthTemplate(stack), key);
    const mirrored = statementsOf(access).find((s) => s.Principal?.AWS === access.principalArn(role));
    expect(mirrored).toMatchObject({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } } });
  });

  test('KeyGrants.fromKey(key).admin(role) is refused in STRICT with the fix', () => {
    const { stack, role, key } = strictStack();
    kms.KeyGrants.fromKey(key).admin(role);
    expect(() => synthTemplate(stack)).toThrow(/only administrators \(ManagedKeyProps.administrators\) and the policy manager hold/);
  });

  test.each([
    ['a group', (stack: Stack, key: ManagedKey) => {
      const group = new iam.Group(stack, 'Group');
      kms.KeyGrants.fromKey(key).decrypt(group);
    }, /a key policy cannot name a group/],
    ['a role imported by name', (stack: Stack, key: ManagedKey) => {
      kms.KeyGrants.fromKey(key).decrypt(iam.Role.fromRoleName(stack, 'Imported', 'legacy-role'));
    }, /a principal the key cannot name/],
    ['a role whose own inline policy names the key', (stack: Stack, key: ManagedKey) => {
      new iam.Role(stack, 'Inline', {
        assumedBy: new iam.AccountRootPrincipal(),
        inlinePolicies: { kms: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] })] }) },
      });
    }, /dependency cycle/],
  ])('%s cannot be mirrored: synth fails with the fix', (_name, build, error) => {
    const { stack, key } = strictStack();
    build(stack, key);
    expect(() => synthTemplate(stack)).toThrow(error);
  });

  test('a grant written in another stack is refused with the fix', () => {
    const { app, key } = strictStack();
    const other = new Stack(app, 'Other', { env: ENV });
    const role = new iam.Role(other, 'Remote', { assumedBy: new iam.AccountRootPrincipal() });
    kms.KeyGrants.fromKey(key).decrypt(role);
    expect(() => app.synth()).toThrow(/from another stack.*grant through the key instead/);
  });

  test('IAM_DELEGATED leaves identity grants to IAM', () => {
    const { stack, role, key } = strictStack({ posture: KeyPolicyPosture.IAM_DELEGATED });
    kms.KeyGrants.fromKey(key).decrypt(role);
    const access = KeyAccess.of(synthTemplate(stack), key);
    expect(statementsOf(access).some((s) => s.Principal?.AWS === access.principalArn(role))).toBe(false);
  });
});

describe('account-root statements in STRICT', () => {
  test('root without kms:ViaService is refused', () => {
    const { stack, key } = strictStack();
    key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], principals: [new iam.AccountRootPrincipal()], resources: ['*'] }));
    expect(() => synthTemplate(stack)).toThrow(/gives the account root use of the key.*STRICT posture cannot keep it/);
  });

  test.each([
    ['AccountRootPrincipal', () => new iam.AccountRootPrincipal()],
    ['AccountPrincipal(own account)', () => new iam.AccountPrincipal(FAKE_ENV.account)],
    ['ArnPrincipal(...:root)', () => new iam.ArnPrincipal(`arn:aws:iam::${FAKE_ENV.account}:root`)],
  ])('root as %s with kms:ViaService becomes the policy manager', async (_name, root) => {
    const { stack, key } = strictStack();
    key.grant(new kms.ViaServicePrincipal(`dynamodb.${FAKE_ENV.region}.amazonaws.com`, root()), 'kms:DescribeKey', 'kms:CreateGrant');
    const access = KeyAccess.of(synthTemplate(stack), key);
    const via = { 'kms:ViaService': `dynamodb.${FAKE_ENV.region}.amazonaws.com` };
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:DescribeKey', via)).resolves.toBe('Allowed');
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:CreateGrant', { ...via, 'kms:GrantIsForAWSResource': 'true' })).resolves.toBe('Allowed');
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:CreateGrant', via)).resolves.not.toBe('Allowed');
    await expect(access.canDo(`arn:aws:iam::${FAKE_ENV.account}:root`, 'kms:DescribeKey', via)).resolves.toBe('ImplicitlyDenied');
  });

  test('secretsmanager.Secret needs allowAdministratorAsUser, and says so', () => {
    const { stack, key } = strictStack();
    new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
    expect(() => synthTemplate(stack)).toThrow(/policy manager.*set allowAdministratorAsUser: true to accept this/);
  });

  test('with allowAdministratorAsUser, CloudFormation creates the secret through Secrets Manager only', async () => {
    const { stack, key } = strictStack({ allowAdministratorAsUser: true });
    new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
    // allowAdministratorAsUser: KMS3 reports the deployer's use through the service, on purpose.
    const access = KeyAccess.of(synthTemplate(stack, { acceptLintFindings: ['KMS3'] }), key);
    const via = { 'kms:ViaService': `secretsmanager.${FAKE_ENV.region}.amazonaws.com` };
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:GenerateDataKey', via)).resolves.toBe('Allowed');
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:GenerateDataKey')).resolves.toBe('ImplicitlyDenied');
    await expect(access.canDo(CFN_EXEC_ROLE_ARN, 'kms:Decrypt', { 'kms:ViaService': `s3.${FAKE_ENV.region}.amazonaws.com` })).resolves.toBe('ImplicitlyDenied');
  });

  test('actions aws-cdk-lib adds to a grant afterwards are expanded too (ec2.Volume from a snapshot)', () => {
    const { stack, key } = strictStack({ allowAdministratorAsUser: true });
    new ec2.Volume(stack, 'Volume', { availabilityZone: `${FAKE_ENV.region}a`, size: Size.gibibytes(1), encryptionKey: key, encrypted: true, snapshotId: 'snap-1234567890abcdef0' });
    const actions = statementsOf(KeyAccess.of(synthTemplate(stack, { acceptLintFindings: ['KMS3'] }), key)).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext']));
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });
});
