/**
 * Who can do what, judged by iam-simulate: the store handler's role is least privilege (store calls,
 * keys of its store's origin, its own secrets, nothing cryptographic), and keys in custom stores
 * grant like ManagedKey in both postures.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { externalStore, storeFixture } from './fixtures';
import { CustomStoreKey, KeyPolicyPosture, KeyUser } from '../../src';
import { canDo, FAKE_ENV, KeyAccess, logicalIdOf } from '../support/iam';
import { synthTemplate } from '../support/template';

/** A key policy that delegates to IAM (the handler's rights then come from its IAM policy alone). */
const DELEGATING_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${FAKE_ENV.account}:root` }, Action: 'kms:*', Resource: '*' }] };
const KEY_ARN = `arn:aws:kms:${FAKE_ENV.region}:${FAKE_ENV.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function setup(posture?: KeyPolicyPosture) {
  const f = storeFixture();
  const store = externalStore(f);
  const other = new secretsmanager.Secret(f.stack, 'OtherSecret');
  const key = new CustomStoreKey(f.stack, 'Key', { keyStore: store, xksKeyId: 'k1', posture, users: [KeyUser.decrypt(f.appRole)] });
  const template = synthTemplate(f.stack);
  return { f, store, key, other, template, access: KeyAccess.of(template, key.resource) };
}

function handlerRoleId(template: Template): string {
  return Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('XksHandlerRole'))!;
}

describe('the store handler role (least privilege)', () => {
  const { template, access, other, f } = setup();
  const role = handlerRoleId(template);
  const identityPolicies = access.identityPolicies(role);
  const principalArn = access.principalArn(role);
  const ask = async (action: string, resource: string, context: Record<string, string> = {}) => resource === '*' ? askWithoutResource(action, context) : canDo({
    keyPolicy: resource.includes(':secretsmanager:') ? { Version: '2012-10-17', Statement: [] } : DELEGATING_POLICY,
    identityPolicies,
    principalArn,
    action,
    keyArn: resource,
    context: { 'aws:RequestedRegion': FAKE_ENV.region, ...context },
  });

  /** Actions IAM authorizes on no resource: the simulator takes "*" and no resource policy. */
  async function askWithoutResource(action: string, context: Record<string, string>): Promise<string> {
    const response = await runSimulation({
      request: {
        principal: principalArn,
        action,
        resource: { resource: '*', accountId: FAKE_ENV.account },
        contextVariables: { 'aws:PrincipalArn': principalArn, 'aws:PrincipalAccount': FAKE_ENV.account, 'kms:CallerAccount': FAKE_ENV.account, 'aws:RequestedRegion': FAKE_ENV.region, ...context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    }, {});
    if (response.resultType !== 'single') throw new Error(JSON.stringify(response));
    return response.overallResult;
  }

  test.each(['kms:CreateCustomKeyStore', 'kms:ConnectCustomKeyStore', 'kms:DescribeCustomKeyStores', 'kms:DisconnectCustomKeyStore',
    'kms:UpdateCustomKeyStore', 'kms:DeleteCustomKeyStore'])('may %s in its Region (IAM takes only "*" for it)', async (action) => {
    expect(await ask(action, '*')).toBe('Allowed');
  });

  test('may not manage custom key stores in another Region', async () => {
    expect(await ask('kms:ConnectCustomKeyStore', '*', { 'aws:RequestedRegion': 'eu-central-1' })).toBe('ImplicitlyDenied');
  });

  test.each(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:DescribeKey', 'kms:DisableKey'])(
    'may %s keys of external key stores only', async (action) => {
      expect(await ask(action, KEY_ARN, { 'kms:KeyOrigin': 'EXTERNAL_KEY_STORE' })).toBe('Allowed');
      expect(await ask(action, KEY_ARN, { 'kms:KeyOrigin': 'AWS_KMS' })).toBe('ImplicitlyDenied');
      expect(await ask(action, KEY_ARN, { 'kms:KeyOrigin': 'AWS_CLOUDHSM' })).toBe('ImplicitlyDenied');
    });

  test('may create keys only in external key stores', async () => {
    expect(await ask('kms:CreateKey', '*', { 'kms:KeyOrigin': 'EXTERNAL_KEY_STORE' })).toBe('Allowed');
    expect(await ask('kms:CreateKey', '*', { 'kms:KeyOrigin': 'AWS_KMS' })).toBe('ImplicitlyDenied');
  });

  test.each(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:CancelKeyDeletion', 'kms:ReplicateKey'])(
    'may not %s any key', async (action) => {
      expect(await ask(action, KEY_ARN, { 'kms:KeyOrigin': 'EXTERNAL_KEY_STORE' })).toBe('ImplicitlyDenied');
    });

  test('reads its credential secret and no other', async () => {
    const credential = access.principalArn(logicalIdOf(f.credential));
    const otherArn = access.principalArn(logicalIdOf(other));
    expect(await ask('secretsmanager:GetSecretValue', credential)).toBe('Allowed');
    expect(await ask('secretsmanager:GetSecretValue', otherArn)).toBe('ImplicitlyDenied');
    expect(await ask('secretsmanager:PutSecretValue', credential)).toBe('ImplicitlyDenied');
  });
});

describe('key users', () => {
  test.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s: the user decrypts, does not encrypt or administer', async (posture) => {
    const { access, f } = setup(posture);
    expect(await access.canDo(f.appRole, 'kms:Decrypt')).toBe('Allowed');
    expect(await access.canDo(f.appRole, 'kms:Encrypt')).toBe('ImplicitlyDenied');
    expect(await access.canDo(f.appRole, 'kms:PutKeyPolicy')).toBe('ImplicitlyDenied');
  });

  test('STRICT: the handler changes the policy and schedules deletion through the key policy; it cannot decrypt', async () => {
    const { access, template } = setup(KeyPolicyPosture.STRICT);
    const role = handlerRoleId(template);
    const context = { 'kms:KeyOrigin': 'EXTERNAL_KEY_STORE' };
    expect(await access.canDo(role, 'kms:PutKeyPolicy', context)).toBe('Allowed');
    expect(await access.canDo(role, 'kms:ScheduleKeyDeletion', context)).toBe('Allowed');
    expect(await access.canDo(role, 'kms:Decrypt', context)).toBe('ImplicitlyDenied');
    // The account root has no statement in STRICT.
    expect(await access.canDo(`arn:aws:iam::${FAKE_ENV.account}:root`, 'kms:PutKeyPolicy')).toBe('ImplicitlyDenied');
  });
});
