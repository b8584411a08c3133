/**
 * EnvelopeEncryptedTable: template assertions, synth-time validation, who can use the keys (our
 * evaluator for encryption-context conditions, iam-simulate for the rest) and a snapshot.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { TABLE_CONTEXT_KEY } from '../../lambda/envelope/item-envelope';
import { readTableConfig } from '../../lambda/envelope/table-config';
import { AttributeAction, EnvelopeAlgorithmSuite, EnvelopeEncryptedTable, EnvelopeEncryptedTableProps, ManagedKey } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { nagFindings } from '../support/compliance';
import { FAKE_ENV, KeyAccess, logicalIdOf } from '../support/iam';
import { stableTemplateJson, synthTemplate } from '../support/template';

const KEYS = {
  partitionKey: { name: 'customer', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'order', type: dynamodb.AttributeType.STRING },
};

function build(props: Partial<EnvelopeEncryptedTableProps> = {}) {
  const stack = new Stack(new App(), 'Stack');
  const orders = new EnvelopeEncryptedTable(stack, 'Orders', {
    tableProps: KEYS,
    attributeActions: { status: AttributeAction.SIGN_ONLY, gsi: AttributeAction.DO_NOTHING },
    ...props,
  });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  const [reader, writer, bystander] = ['Reader', 'Writer', 'Bystander'].map(role);
  orders.grantRead(reader);
  orders.grantReadWrite(writer);
  return { stack, orders, reader, writer, bystander };
}

const built = build();
const template = synthTemplate(built.stack);
const json = template.toJSON();
const writerRole = logicalIdOf(built.orders.cryptoFunction.role!);
const readerRole = logicalIdOf(built.orders.readFunction.role!);

function policyStatements(roleLogicalId: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('resources', () => {
  test('the table is encrypted at rest with its own customer-managed key, with point-in-time recovery', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(built.orders.tableEncryptionKey), 'Arn'] } },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(logicalIdOf(built.orders.tableEncryptionKey)).not.toBe(logicalIdOf(built.orders.key));
  });

  test('two crypto functions: Node.js 22 on ARM64, same bundle, configured by environment', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(2);
    for (const fn of Object.values<any>(fns)) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 1024, Timeout: 30 });
    }
    const variables = (id: string) => json.Resources[id].Properties.Environment.Variables;
    const writer = variables(logicalIdOf(built.orders.cryptoFunction));
    expect(writer).toEqual({
      ENVELOPE_KEY_ARN: { 'Fn::GetAtt': [logicalIdOf(built.orders.key), 'Arn'] },
      ENVELOPE_ALGORITHM_SUITE: 'COMMIT_KEY',
      ENVELOPE_TABLE_NAME: { Ref: logicalIdOf(built.orders.table) },
      ENVELOPE_PARTITION_KEY: 'customer',
      ENVELOPE_SORT_KEY: 'order',
      ENVELOPE_ATTRIBUTE_ACTIONS: JSON.stringify({ status: 'SIGN_ONLY', gsi: 'DO_NOTHING' }),
      ENVELOPE_DEFAULT_ACTION: 'ENCRYPT_AND_SIGN',
      ENVELOPE_ACCESS: 'READ_WRITE',
      POWERTOOLS_SERVICE_NAME: 'cdk-kms-patterns-envelope',
    });
    expect(variables(logicalIdOf(built.orders.readFunction))).toMatchObject({ ...writer, ENVELOPE_ACCESS: 'READ' });
  });

  test('the environment the construct sets is one the function accepts', () => {
    const env = access.resolve(json.Resources[logicalIdOf(built.orders.cryptoFunction)].Properties.Environment.Variables);
    const config = readTableConfig(env);
    expect(config.schema).toMatchObject({ partitionKey: 'customer', sortKey: 'order' });
    expect(Object.fromEntries(config.schema.actions)).toMatchObject({ status: 'SIGN_ONLY', gsi: 'DO_NOTHING' });
  });

  test('cache and suite options reach the environment', () => {
    const { stack, orders } = build({
      algorithmSuite: EnvelopeAlgorithmSuite.COMMITTING_SIGNED,
      cache: { maxAge: Duration.minutes(1), maxMessagesPerDataKey: 100, capacity: 5 },
    });
    synthTemplate(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ENVELOPE_ALGORITHM_SUITE: 'COMMIT_KEY_ECDSA_P384', ENVELOPE_CACHE_MAX_AGE_SECONDS: '60', ENVELOPE_CACHE_MAX_MESSAGES: '100', ENVELOPE_CACHE_CAPACITY: '5' }) },
    });
    expect(orders.cryptoFunction).toBeDefined();
    const off = build({ cache: { enabled: false } });
    synthTemplate(off.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ENVELOPE_CACHE_MAX_AGE_SECONDS: '0' }) },
    });
  });

  test('each crypto role may use the table items it needs and nothing else', () => {
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(built.orders.table), 'Arn'] };
    const dynamoActions = (role: string) => policyStatements(role).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    const writes = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
    const reads = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
    expect(dynamoActions(writerRole)).toEqual([expect.objectContaining({ Action: [...reads, ...writes], Resource: [tableArn] })]);
    expect(dynamoActions(readerRole)).toEqual([expect.objectContaining({ Action: reads, Resource: [tableArn] })]);
    // No KMS rights through IAM: the key policies alone decide.
    for (const role of [writerRole, readerRole]) {
      expect(policyStatements(role).flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('kms:'))).toEqual([]);
    }
  });

  test('grantReadWrite and grantRead give invoke rights only', () => {
    const actions = (role: iam.Role) => policyStatements(logicalIdOf(role)).flatMap((s) => [s.Action].flat());
    expect(new Set(actions(built.writer))).toEqual(new Set(['lambda:InvokeFunction']));
    expect(new Set(actions(built.reader))).toEqual(new Set(['lambda:InvokeFunction']));
    const resources = (role: iam.Role) => JSON.stringify(policyStatements(logicalIdOf(role)).map((s) => s.Resource));
    expect(resources(built.writer)).toContain(logicalIdOf(built.orders.cryptoFunction));
    expect(resources(built.writer)).not.toContain(logicalIdOf(built.orders.readFunction));
    expect(resources(built.reader)).toContain(logicalIdOf(built.orders.readFunction));
    expect(resources(built.reader)).not.toContain(`"${logicalIdOf(built.orders.cryptoFunction)}"`);
  });
});

const access = KeyAccess.of(json, built.orders.key);

describe('who can use the envelope key', () => {
  const tableName: string = access.resolve({ Ref: logicalIdOf(built.orders.table) });
  const ctx = (table = tableName) => ({ [TABLE_CONTEXT_KEY]: table });

  /**
   * Requests with an encryption context are decided by our own evaluator: iam-simulate ignores
   * `kms:EncryptionContext:<key>` conditions (see test/support/iam.ts), so it cannot prove them.
   */
  function decide(roleId: string, action: string, encryptionContext?: Record<string, string>) {
    return evaluateKeyAccess({
      keyPolicy: access.keyPolicy,
      identityPolicies: access.identityPolicies(roleId).map((p) => p.policy as any),
      request: { principal: access.principalArn(roleId), action, keyArn: access.keyArn, encryptionContext },
    }).decision;
  }

  test('the key policy pins the exact context: the table pair, required, and no other keys', () => {
    const statements = (json.Resources[logicalIdOf(built.orders.key)].Properties.KeyPolicy.Statement as any[])
      .filter((s) => JSON.stringify(s.Principal).includes(writerRole) || JSON.stringify(s.Principal).includes(readerRole));
    expect(statements).toHaveLength(2);
    for (const statement of statements) {
      expect(statement.Condition).toEqual({
        'StringEquals': { [`kms:EncryptionContext:${TABLE_CONTEXT_KEY}`]: { Ref: logicalIdOf(built.orders.table) } },
        'Null': { [`kms:EncryptionContext:${TABLE_CONTEXT_KEY}`]: 'false', 'kms:EncryptionContextKeys': 'false' },
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [TABLE_CONTEXT_KEY] },
      });
    }
  });

  test('the read-write role generates and decrypts data keys; the read-only role only decrypts', () => {
    expect(decide(writerRole, 'kms:GenerateDataKey', ctx())).toBe('Allow');
    expect(decide(writerRole, 'kms:Decrypt', ctx())).toBe('Allow');
    expect(decide(readerRole, 'kms:Decrypt', ctx())).toBe('Allow');
    expect(decide(readerRole, 'kms:GenerateDataKey', ctx())).toBe('ImplicitDeny');
  });

  test('the wrong context is denied: another table, an extra key, none', () => {
    expect(decide(writerRole, 'kms:GenerateDataKey', ctx('other-table'))).toBe('ImplicitDeny');
    expect(decide(writerRole, 'kms:Decrypt', { ...ctx(), tenant: 'x' })).toBe('ImplicitDeny');
    expect(decide(writerRole, 'kms:GenerateDataKey')).toBe('ImplicitDeny');
    expect(decide(readerRole, 'kms:Decrypt', { other: tableName })).toBe('ImplicitDeny');
  });

  test('callers and bystanders cannot use the key at all (iam-simulate)', async () => {
    for (const role of [built.reader, built.writer, built.bystander]) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt']) {
        await expect(access.canDo(role, action)).resolves.toBe('ImplicitlyDenied');
      }
    }
    // Even the crypto roles are denied without a context (kms:EncryptionContextKeys, which the
    // simulator does evaluate, must be present).
    await expect(access.canDo(writerRole, 'kms:GenerateDataKey')).resolves.toBe('ImplicitlyDenied');
    await expect(access.canDo(readerRole, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
  });
});

