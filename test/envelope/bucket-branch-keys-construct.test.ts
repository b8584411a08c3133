/**
 * EnvelopeEncryptedBucket with `branchKeys`: the branch key store, its ManagedKey (who may use it,
 * with which KMS encryption context: our evaluator, since iam-simulate ignores context keys), the
 * custom resource that creates the branch keys, the functions' environment, synth-time validation
 * and cdk-nag.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { readBranchKeyConfig } from '../../lambda/envelope/branch-key-config';
import { EnvelopeBranchKeyOptions, EnvelopeEncryptedBucket, KeyUser } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { nagFindings } from '../support/compliance';
import { KeyAccess, logicalIdOf } from '../support/iam';
import { synthTemplate } from '../support/template';

function build(branchKeys: EnvelopeBranchKeyOptions) {
  const stack = new Stack(new App(), 'Stack');
  const docs = new EnvelopeEncryptedBucket(stack, 'Docs', { branchKeys });
  return { stack, docs };
}

const built = build({ tenants: ['acme', 'globex'], cacheTtl: Duration.minutes(10), rotationToken: '2026-12' });
const acmeOnly = new iam.Role(built.stack, 'AcmeReader', { assumedBy: new iam.AccountRootPrincipal() });
// A role limited to one tenant: Decrypt of branch keys only with that tenant's branch-key-id.
built.docs.branchKeyKey!.addUser(KeyUser.decrypt(acmeOnly, {
  encryptionContext: { 'branch-key-id': 'acme', 'tablename': built.docs.branchKeyStoreName! },
}));
const template = synthTemplate(built.stack);
const json = template.toJSON();
const functions = [built.docs.cryptoFunction, built.docs.intakeFunction, built.docs.readFunction];

test('the branch key store: the ESDK key schema, PITR, encrypted under the branch key key, retained', () => {
  template.hasResource('AWS::DynamoDB::Table', {
    Properties: {
      KeySchema: [{ AttributeName: 'branch-key-id', KeyType: 'HASH' }, { AttributeName: 'type', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'branch-key-id', AttributeType: 'S' }, { AttributeName: 'type', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(built.docs.branchKeyKey!), 'Arn'] } },
    },
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
  });
  template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true, Description: Match.stringLikeRegexp('branch keys') }, DeletionPolicy: 'Retain' });
});

test('the custom resource creates one branch key per tenant and carries the rotation token', () => {
  template.hasResourceProperties('Custom::EnvelopeBranchKeys', {
    TableName: { Ref: logicalIdOf(built.docs.branchKeyStore!) },
    LogicalStoreName: built.docs.branchKeyStoreName,
    KmsKeyArn: { 'Fn::GetAtt': [logicalIdOf(built.docs.branchKeyKey!), 'Arn'] },
    BranchKeyIds: ['acme', 'globex'],
    ContextKey: 'tenant',
    RotationToken: '2026-12',
  });
});

test('every function gets the branch key environment, and it parses', () => {
  for (const fn of functions) {
    const variables = json.Resources[logicalIdOf(fn)].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      ENVELOPE_BRANCH_KEY_TABLE: { Ref: logicalIdOf(built.docs.branchKeyStore!) },
      ENVELOPE_BRANCH_KEY_STORE_NAME: built.docs.branchKeyStoreName,
      ENVELOPE_BRANCH_KEY_TENANTS: 'acme,globex',
      ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '600',
    });
    const resolved = {
      ...variables,
      ENVELOPE_KEY_ARN: 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555',
      ENVELOPE_BRANCH_KEY_TABLE: 'table-1',
      ENVELOPE_BRANCH_KEY_KMS_ARN: 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555',
    };
    expect(readBranchKeyConfig(resolved)?.tenants).toEqual(new Set(['acme', 'globex']));
  }
});

test('without tenants: one branch key `bucket`', () => {
  const { stack, docs } = build({});
  const t = synthTemplate(stack);
  t.hasResourceProperties('Custom::EnvelopeBranchKeys', { BranchKeyIds: ['bucket'], ContextKey: 'bucket', RotationToken: '' });
  const variables = t.toJSON().Resources[logicalIdOf(docs.cryptoFunction)].Properties.Environment.Variables;
  expect(variables).toMatchObject({ ENVELOPE_BRANCH_KEY_ID: 'bucket', ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '300' });
  expect(variables.ENVELOPE_BRANCH_KEY_TENANTS).toBeUndefined();
});

describe('who can use the branch key key', () => {
  const access = KeyAccess.of(json, built.docs.branchKeyKey!);
  const store = built.docs.branchKeyStoreName!;
  const decide = (roleId: string, action: string, encryptionContext?: Record<string, string>, context?: Record<string, string>) =>
    evaluateKeyAccess({
      keyPolicy: access.keyPolicy,
      identityPolicies: access.identityPolicies(roleId).map((p) => p.policy as any),
      request: { principal: access.principalArn(roleId), action, keyArn: access.keyArn, encryptionContext, context },
    }).decision;
  const branchKey = (id: string, tablename = store) => ({ 'branch-key-id': id, 'type': 'branch:ACTIVE', tablename, 'kms-arn': access.keyArn });

  test('the functions decrypt branch keys of this store only; they cannot make or rewrap them', () => {
    for (const fn of functions) {
      const role = logicalIdOf(fn.role!);
      expect(decide(role, 'kms:Decrypt', branchKey('acme'))).toBe('Allow');
      expect(decide(role, 'kms:Decrypt', branchKey('acme', 'another-store'))).not.toBe('Allow');
      expect(decide(role, 'kms:Decrypt', { tablename: store })).not.toBe('Allow');
      expect(decide(role, 'kms:Decrypt')).not.toBe('Allow');
      for (const action of ['kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:ReEncryptTo']) {
        expect(decide(role, action, branchKey('acme'))).not.toBe('Allow');
      }
    }
  });

  test('the envelope key: no new data keys for the functions; inline and read may decrypt older objects', () => {
    const envelope = KeyAccess.of(json, built.docs.key);
    const context = { 'bucket': envelope.resolve(json.Resources[logicalIdOf(built.docs.cryptoFunction)].Properties.Environment.Variables.BUCKET_NAME), 'object-key': 'protected/acme/x' };
    const envelopeDecision = (fn: { role?: iam.IRole }, action: string) => {
      const role = logicalIdOf(fn.role!);
      return evaluateKeyAccess({
        keyPolicy: envelope.keyPolicy,
        identityPolicies: envelope.identityPolicies(role).map((p) => p.policy as any),
        request: { principal: envelope.principalArn(role), action, keyArn: envelope.keyArn, encryptionContext: context },
      }).decision;
    };
    for (const fn of functions) {
      expect(envelopeDecision(fn, 'kms:GenerateDataKey')).not.toBe('Allow');
      expect(envelopeDecision(fn, 'kms:Encrypt')).not.toBe('Allow');
    }
    expect(envelopeDecision(built.docs.cryptoFunction, 'kms:Decrypt')).toBe('Allow');
    expect(envelopeDecision(built.docs.readFunction, 'kms:Decrypt')).toBe('Allow');
    expect(envelopeDecision(built.docs.intakeFunction, 'kms:Decrypt')).not.toBe('Allow');
  });

  test('the provisioner creates and versions branch keys of this store only', () => {
    const roleId = Object.keys(json.Resources).find((k) => k.startsWith('DocsBranchKeyProvisionerServiceRole') && json.Resources[k].Type === 'AWS::IAM::Role')!;
    expect(roleId).toBeDefined();
    for (const action of ['kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:Decrypt']) {
      expect(decide(roleId, action, branchKey('acme'))).toBe('Allow');
      expect(decide(roleId, action, branchKey('acme', 'another-store'))).not.toBe('Allow');
    }
  });

  test('a role limited to one tenant by the branch-key-id condition', () => {
    const role = logicalIdOf(acmeOnly);
    expect(decide(role, 'kms:Decrypt', branchKey('acme'))).toBe('Allow');
    expect(decide(role, 'kms:Decrypt', branchKey('globex'))).not.toBe('Allow');
  });
});

describe('synth-time validation', () => {
  test.each<[string, EnvelopeBranchKeyOptions, RegExp]>([
    ['no tenants', { tenants: [] }, /must hold 1 to 100 tenants/],
    ['a tenant with a slash', { tenants: ['a/b'] }, /'a\/b' must be a literal/],
    ['a tenant with a comma', { tenants: ['a,b'] }, /'a,b' must be a literal/],
    ['a tenant starting with a dot', { tenants: ['.hidden'] }, /must be a literal/],
    ['an empty tenant', { tenants: [''] }, /must be a literal/],
    ['a tenant of 65 characters', { tenants: ['x'.repeat(65)] }, /must be a literal/],
    ['a duplicate', { tenants: ['a', 'a'] }, /'a' is listed twice/],
    ['101 tenants', { tenants: Array.from({ length: 101 }, (_, i) => `t${i}`) }, /1 to 100 tenants/],
    ['a TTL of 500 ms', { cacheTtl: Duration.millis(500) }, /cacheTtl must be whole seconds/],
    ['a TTL of 2 days', { cacheTtl: Duration.days(2) }, /cacheTtl must be whole seconds/],
  ])('%s', (_name, branchKeys, message) => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new EnvelopeEncryptedBucket(stack, 'Docs', { branchKeys })).toThrow(message);
  });

  test('errors name the construct path', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new EnvelopeEncryptedBucket(stack, 'Docs', { branchKeys: { tenants: ['a/b'] } })).toThrow(/^Stack\/Docs: /);
  });
});

test('no unaccepted cdk-nag AwsSolutions finding', () => {
  const { stack } = build({ tenants: ['acme'] });
  expect(nagFindings(stack)).toEqual([]);
});

test('storeRemovalPolicy DESTROY (test stacks): the store is deleted with the stack, without deletion protection', () => {
  const testKey = { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) };
  const { stack } = build({ storeRemovalPolicy: RemovalPolicy.DESTROY, keyProps: testKey });
  const destroyed = synthTemplate(stack);
  destroyed.hasResource('AWS::DynamoDB::Table', {
    Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'branch-key-id', KeyType: 'HASH' }]), DeletionProtectionEnabled: false },
    DeletionPolicy: 'Delete',
  });
});
