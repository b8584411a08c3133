/**
 * Hand-checked cases for what the differential test cannot cover: encryption-context conditions
 * (iam-simulate ignores `kms:EncryptionContext:<key>`), the account root user, service principals,
 * ForAnyValue with IfExists, and values left opaque by intrinsic resolution.
 * Each expectation follows the AWS KMS developer guide / IAM user guide, cited in the test name.
 */
import { evaluateKeyAccess, KeyRequest, PolicyDocument } from '../../../src/access/evaluator';
import { Opaque } from '../../../src/lint/template';

const ACCOUNT = '111111111111';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0000aaaa-11bb-22cc-33dd-444444eeeeee`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ALLOW_ALL_IAM: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };

function allowRole(condition?: Record<string, unknown>, principal: unknown = { AWS: ROLE }): PolicyDocument {
  return { Statement: [{ Effect: 'Allow', Principal: principal, Action: ['kms:Decrypt', 'kms:Encrypt'], Resource: '*', Condition: condition }] };
}

function decide(keyPolicy: PolicyDocument, request: Partial<KeyRequest>, identityPolicies: PolicyDocument[] = []) {
  return evaluateKeyAccess({ keyPolicy, identityPolicies, request: { principal: ROLE, action: 'kms:Decrypt', keyArn: KEY_ARN, ...request } }).decision;
}

describe('kms:EncryptionContext:<key> (KMS developer guide, kms:EncryptionContext:context-key)', () => {
  const policy = allowRole({ StringEquals: { 'kms:EncryptionContext:Table': 'orders' } });

  test('the pair must be in the request', () => {
    expect(decide(policy, { encryptionContext: { Table: 'orders' } })).toBe('Allow');
    expect(decide(policy, { encryptionContext: { Table: 'invoices' } })).toBe('ImplicitDeny');
    expect(decide(policy, {})).toBe('ImplicitDeny');
  });

  test('the key part of the condition key is case-insensitive, the value is case-sensitive with StringEquals', () => {
    expect(decide(policy, { encryptionContext: { table: 'orders' } })).toBe('Allow');
    expect(decide(policy, { encryptionContext: { TABLE: 'orders' } })).toBe('Allow');
    expect(decide(policy, { encryptionContext: { Table: 'Orders' } })).toBe('ImplicitDeny');
    const ignoreCase = allowRole({ StringEqualsIgnoreCase: { 'kms:EncryptionContext:table': 'orders' } });
    expect(decide(ignoreCase, { encryptionContext: { Table: 'ORDERS' } })).toBe('Allow');
  });

  test('kms:EncryptionContextKeys compares keys case-sensitively and lists every key of the context', () => {
    const keys = allowRole({ 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'Table' } });
    expect(decide(keys, { encryptionContext: { Table: 'orders', tenant: 'a' } })).toBe('Allow');
    expect(decide(keys, { encryptionContext: { table: 'orders' } })).toBe('ImplicitDeny');
  });

  test('ForAllValues on the context keys also matches a request with no context, unless Null requires one', () => {
    const onlyTable = allowRole({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'table' } });
    expect(decide(onlyTable, { encryptionContext: { table: 'orders' } })).toBe('Allow');
    expect(decide(onlyTable, { encryptionContext: { table: 'orders', extra: 'x' } })).toBe('ImplicitDeny');
    expect(decide(onlyTable, {})).toBe('Allow');
    const required = allowRole({
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'table' },
      'Null': { 'kms:EncryptionContextKeys': 'false' },
    });
    expect(decide(required, {})).toBe('ImplicitDeny');
    expect(decide(required, { encryptionContext: { table: 'orders' } })).toBe('Allow');
  });

  test('a Null test on one context key requires that key', () => {
    const pk = allowRole({ Null: { 'kms:EncryptionContext:pk': 'false' } });
    expect(decide(pk, { encryptionContext: { PK: '1' } })).toBe('Allow');
    expect(decide(pk, { encryptionContext: { other: '1' } })).toBe('ImplicitDeny');
  });

  test('a deny on a missing context key wins over the allow', () => {
    const policy2: PolicyDocument = {
      Statement: [
        ...(allowRole().Statement as object[]),
        { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { 'kms:EncryptionContext:tenant': 'true' } } },
      ],
    };
    expect(decide(policy2, { encryptionContext: { tenant: 'a' } })).toBe('Allow');
    expect(decide(policy2, {})).toBe('ExplicitDeny');
  });
});

describe('who the key policy reaches (KMS developer guide, key policies)', () => {
  const rootOnly: PolicyDocument = { Statement: [{ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }] };

  test('the account-root statement delegates to IAM: a role needs an IAM policy too', () => {
    expect(decide(rootOnly, {})).toBe('ImplicitDeny');
    expect(decide(rootOnly, {}, [ALLOW_ALL_IAM])).toBe('Allow');
    expect(evaluateKeyAccess({ keyPolicy: rootOnly, identityPolicies: [ALLOW_ALL_IAM], request: { principal: ROLE, action: 'kms:Decrypt', keyArn: KEY_ARN } }).allowedBy).toBe('iam');
  });

  test('the root user itself needs no IAM policy; a bare account id names the root too', () => {
    expect(decide(rootOnly, { principal: ROOT })).toBe('Allow');
    expect(decide({ Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' }] }, { principal: ACCOUNT })).toBe('Allow');
  });

  test('a key policy naming the role allows it without any IAM policy', () => {
    expect(decide(allowRole(), {})).toBe('Allow');
  });

  test('another account needs the key policy and its own IAM policy', () => {
    const partner = 'arn:aws:iam::222222222222:role/partner';
    const policy = allowRole(undefined, { AWS: 'arn:aws:iam::222222222222:root' });
    expect(decide(policy, { principal: partner })).toBe('ImplicitDeny');
    expect(decide(policy, { principal: partner }, [ALLOW_ALL_IAM])).toBe('Allow');
    expect(decide(rootOnly, { principal: partner }, [ALLOW_ALL_IAM])).toBe('ImplicitDeny');
  });

  test('an assumed-role session is the role', () => {
    expect(decide(allowRole(), { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/app/session-1` })).toBe('Allow');
  });

  test('service principals: only a Service entry or * names them, and they have no IAM policies', () => {
    const logs: PolicyDocument = { Statement: [{ Effect: 'Allow', Principal: { Service: 'logs.eu-west-1.amazonaws.com' }, Action: 'kms:Encrypt*', Resource: '*' }] };
    expect(decide(logs, { principal: 'logs.eu-west-1.amazonaws.com', action: 'kms:Encrypt' })).toBe('Allow');
    expect(decide(logs, { principal: 'logs.eu-west-1.amazonaws.com', action: 'kms:Decrypt' })).toBe('ImplicitDeny');
    expect(decide(rootOnly, { principal: 'logs.eu-west-1.amazonaws.com' })).toBe('ImplicitDeny');
    expect(decide(allowRole(undefined, '*'), { principal: 'logs.eu-west-1.amazonaws.com' })).toBe('Allow');
  });
});