describe('who can use the table key', () => {
  const tableKey = KeyAccess.of(json, built.orders.tableEncryptionKey);
  const viaDynamoDb = { 'kms:ViaService': `dynamodb.${FAKE_ENV.region}.${FAKE_ENV.urlSuffix}` };

  test('the crypto roles only through DynamoDB; callers not at all (iam-simulate)', async () => {
    await expect(tableKey.canDo(writerRole, 'kms:GenerateDataKey', viaDynamoDb)).resolves.toBe('Allowed');
    await expect(tableKey.canDo(writerRole, 'kms:Decrypt', viaDynamoDb)).resolves.toBe('Allowed');
    await expect(tableKey.canDo(readerRole, 'kms:Decrypt', viaDynamoDb)).resolves.toBe('Allowed');
    await expect(tableKey.canDo(readerRole, 'kms:GenerateDataKey', viaDynamoDb)).resolves.toBe('ImplicitlyDenied');
    await expect(tableKey.canDo(writerRole, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
    for (const role of [built.reader, built.writer, built.bystander]) {
      await expect(tableKey.canDo(role, 'kms:Decrypt', viaDynamoDb)).resolves.toBe('ImplicitlyDenied');
    }
  });
});

describe('existing resources', () => {
  test('existingTableObj and existingKey are used as they are', () => {
    const stack = new Stack(new App(), 'Stack');
    const tableKey = new ManagedKey(stack, 'TableKey');
    const table = new dynamodb.Table(stack, 'Table', { ...KEYS, encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: tableKey });
    const key = new ManagedKey(stack, 'Key');
    const orders = new EnvelopeEncryptedTable(stack, 'Orders', { existingTableObj: table, existingKey: key });
    expect(orders.table).toBe(table);
    expect(orders.key).toBe(key);
    expect(orders.tableEncryptionKey).toBe(tableKey);
    const t = synthTemplate(stack);
    t.resourceCountIs('AWS::KMS::Key', 2);
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
  });
});

describe('bad input fails at synth', () => {
  test.each<[string, (s: Stack) => EnvelopeEncryptedTableProps, RegExp]>([
    ['no table', () => ({}), /Give tableProps \(to create a table\) or existingTableObj/],
    ['both table inputs', (s) => ({ tableProps: KEYS, existingTableObj: new dynamodb.Table(s, 'T', KEYS) }), /tableProps or existingTableObj, not both/],
    ['an unencrypted existing table', (s) => ({ existingTableObj: new dynamodb.Table(s, 'T', KEYS) }), /must be encrypted with a customer-managed key/],
    ['table encryption in tableProps', () => ({ tableProps: { ...KEYS, encryption: dynamodb.TableEncryption.AWS_MANAGED } }), /Leave tableProps.encryption/],
    ['existingKey with keyProps', (s) => ({ tableProps: KEYS, existingKey: new ManagedKey(s, 'K'), keyProps: {} }), /existingKey or keyProps, not both/],
    ['an asymmetric existingKey', (s) => ({ tableProps: KEYS, existingKey: new ManagedKey(s, 'K', { keySpec: kms.KeySpec.ECC_NIST_P256 }) }), /symmetric ENCRYPT_DECRYPT key/],
    ['an encrypted partition key', () => ({ tableProps: KEYS, attributeActions: { customer: AttributeAction.ENCRYPT_AND_SIGN } }), /Key attribute customer cannot be ENCRYPT_AND_SIGN/],
    ['an encrypted sort key', () => ({ tableProps: KEYS, attributeActions: { order: AttributeAction.ENCRYPT_AND_SIGN } }), /Key attribute order cannot be ENCRYPT_AND_SIGN/],
    ['a binary key', () => ({ tableProps: { partitionKey: { name: 'id', type: dynamodb.AttributeType.BINARY } } }), /Key attribute id is BINARY/],
    ['the reserved attribute', () => ({ tableProps: KEYS, attributeActions: { aws_envelope: AttributeAction.DO_NOTHING } }), /aws_envelope is reserved/],
    ['a cache bound out of range', () => ({ tableProps: KEYS, cache: { maxMessagesPerDataKey: 0 } }), /cache.maxMessagesPerDataKey must be an integer from 1/],
    ['a cache max age over a day', () => ({ tableProps: KEYS, cache: { maxAge: Duration.days(2) } }), /cache.maxAge \(seconds\) must be an integer from 1 to 86400/],
  ])('%s', (_name, props, message) => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new EnvelopeEncryptedTable(stack, 'Orders', props(stack))).toThrow(message);
  });
});

test('cdk-nag AwsSolutions: no unaccepted findings', () => {
  const { stack } = build();
  // The test's own caller roles get lambda:InvokeFunction on 'function:*' versions from grantInvoke.
  expect(nagFindings(stack).filter((f) => f.path.startsWith('Stack/Orders/'))).toEqual([]);
});

test('snapshot (asset hashes replaced)', () => {
  expect(stableTemplateJson(json)).toMatchSnapshot();
});
