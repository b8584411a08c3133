/**
 * The access matrix, cell by cell, for hand-written keys of each posture (templates written
 * without this library) and for ManagedKey and kms.Key stacks.
 * Columns: administer, change policy, delete, disable, encrypt, decrypt, sign, verify, MAC, derive, create grant.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { compact, explainFixtures, explainTemplate, keyOf } from './matrix-support';
import { KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../../../src';
import { CAPABILITIES } from '../../../src/access/explain';

/** The matrix of a template holding one key with this policy. */
function explainOneKey(type: string, statements: object[], properties: object = {}) {
  const template = { Resources: { Key: { Type: type, Properties: { ...properties, KeyPolicy: { Version: '2012-10-17', Statement: statements } } } } };
  return keyOf(explainTemplate('OneKey', template), 'Key');
}

const NA4 = ['not-applicable', 'not-applicable', 'not-applicable', 'not-applicable'];
const ANY_IAM = 'any other IAM principal of this account whose IAM policies allow it';

test('the columns are the eleven capabilities', () => {
  expect(CAPABILITIES.map((c) => c.label)).toEqual([
    'administer', 'change policy', 'delete', 'disable', 'encrypt', 'decrypt', 'sign', 'verify', 'MAC', 'derive', 'create grant',
  ]);
});

