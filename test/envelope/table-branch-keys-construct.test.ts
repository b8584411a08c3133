/**
 * EnvelopeEncryptedTable with `branchKeys`: the branch key store and its key (shared with the
 * bucket: src/envelope/branch-keys.ts), the custom resource, the functions' environment (parsed by
 * the function's own config reader), who can use which key with which context (our evaluator, as
 * iam-simulate ignores context keys), a role limited to one tenant, synth-time validation, cdk-nag.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ITEM_CONTEXT_KEYS, TABLE_CONTEXT_KEY } from '../../lambda/envelope/item-envelope';
import { readTableConfig } from '../../lambda/envelope/table-config';
import {
  AttributeAction,
  EnvelopeEncryptedTable,
  EnvelopeEncryptedTableProps,
  EnvelopeTableBranchKeyOptions,
  ItemEncryptionContext,
  KeyUser,
} from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { nagFindings } from '../support/compliance';
import { KeyAccess, logicalIdOf } from '../support/iam';
import { synthTemplate } from '../support/template';

const KEYS = {
  partitionKey: { name: 'customer', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'order', type: dynamodb.AttributeType.NUMBER },
};
const ACTIONS = {
  tenant: AttributeAction.SIGN_ONLY,
  status: AttributeAction.SIGN_ONLY,
  gsi: AttributeAction.DO_NOTHING,
  card: AttributeAction.ENCRYPT_AND_SIGN,
};

function build(branchKeys: EnvelopeTableBranchKeyOptions, props: Partial<EnvelopeEncryptedTableProps> = {}) {
  const stack = new Stack(new App(), 'Stack');
  const orders = new EnvelopeEncryptedTable(stack, 'Orders', { tableProps: KEYS, attributeActions: ACTIONS, branchKeys, ...props });
  return { stack, orders };
}

const built = build({ tenants: ['acme', 'globex'], tenantAttribute: 'tenant', cacheTtl: Duration.minutes(10), rotationToken: '2026-12' });
// The README's example: a role limited to one tenant's branch key.
const acmeOnly = new iam.Role(built.stack, 'AcmeReader', { assumedBy: new iam.AccountRootPrincipal() });
built.orders.branchKeyKey!.addUser(KeyUser.decrypt(acmeOnly, {
  encryptionContext: { 'branch-key-id': 'acme', 'tablename': built.orders.branchKeyStoreName! },
}));
const template = synthTemplate(built.stack);
const json = template.toJSON();
const functions = [built.orders.cryptoFunction, built.orders.readFunction];

test('the exported context keys are the ones the function writes', () => {
  expect([ItemEncryptionContext.TABLE, ItemEncryptionContext.PARTITION_KEY, ItemEncryptionContext.SORT_KEY, ItemEncryptionContext.TENANT])
    .toEqual([ITEM_CONTEXT_KEYS.table, ITEM_CONTEXT_KEYS.partitionKey, ITEM_CONTEXT_KEYS.sortKey, ITEM_CONTEXT_KEYS.tenant]);
  expect(ItemEncryptionContext.TABLE).toBe(TABLE_CONTEXT_KEY);
});

describe('resources', () => {
  test('a branch key store beside the table: the ESDK key schema, PITR, deletion protection, retained, under the branch key key', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'branch-key-id', KeyType: 'HASH' }, { AttributeName: 'type', KeyType: 'RANGE' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(built.orders.branchKeyKey!), 'Arn'] } },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    // Envelope key, table key, branch key key: three keys, rotation on, retained.
    template.resourceCountIs('AWS::KMS::Key', 3);
    for (const key of Object.values<any>(template.findResources('AWS::KMS::Key'))) {
      expect(key).toMatchObject({ Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    }
  });

  test('the custom resource creates one branch key per tenant, with the rotation token', () => {
    template.hasResourceProperties('Custom::EnvelopeBranchKeys', {
      TableName: { Ref: logicalIdOf(built.orders.branchKeyStore!) },
      LogicalStoreName: built.orders.branchKeyStoreName,
      KmsKeyArn: { 'Fn::GetAtt': [logicalIdOf(built.orders.branchKeyKey!), 'Arn'] },
      BranchKeyIds: ['acme', 'globex'],
      ContextKey: 'tenant',
      RotationToken: '2026-12',
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'EnvelopeEncryptedTable: creates and rotates the branch keys' });
  });

  test('without tenants: one branch key `table`, no tenant attribute', () => {
    const { stack, orders } = build({});
    const t = synthTemplate(stack);
    t.hasResourceProperties('Custom::EnvelopeBranchKeys', { BranchKeyIds: ['table'], ContextKey: 'table', RotationToken: '' });
    const variables = t.toJSON().Resources[logicalIdOf(orders.cryptoFunction)].Properties.Environment.Variables;
    expect(variables).toMatchObject({ ENVELOPE_BRANCH_KEY_ID: 'table', ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '300' });
    expect(variables.ENVELOPE_BRANCH_KEY_TENANTS).toBeUndefined();
    expect(variables.ENVELOPE_TENANT_ATTRIBUTE).toBeUndefined();
  });

  test('both functions get the branch key environment, and the function accepts it', () => {
    const envelope = KeyAccess.of(json, built.orders.key);
    for (const fn of functions) {
      const variables = json.Resources[logicalIdOf(fn)].Properties.Environment.Variables;
      expect(variables).toMatchObject({
        ENVELOPE_BRANCH_KEY_TABLE: { Ref: logicalIdOf(built.orders.branchKeyStore!) },
        ENVELOPE_BRANCH_KEY_STORE_NAME: built.orders.branchKeyStoreName,
        ENVELOPE_BRANCH_KEY_KMS_ARN: { 'Fn::GetAtt': [logicalIdOf(built.orders.branchKeyKey!), 'Arn'] },
        ENVELOPE_BRANCH_KEY_TENANTS: 'acme,globex',
        ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '600',
        ENVELOPE_TENANT_ATTRIBUTE: 'tenant',
      });
      const config = readTableConfig(envelope.resolve(variables));
      expect(config.schema.itemContext).toEqual({ tenantAttribute: 'tenant', tenants: new Set(['acme', 'globex']) });
      expect(config.branchKeys?.logicalStoreName).toBe(built.orders.branchKeyStoreName);
    }
  });
});

describe('who can use which key', () => {
  const store = built.orders.branchKeyStoreName!;
  const branch = KeyAccess.of(json, built.orders.branchKeyKey!);
  const envelope = KeyAccess.of(json, built.orders.key);
  const decide = (access: KeyAccess, roleId: string, action: string, encryptionContext?: Record<string, string>) =>
    evaluateKeyAccess({
      keyPolicy: access.keyPolicy,
      identityPolicies: access.identityPolicies(roleId).map((p) => p.policy as any),
      request: { principal: access.principalArn(roleId), action, keyArn: access.keyArn, encryptionContext },
    }).decision;
  const branchKey = (id: string, tablename = store) => ({ 'branch-key-id': id, 'type': 'branch:ACTIVE', tablename, 'kms-arn': branch.keyArn });
  const tableName: string = envelope.resolve({ Ref: logicalIdOf(built.orders.table) });

  test('both functions decrypt branch keys of this store only, and cannot make or rewrap them', () => {
    for (const fn of functions) {
      const role = logicalIdOf(fn.role!);
      for (const tenant of ['acme', 'globex']) expect(decide(branch, role, 'kms:Decrypt', branchKey(tenant))).toBe('Allow');
      expect(decide(branch, role, 'kms:Decrypt', branchKey('acme', 'another-store'))).not.toBe('Allow');
      expect(decide(branch, role, 'kms:Decrypt')).not.toBe('Allow');
      for (const action of ['kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:ReEncryptTo']) {
        expect(decide(branch, role, action, branchKey('acme'))).not.toBe('Allow');
      }
    }
  });

  test('the envelope key: no new data keys for anyone; both functions decrypt older items under the table context only', () => {
    for (const fn of functions) {
      const role = logicalIdOf(fn.role!);
      expect(decide(envelope, role, 'kms:GenerateDataKey', { [TABLE_CONTEXT_KEY]: tableName })).not.toBe('Allow');
      expect(decide(envelope, role, 'kms:Encrypt', { [TABLE_CONTEXT_KEY]: tableName })).not.toBe('Allow');
      expect(decide(envelope, role, 'kms:Decrypt', { [TABLE_CONTEXT_KEY]: tableName })).toBe('Allow');
      expect(decide(envelope, role, 'kms:Decrypt', { [TABLE_CONTEXT_KEY]: 'other-table' })).not.toBe('Allow');
    }
  });

  test('the provisioner creates and versions branch keys of this store only', () => {
    const roleId = Object.keys(json.Resources).find((k) => k.startsWith('OrdersBranchKeyProvisionerServiceRole') && json.Resources[k].Type === 'AWS::IAM::Role')!;
    expect(roleId).toBeDefined();
    for (const action of ['kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:Decrypt']) {
      expect(decide(branch, roleId, action, branchKey('acme'))).toBe('Allow');
      expect(decide(branch, roleId, action, branchKey('acme', 'another-store'))).not.toBe('Allow');
    }
  });

  test("a role limited to one tenant: acme's branch key, not globex's; the statement pins the branch-key-id", () => {
    const role = logicalIdOf(acmeOnly);
    expect(decide(branch, role, 'kms:Decrypt', branchKey('acme'))).toBe('Allow');
    expect(decide(branch, role, 'kms:Decrypt', branchKey('globex'))).not.toBe('Allow');
    expect(decide(branch, role, 'kms:Decrypt', { tablename: store })).not.toBe('Allow');
    const statement = (json.Resources[logicalIdOf(built.orders.branchKeyKey!)].Properties.KeyPolicy.Statement as any[])
      .find((s) => JSON.stringify(s.Principal).includes(role));
    expect(statement.Condition.StringEquals).toMatchObject({ 'kms:EncryptionContext:branch-key-id': 'acme', 'kms:EncryptionContext:tablename': store });
  });

  test('the functions read the store with GetItem only', () => {
    const storeArn = { 'Fn::GetAtt': [logicalIdOf(built.orders.branchKeyStore!), 'Arn'] };
    for (const fn of functions) {
      const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalIdOf(fn.role!) }] } });
      const onStore = Object.values<any>(policies).flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s) => JSON.stringify(s.Resource).includes(logicalIdOf(built.orders.branchKeyStore!)));
      expect(onStore).toEqual([expect.objectContaining({ Action: 'dynamodb:GetItem', Resource: [storeArn] })]);
    }
  });
});

describe('synth-time validation', () => {
  test.each<[string, EnvelopeTableBranchKeyOptions, RegExp, Partial<EnvelopeEncryptedTableProps>?]>([
    ['tenants without a tenant attribute', { tenants: ['acme'] }, /branchKeys.tenants needs branchKeys.tenantAttribute/],
    ['a tenant attribute without tenants', { tenantAttribute: 'tenant' }, /tenantAttribute 'tenant' needs branchKeys.tenants/],
    ['an ENCRYPT_AND_SIGN tenant attribute', { tenants: ['acme'], tenantAttribute: 'card' }, /'card' is ENCRYPT_AND_SIGN: .*make it SIGN_ONLY/],
    ['a DO_NOTHING tenant attribute', { tenants: ['acme'], tenantAttribute: 'gsi' }, /'gsi' is DO_NOTHING/],
    ['an unknown tenant attribute', { tenants: ['acme'], tenantAttribute: 'owner' }, /'owner' is not a key attribute and not in attributeActions/],
    ['an inherited name as tenant attribute', { tenants: ['acme'], tenantAttribute: 'constructor' }, /'constructor' is not a key attribute/],
    ['__proto__ as tenant attribute', { tenants: ['acme'], tenantAttribute: '__proto__' }, /cannot be '__proto__'/, { attributeActions: { ['__proto__']: AttributeAction.SIGN_ONLY } }],
    ['a NUMBER key as tenant attribute', { tenants: ['acme'], tenantAttribute: 'order' }, /'order' is a N key attribute: a tenant is a string/],
    ['an unknown tenant attribute with default SIGN_ONLY', { tenants: ['acme'], tenantAttribute: 'owner' }, /not in attributeActions/, { defaultAttributeAction: AttributeAction.SIGN_ONLY }],
    ['a bad tenant name', { tenants: ['a/b'], tenantAttribute: 'tenant' }, /'a\/b' must be a literal/],
    ['a duplicate tenant', { tenants: ['a', 'a'], tenantAttribute: 'tenant' }, /'a' is listed twice/],
    ['no tenants', { tenants: [], tenantAttribute: 'tenant' }, /must hold 1 to 100 tenants/],
    ['a TTL of 2 days', { cacheTtl: Duration.days(2) }, /cacheTtl must be whole seconds/],
  ])('%s', (_name, branchKeys, message, props = {}) => {
    expect(() => build(branchKeys, props)).toThrow(message);
  });

  test('errors name the construct path', () => {
    expect(() => build({ tenants: ['acme'], tenantAttribute: 'card' })).toThrow(/^Stack\/Orders: /);
  });

  test('the partition key or the sort key (STRING) may be the tenant attribute', () => {
    expect(() => build({ tenants: ['acme'], tenantAttribute: 'customer' })).not.toThrow();
    const { stack } = build({ tenants: ['acme'], tenantAttribute: 'order' }, {
      tableProps: { partitionKey: KEYS.partitionKey, sortKey: { name: 'order', type: dynamodb.AttributeType.STRING } },
    });
    expect(stack).toBeDefined();
  });
});

test('no unaccepted cdk-nag AwsSolutions finding', () => {
  const { stack } = build({ tenants: ['acme'], tenantAttribute: 'tenant' });
  expect(nagFindings(stack)).toEqual([]);
});