describe('conditions (IAM user guide, condition operators)', () => {
  test('...IfExists holds when the key is absent, even with ForAnyValue', () => {
    const policy = allowRole({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'team' } });
    expect(decide(policy, {})).toBe('Allow');
    expect(decide(policy, { context: { 'aws:TagKeys': ['env'] } })).toBe('ImplicitDeny');
    expect(decide(policy, { context: { 'aws:TagKeys': ['env', 'team'] } })).toBe('Allow');
  });

  test('condition key names are case-insensitive; operators of every family work', () => {
    expect(decide(allowRole({ StringEquals: { 'KMS:ViaService': 's3.eu-west-1.amazonaws.com' } }), { context: { 'kms:viaservice': 's3.eu-west-1.amazonaws.com' } })).toBe('Allow');
    expect(decide(allowRole({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), { context: { 'aws:SourceIp': '2001:db8:1::7' } })).toBe('Allow');
    expect(decide(allowRole({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), { context: { 'aws:SourceIp': '2001:db9::1' } })).toBe('ImplicitDeny');
    expect(decide(allowRole({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), { context: { 'aws:CurrentTime': '1767225600' } })).toBe('Allow');
    expect(decide(allowRole({ Bool: { 'aws:SecureTransport': true } }), { context: { 'aws:SecureTransport': true } })).toBe('Allow');
    expect(decide(allowRole({ NumericLessThan: { 'aws:MultiFactorAuthAge': 3600 } }), { context: { 'aws:MultiFactorAuthAge': 60 } })).toBe('Allow');
  });

  test('an unknown operator never holds', () => {
    expect(decide(allowRole({ StringMatchesRegex: { 'aws:PrincipalTag/x': '.*' } }), { context: { 'aws:PrincipalTag/x': 'y' } })).toBe('ImplicitDeny');
  });
});

describe('values left opaque by intrinsic resolution', () => {
  test('an opaque principal or condition value never matches', () => {
    expect(decide(allowRole(undefined, { AWS: new Opaque('${ImportedRole}') }), {})).toBe('ImplicitDeny');
    const condition = allowRole({ StringEquals: { 'aws:SourceAccount': new Opaque('${Param}') } });
    expect(decide(condition, { context: { 'aws:SourceAccount': '${Param}' } })).toBe('ImplicitDeny');
  });

  test('a statement without Action or Resource never applies', () => {
    expect(decide({ Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:*' }] }, {})).toBe('ImplicitDeny');
    expect(decide({ Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Resource: '*' }] }, {})).toBe('ImplicitDeny');
  });
});