describe('hand-written IAM_DELEGATED key', () => {
  const key = keyOf(explainFixtures('iam-delegated.json'), 'Key');

  test('cell by cell', () => {
    expect(compact(key)).toEqual({
      'this account (root)': ['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'allowed', ...NA4, 'conditional'],
      'iam-delegated/AdminRole': ['allowed', 'allowed', 'allowed', 'allowed', 'denied', 'denied', ...NA4, 'denied'],
      'iam-delegated/AppRole': ['denied', 'denied', 'denied', 'denied', 'conditional', 'conditional', ...NA4, 'denied'],
      'account 222233334444': ['denied', 'denied', 'denied', 'denied', 'denied', 'allowed cross-account', ...NA4, 'denied'],
      'iam-delegated/ReaderRole': ['denied', 'denied', 'denied', 'denied', 'denied', 'partial via IAM', ...NA4, 'denied'],
      [ANY_IAM]: ['allowed via IAM', 'allowed via IAM', 'allowed via IAM', 'allowed via IAM', 'allowed via IAM', 'allowed via IAM', ...NA4, 'conditional via IAM'],
    });
  });

  test('conditions, partial actions and row sources are listed', () => {
    const row = (name: string) => key.rows.find((r) => r.principal === name)!;
    expect(row('iam-delegated/AppRole').cells.encrypt.conditions).toEqual(['StringEquals kms:ViaService = dynamodb.${AWS::Region}.amazonaws.com']);
    expect(row('this account (root)').cells['create-grant'].conditions).toEqual([
      'not (BoolIfExists kms:GrantIsForAWSResource = false AND BoolIfExists aws:PrincipalIsAWSService = false)',
    ]);
    expect(row('iam-delegated/ReaderRole').cells.decrypt.allowedActions).toEqual(['kms:Decrypt']);
    expect(row('iam-delegated/ReaderRole').source).toBe('iam-policy');
    expect(row('account 222233334444').cells.decrypt.via).toBe('cross-account');
    expect(row(ANY_IAM).source).toBe('account-iam');
  });
});

describe('hand-written STRICT keys (YAML, short-form tags)', () => {
  const report = explainFixtures('strict.yaml');

  test('symmetric key: no account-root delegation, so IAM policies reach nothing', () => {
    expect(compact(keyOf(report, 'DataKey'))).toEqual({
      '${DeployRoleArn}': ['partial', 'allowed', 'allowed', 'denied', 'denied', 'denied', ...NA4, 'denied'],
      'strict/AdminRole': ['allowed', 'denied', 'allowed', 'allowed', 'denied', 'denied', ...NA4, 'denied'],
      'service logs.${AWS::Region}.amazonaws.com': ['denied', 'denied', 'denied', 'denied', 'conditional', 'conditional', ...NA4, 'denied'],
    });
  });

  test('signing key: only sign and verify apply', () => {
    const key = keyOf(report, 'SigningKey');
    expect(compact(key)).toEqual({
      'strict/SignerRole': ['denied', 'denied', 'denied', 'denied', 'not-applicable', 'not-applicable', 'allowed', 'conditional', 'not-applicable', 'not-applicable', 'denied'],
      'anyone (*)': ['denied', 'denied', 'denied', 'denied', 'not-applicable', 'not-applicable', 'partial', 'conditional', 'not-applicable', 'not-applicable', 'denied'],
    });
    expect(key.rows[1].cells.verify.conditions).toEqual(['StringEquals aws:PrincipalOrgID = o-exampleorg']);
    expect(key.rows[1].cells.sign.allowedActions).toEqual(['kms:GetPublicKey']);
  });
});

test('a replica key: its spec is unknown, so every capability is shown, with the symmetric action sets', () => {
  const key = explainOneKey('AWS::KMS::ReplicaKey', [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/reader' }, Action: ['kms:Decrypt', 'kms:ReEncryptFrom'], Resource: '*' },
  ], { PrimaryKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234' });
  expect(key).toMatchObject({ resourceType: 'AWS::KMS::ReplicaKey', keySpec: 'unknown', keyUsage: 'unknown' });
  // The role is in another account than the templates' own: the key policy allows, its own IAM must too.
  const cells = Array(11).fill('denied');
  cells[5] = 'allowed cross-account';
  expect(compact(key)).toEqual({ 'arn:aws:iam::111122223333:role/reader': cells });
});

test('a key without a KeyPolicy gets the default key policy: the account root, and through it IAM', () => {
  const key = keyOf(explainTemplate('Bare', { Resources: { Key: { Type: 'AWS::KMS::Key', Properties: {} } } }), 'Key');
  expect(compact(key)).toEqual({
    'this account (root)': [...Array(6).fill('allowed'), ...NA4, 'allowed'],
    [ANY_IAM]: [...Array(6).fill('allowed via IAM'), ...NA4, 'allowed via IAM'],
  });
});

test('an Allow with NotPrincipal reaches everyone except the principals it lists', () => {
  const blocked = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/blocked' };
  const key = explainOneKey('AWS::KMS::Key', [{ Effect: 'Allow', NotPrincipal: { AWS: blocked }, Action: 'kms:Decrypt', Resource: '*' }]);
  expect(compact(key)).toEqual({
    'anyone except arn:aws:iam::${AWS::AccountId}:role/blocked': ['denied', 'denied', 'denied', 'denied', 'denied', 'partial', ...NA4, 'denied'],
  });
});

test('conditions: alternatives on one side are OR-ed, the key-policy side and the IAM side must both hold', () => {
  const root = { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } };
  const template = {
    Resources: {
      Worker: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
      WorkerPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Worker' }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] },
        },
      },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          KeyPolicy: {
            Statement: [
              { Effect: 'Allow', Principal: root, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } },
              { Effect: 'Allow', Principal: root, Action: 'kms:Decrypt', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
            ],
          },
        },
      },
    },
  };
  const key = keyOf(explainTemplate('Both', template), 'Key');
  const worker = key.rows.find((r) => r.principal === 'Both/Worker')!;
  expect(worker.cells.decrypt).toEqual({
    status: 'partial',
    via: 'iam',
    allowedActions: ['kms:Decrypt'],
    conditions: [
      'any of: (StringEquals kms:ViaService = s3.eu-west-1.amazonaws.com) OR (Bool aws:SecureTransport = true)',
      'IpAddress aws:SourceIp = 10.0.0.0/8',
    ],
  });
});

describe('CDK stacks', () => {
  function synth(build: (stack: Stack) => void) {
    const app = new App();
    const stack = new Stack(app, 'Keys');
    build(stack);
    return app.synth().getStackByName('Keys').template;
  }

  test('ManagedKey IAM_DELEGATED with an administrator and an encryption-context user', () => {
    const template = synth((stack) => {
      const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
      const user = new iam.Role(stack, 'User', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new ManagedKey(stack, 'Key', { administrators: [admin], users: [KeyUser.encryptDecrypt(user, { encryptionContext: { table: 'orders' } })] });
    });
    const key = keyOf(explainTemplate('Keys', template), 'Key');
    const rows = compact(key);
    expect(rows['this account (root)']).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'allowed', ...NA4, 'conditional']);
    const admin = Object.keys(rows).find((r) => r.includes('Admin'))!;
    const user = Object.keys(rows).find((r) => r.includes('User'))!;
    expect(rows[admin]).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'denied', 'denied', ...NA4, 'denied']);
    expect(rows[user]).toEqual(['denied', 'denied', 'denied', 'denied', 'conditional', 'conditional', ...NA4, 'denied']);
    expect(key.rows.find((r) => r.principal === user)!.cells.decrypt.conditions).toEqual(['StringEquals kms:EncryptionContext:table = orders']);
    expect(rows[ANY_IAM]).toEqual([...Array(6).fill('allowed via IAM'), ...NA4, 'conditional via IAM']);
  });

  test('ManagedKey with a CloudWatch Logs service and a cross-account user: the own account shows as the template says', () => {
    const template = synth((stack) => {
      new ManagedKey(stack, 'Key', { users: [KeyUser.crossAccount('111122223333', KeyCapability.DECRYPT)], services: [KeyService.cloudWatchLogs()] });
    });
    const key = keyOf(explainTemplate('Keys', template), 'Key');
    const rows = compact(key);
    expect(rows['account 111122223333']).toEqual(['denied', 'denied', 'denied', 'denied', 'denied', 'allowed cross-account', ...NA4, 'denied']);
    const logs = key.rows.find((r) => r.principal.startsWith('service logs.'))!;
    expect(logs.principal).toBe('service logs.${AWS::Region}.${AWS::URLSuffix}');
    expect(rows[logs.principal]).toEqual(['denied', 'denied', 'denied', 'denied', 'conditional', 'conditional', ...NA4, 'denied']);
    expect(logs.cells.encrypt.conditions.join(' ')).toContain('aws:SourceAccount = ${AWS::AccountId}');
  });

  test('ManagedKey STRICT: administrators cannot change the policy and nothing reaches the key via IAM', () => {
    const template = synth((stack) => {
      const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
      const user = new iam.Role(stack, 'User', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      user.addToPolicy(new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'] }));
      new ManagedKey(stack, 'Key', { administrators: [admin], posture: KeyPolicyPosture.STRICT, users: [KeyUser.encrypt(user)] });
    });
    const key = keyOf(explainTemplate('Keys', template), 'Key');
    const rows = compact(key);
    expect(rows['this account (root)']).toBeUndefined();
    expect(rows[ANY_IAM]).toBeUndefined();
    const admin = Object.keys(rows).find((r) => r.includes('Admin'))!;
    const user = Object.keys(rows).find((r) => r.includes('User'))!;
    expect(rows[admin]).toEqual(['allowed', 'denied', 'allowed', 'allowed', 'denied', 'denied', ...NA4, 'denied']);
    expect(rows[user]).toEqual(['denied', 'denied', 'denied', 'denied', 'allowed', 'denied', ...NA4, 'denied']);
    const policyManager = key.rows.find((r) => r.principal.includes('cfn-exec-role'))!;
    expect(policyManager.cells['change-policy'].status).toBe('allowed');
  });

  test('kms.Key with grantDecrypt: the grantee reaches the key only via IAM, and only kms:Decrypt', () => {
    const template = synth((stack) => {
      const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new kms.Key(stack, 'Plain').grantDecrypt(reader);
    });
    const rows = compact(keyOf(explainTemplate('Keys', template), 'Plain'));
    const reader = Object.keys(rows).find((r) => r.includes('Reader'))!;
    expect(rows[reader]).toEqual(['denied', 'denied', 'denied', 'denied', 'denied', 'partial via IAM', ...NA4, 'denied']);
    expect(rows['this account (root)']).toEqual([...Array(6).fill('allowed'), ...NA4, 'allowed']);
  });
});
