import * as fs from 'fs';
import * as path from 'path';
import {
  ADMIN_ARN, GRANT_GUARD, ROLE_ARN, ROOT_JOIN, ROOT_STATEMENT, allow, findingIds, findingsOf, keyTemplate,
} from './policy-fixtures';
import { KeyPolicyLinter, LintSeverity } from '../../src';

const ENCRYPT_DECRYPT = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'];

test('the baseline key (root, CreateGrant guard, rotation, retained) has no findings', () => {
  expect(findingIds(keyTemplate([allow({ AWS: ROLE_ARN }, ENCRYPT_DECRYPT)]))).toEqual([]);
});

test('every rule has an id, a severity, a one-line description and a fix', () => {
  const rules = KeyPolicyLinter.rules();
  // Per-resource rules first, then the rule across templates (KMS13).
  const ids = rules.map((rule) => rule.id).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  expect(ids).toEqual(Array.from({ length: 14 }, (_, i) => `KMS${i + 1}`));
  for (const rule of rules) {
    expect(rule.description).not.toContain('\n');
    expect(rule.fix.length).toBeGreaterThan(10);
    expect([LintSeverity.ERROR, LintSeverity.WARNING]).toContain(rule.severity);
  }
});

describe('KMS1 wildcard principal', () => {
  test.each([
    ['"*"', '*'],
    ['{"AWS": "*"}', { AWS: '*' }],
    ['a list containing "*"', { AWS: [ROLE_ARN, '*'] }],
  ])('an Allow to %s without a condition is an error', (_name, principal) => {
    const findings = findingsOf(keyTemplate([allow(principal, 'kms:Decrypt', { Sid: 'Open' })]), 'KMS1');
    expect(findings).toEqual([expect.objectContaining({
      severity: LintSeverity.ERROR,
      logicalId: 'Key',
      resourceType: 'AWS::KMS::Key',
      location: 'Properties.KeyPolicy.Statement.2',
      message: 'statement "Open" allows a wildcard principal without a restricting condition',
    })]);
  });

  test('Allow with NotPrincipal is everyone else: an error', () => {
    const statement = { Effect: 'Allow', NotPrincipal: { AWS: ROLE_ARN }, Action: 'kms:Decrypt', Resource: '*' };
    expect(findingsOf(keyTemplate([statement]), 'KMS1')).toHaveLength(1);
  });

  test.each([
    ['StringNotEquals', { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } }],
    ['IfExists', { StringEqualsIfExists: { 'aws:PrincipalAccount': '111122223333' } }],
    ['a wildcard value', { StringLike: { 'aws:PrincipalArn': '*' } }],
    ['an unrelated key', { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } }],
    ['one open value among pinned ones', { StringLike: { 'kms:CallerAccount': ['111122223333', '*'] } }],
    ['wildcards only', { StringLike: { 'aws:PrincipalAccount': '?*' } }],
    ['a policy variable (always equals itself)', { StringEquals: { 'kms:CallerAccount': '${aws:PrincipalAccount}' } }],
    ['a wildcard account inside an ARN', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/app' } }],
    ['a wildcard organization', { StringLike: { 'aws:PrincipalOrgID': 'o-*' } }],
    ['a wildcard organization path', { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': '*/r-ab12/*' } }],
  ])('a condition that does not restrict the caller (%s) does not help', (_name, condition) => {
    expect(findingsOf(keyTemplate([allow('*', 'kms:Decrypt', { Condition: condition })]), 'KMS1')).toHaveLength(1);
  });

  test.each([
    ['aws:PrincipalOrgID', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }],
    ['kms:CallerAccount (Ref AWS::AccountId)', { StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' } } }],
    ['aws:PrincipalArn (GetAtt, opaque)', { ArnLike: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['Role', 'Arn'] } } }],
    ['aws:SourceAccount, key in another case', { StringEquals: { 'AWS:SourceAccount': '111122223333' } }],
    ['aws:SourceArn with a wildcard resource in a fixed account', { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:111122223333:*' } }],
    ['aws:PrincipalOrgPaths under a fixed organization', { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-abc123/r-ab12/*' } }],
  ])('a restricting condition on %s passes', (_name, condition) => {
    expect(findingsOf(keyTemplate([allow({ AWS: '*' }, 'kms:Decrypt', { Condition: condition })]), 'KMS1')).toEqual([]);
  });

  test('a Deny to "*" (the CreateGrant guard) passes', () => {
    expect(findingsOf(keyTemplate([]), 'KMS1')).toEqual([]);
  });
});

describe('KMS2 broad actions', () => {
  test.each([
    ['kms:*', { Action: 'kms:*' }],
    ['a wildcard', { Action: ['kms:Describe*', 'kms:Decrypt'] }],
    ['"*"', { Action: '*' }],
    ['NotAction', { NotAction: 'kms:ScheduleKeyDeletion' }],
  ])('%s granted to a role is an error', (_name, actions) => {
    const statement = { Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Resource: '*', ...actions };
    const findings = findingsOf(keyTemplate([statement]), 'KMS2');
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain(ROLE_ARN);
  });

  test.each([
    ['the CDK Fn::Join form', ROOT_JOIN],
    ['a literal ARN', 'arn:aws:iam::111122223333:root'],
    ['a bare account id', '111122223333'],
    ['the Fn::Sub form', { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }],
    ['a China-partition ARN', 'arn:aws-cn:iam::111122223333:root'],
  ])('kms:* to the account root in %s passes', (_name, root) => {
    const template = keyTemplate([], { baseStatements: [allow({ AWS: root }, 'kms:*'), GRANT_GUARD] });
    expect(findingsOf(template, 'KMS2')).toEqual([]);
  });

  test('kms:* to another account\'s root is flagged when the policy makes the key\'s account clear', () => {
    const foreign = allow({ AWS: 'arn:aws:iam::444455556666:root' }, 'kms:*');
    expect(findingsOf(keyTemplate([foreign]), 'KMS2').map((f) => f.message)).toEqual(['statement #3 grants kms:* to arn:aws:iam::444455556666:root']);
    const literalOwn = allow({ AWS: 'arn:aws:iam::111122223333:root' }, 'kms:*');
    expect(findingsOf(keyTemplate([foreign], { baseStatements: [literalOwn, GRANT_GUARD] }), 'KMS2')).toEqual([]); // which one is own is unclear
    expect(findingsOf(keyTemplate([allow({ AWS: '444455556666' }, 'kms:Describe*')]), 'KMS2')).toHaveLength(1);
  });

  test('kms:* to the root and a role in one statement names the role', () => {
    const findings = findingsOf(keyTemplate([allow({ AWS: [ROOT_JOIN, ROLE_ARN] }, 'kms:*')]), 'KMS2');
    expect(findings.map((f) => f.message)).toEqual([`statement #3 grants kms:* to ${ROLE_ARN}`]);
  });
});

describe('KMS3 separation of duties', () => {
  test('a principal with PutKeyPolicy in one statement and Decrypt in another is an error', () => {
    const template = keyTemplate([
      allow({ AWS: ADMIN_ARN }, ['kms:PutKeyPolicy', 'kms:DescribeKey']),
      allow({ AWS: [ADMIN_ARN, ROLE_ARN] }, ['kms:Decrypt']),
    ]);
    const findings = findingsOf(template, 'KMS3');
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toBe(`${ADMIN_ARN} holds both power over the key (kms:PutKeyPolicy) and cryptographic use (kms:Decrypt)`);
  });

  test('a wildcard action covering both is caught too', () => {
    expect(findingsOf(keyTemplate([allow({ AWS: ROLE_ARN }, ['kms:Disable*', 'kms:Encrypt'])]), 'KMS3')).toHaveLength(1);
  });

  test('separate administrators and users pass', () => {
    const template = keyTemplate([
      allow({ AWS: ADMIN_ARN }, ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey']),
      allow({ AWS: ROLE_ARN }, ENCRYPT_DECRYPT),
    ]);
    expect(findingsOf(template, 'KMS3')).toEqual([]);
  });

  test('CreateGrant only for AWS resources is how services get access, not power', () => {
    const grants = allow({ AWS: ROLE_ARN }, ['kms:CreateGrant', 'kms:ListGrants'], { Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } });
    expect(findingsOf(keyTemplate([grants, allow({ AWS: ROLE_ARN }, ENCRYPT_DECRYPT)]), 'KMS3')).toEqual([]);
    const unconditioned = allow({ AWS: ROLE_ARN }, ['kms:CreateGrant']);
    expect(findingsOf(keyTemplate([unconditioned, allow({ AWS: ROLE_ARN }, ENCRYPT_DECRYPT)]), 'KMS3')).toHaveLength(1);
  });
});

describe('KMS4 rotation', () => {
  test.each([
    ['missing', {}],
    ['false', { EnableKeyRotation: false }],
    ['"false" (YAML)', { EnableKeyRotation: 'false' }],
  ])('a symmetric key with rotation %s is an error', (_name, properties) => {
    const template = keyTemplate([], { properties: { EnableKeyRotation: undefined, ...properties } });
    expect(findingsOf(template, 'KMS4').map((f) => f.severity)).toEqual([LintSeverity.ERROR]);
  });

  test('a rotation period over 365 days is a warning', () => {
    const template = keyTemplate([], { properties: { RotationPeriodInDays: 730 } });
    expect(findingsOf(template, 'KMS4')).toEqual([expect.objectContaining({
      severity: LintSeverity.WARNING, message: 'rotation period of 730 days is over 365 days',
    })]);
  });

  // Guard registry false positives: keys that cannot rotate automatically.
  test.each([
    ['an asymmetric signing key', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }],
    ['an ECC key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }],
    ['an HMAC key', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }],
    ['imported key material', { Origin: 'EXTERNAL' }],
    ['an external key store key', { Origin: 'EXTERNAL_KEY_STORE' }],
  ])('%s without rotation passes', (_name, properties) => {
    const template = keyTemplate([], { properties: { EnableKeyRotation: undefined, ...properties } });
    expect(findingsOf(template, 'KMS4')).toEqual([]);
  });

  test('a replica key is not checked (it rotates with its primary)', () => {
    expect(findingsOf(keyTemplate([], { type: 'AWS::KMS::ReplicaKey' }), 'KMS4')).toEqual([]);
  });

  test('rotation set from a parameter without default is opaque: no false alarm', () => {
    const template = keyTemplate([], { properties: { EnableKeyRotation: { Ref: 'Rotate' } }, parameters: { Rotate: { Type: 'String' } } });
    expect(findingsOf(template, 'KMS4')).toEqual([]);
  });

  test('rotation from a parameter default is resolved', () => {
    const template = keyTemplate([], { properties: { EnableKeyRotation: { Ref: 'Rotate' } }, parameters: { Rotate: { Type: 'String', Default: 'false' } } });
    expect(findingsOf(template, 'KMS4')).toHaveLength(1);
  });
});

describe('KMS5 CreateGrant guard', () => {
  test('a key policy without the guard is a warning', () => {
    expect(findingsOf(keyTemplate([], { baseStatements: [ROOT_STATEMENT] }), 'KMS5').map((f) => f.severity)).toEqual([LintSeverity.WARNING]);
  });

  test('a key without any KeyPolicy gets the KMS default policy, which has no guard', () => {
    const template = keyTemplate();
    delete template.Resources.Key.Properties.KeyPolicy;
    expect(findingIds(template)).toEqual(['KMS5 warning']);
  });

  test('the guard passes; a guard inside Fn::If is judged in each branch', () => {
    expect(findingsOf(keyTemplate(), 'KMS5')).toEqual([]);
    const conditional = { 'Fn::If': ['Prod', GRANT_GUARD, { Ref: 'AWS::NoValue' }] };
    expect(findingsOf(keyTemplate([conditional], { baseStatements: [ROOT_STATEMENT] }), 'KMS5').map((f) => f.message))
      .toEqual(['the key policy does not deny kms:CreateGrant for grants that are not for AWS resources (when Prod is false)']);
  });
});

describe('KMS6 service principal without aws:SourceArn / aws:SourceAccount', () => {
  const logs = { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } };

  test('a service principal without a source condition is an error', () => {
    const findings = findingsOf(keyTemplate([allow(logs, ['kms:Encrypt*', 'kms:Decrypt*'])]), 'KMS6');
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain('logs.${AWS::Region}.amazonaws.com');
  });

  test.each([
    ['aws:SourceAccount', { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }],
    ['aws:SourceArn', { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } }],
  ])('%s passes', (_name, condition) => {
    expect(findingsOf(keyTemplate([allow({ Service: 'cloudtrail.amazonaws.com' }, 'kms:GenerateDataKey*', { Condition: condition })]), 'KMS6')).toEqual([]);
  });
});

describe('KMS7 ForAllValues on the encryption context', () => {
  const onlyKeys = { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['table', 'pk'] } };

  test('ForAllValues alone also matches requests without a context: an error', () => {
    const findings = findingsOf(keyTemplate([allow({ AWS: ROLE_ARN }, 'kms:Decrypt', { Condition: onlyKeys })]), 'KMS7');
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain('ForAllValues:StringEquals on kms:EncryptionContextKeys');
  });

  test('the ManagedKey pairing with Null kms:EncryptionContextKeys = false passes', () => {
    const condition = { ...onlyKeys, Null: { 'kms:EncryptionContextKeys': 'false' } };
    expect(findingsOf(keyTemplate([allow({ AWS: ROLE_ARN }, 'kms:Decrypt', { Condition: condition })]), 'KMS7')).toEqual([]);
  });

  test('exact pairs (StringEquals kms:EncryptionContext:<key>) and Deny statements pass', () => {
    const exact = allow({ AWS: ROLE_ARN }, 'kms:Decrypt', { Condition: { StringEquals: { 'kms:EncryptionContext:table': 'orders' } } });
    const deny = { ...allow({ AWS: '*' }, 'kms:Decrypt', { Condition: onlyKeys }), Effect: 'Deny' };
    expect(findingsOf(keyTemplate([exact, deny]), 'KMS7')).toEqual([]);
  });
});

describe('KMS8 statement resource', () => {
  test.each([
    ['no Resource', { Resource: undefined }, 'has no Resource and never takes effect'],
    ['the key ARN', { Resource: 'arn:aws:kms:us-east-1:111122223333:key/1234' }, 'instead of "*"'],
    ['NotResource', { Resource: undefined, NotResource: 'arn:aws:kms:*:*:key/other' }, 'uses NotResource'],
  ])('a statement with %s is an error', (_name, extra, message) => {
    const findings = findingsOf(keyTemplate([allow({ AWS: ROLE_ARN }, 'kms:Decrypt', extra)]), 'KMS8');
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain(message);
  });

  test('"*" and an opaque resource pass', () => {
    const opaque = allow({ AWS: ROLE_ARN }, 'kms:Decrypt', { Resource: { 'Fn::ImportValue': 'KeyArn' } });
    expect(findingsOf(keyTemplate([opaque]), 'KMS8')).toEqual([]);
  });
});

describe('KMS9 key policy size', () => {
  const bulky = (count: number) => Array.from({ length: count }, (_, i) =>
    allow({ AWS: `arn:aws:iam::111122223333:role/application-role-with-a-long-name-${i}` }, ENCRYPT_DECRYPT, { Sid: `User${i}` }));

  test('over 32 KB is an error, over 28 KB a warning, smaller passes', () => {
    const sizeOf = (count: number) => JSON.stringify(keyTemplate(bulky(count)).Resources.Key.Properties.KeyPolicy).length;
    const perStatement = sizeOf(2) - sizeOf(1);
    const countFor = (bytes: number) => Math.ceil((bytes - sizeOf(0)) / perStatement);
    expect(findingsOf(keyTemplate(bulky(countFor(33_000))), 'KMS9').map((f) => f.severity)).toEqual([LintSeverity.ERROR]);
    expect(findingsOf(keyTemplate(bulky(countFor(30_000))), 'KMS9').map((f) => f.severity)).toEqual([LintSeverity.WARNING]);
    expect(findingsOf(keyTemplate(bulky(countFor(20_000))), 'KMS9')).toEqual([]);
  });
});

describe('KMS10 nobody can change the key policy', () => {
  test('a policy without kms:PutKeyPolicy for anyone is an error', () => {
    const template = keyTemplate([allow({ AWS: ADMIN_ARN }, ['kms:DescribeKey', 'kms:ScheduleKeyDeletion'])], { baseStatements: [GRANT_GUARD] });
    expect(findingsOf(template, 'KMS10').map((f) => f.message)).toEqual(['no statement allows kms:PutKeyPolicy: the key policy can never be changed']);
  });

  test('the account root (kms:*) or a named policy manager passes', () => {
    expect(findingsOf(keyTemplate(), 'KMS10')).toEqual([]);
    const manager = allow({ AWS: ADMIN_ARN }, ['kms:PutKeyPolicy', 'kms:GetKeyPolicy']);
    expect(findingsOf(keyTemplate([manager], { baseStatements: [GRANT_GUARD] }), 'KMS10')).toEqual([]);
  });
});

describe('KMS11 deletion protection', () => {
  test.each([
    ['no DeletionPolicy', null, 'DeletionPolicy is Delete (the default), not Retain'],
    ['DeletionPolicy Delete', 'Delete', 'DeletionPolicy is Delete, not Retain'],
  ])('%s is a warning', (_name, deletionPolicy, message) => {
    expect(findingsOf(keyTemplate([], { deletionPolicy }), 'KMS11')).toEqual([expect.objectContaining({ severity: LintSeverity.WARNING, message })]);
  });

  test('a pending window under 30 days is a warning, on replica keys too', () => {
    const template = keyTemplate([], { type: 'AWS::KMS::ReplicaKey', properties: { PendingWindowInDays: 7 } });
    expect(findingsOf(template, 'KMS11').map((f) => f.message)).toEqual(['PendingWindowInDays is 7, under 30 days']);
  });

  test('Retain with a 30-day window passes', () => {
    expect(findingsOf(keyTemplate([], { properties: { PendingWindowInDays: 30 } }), 'KMS11')).toEqual([]);
  });
});

describe('KMS12 CloudTrail trail without KMS management events', () => {
  const trail = (properties: Record<string, any>) => ({
    Resources: { Trail: { Type: 'AWS::CloudTrail::Trail', Properties: { IsLogging: true, S3BucketName: 'logs', ...properties } } },
  });

  test.each([
    ['management events off', { EventSelectors: [{ IncludeManagementEvents: false, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] }],
    ['KMS excluded', { EventSelectors: [{ IncludeManagementEvents: true, ExcludeManagementEventSources: ['kms.amazonaws.com'] }] }],
    ['read-only management events', { EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'ReadOnly' }] }],
    ['advanced selectors without KMS', {
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'eventSource', NotEquals: ['kms.amazonaws.com'] }] }],
    }],
    ['advanced selectors for data events only', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }],
  ])('%s is an error', (_name, properties) => {
    expect(findingIds(trail(properties))).toEqual(['KMS12 error']);
  });

  test.each([
    ['no selectors (all management events)', {}],
    ['management events on', { EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }] }],
    ['advanced management selector', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] }],
  ])('%s passes', (_name, properties) => {
    expect(findingIds(trail(properties))).toEqual([]);
  });
});

describe('intrinsic functions never crash a rule or raise a false alarm', () => {
  test('principals and conditions built from Ref, GetAtt, Join, Sub, Select and If', () => {
    const parameters = { Org: { Type: 'String' }, Admins: { Type: 'CommaDelimitedList', Default: `${ADMIN_ARN}` } };
    const statements = [
      allow({ AWS: { 'Fn::GetAtt': ['AppRole', 'Arn'] } }, ENCRYPT_DECRYPT),
      allow({ AWS: { 'Fn::Select': [0, { Ref: 'Admins' }] } }, ['kms:PutKeyPolicy', 'kms:DescribeKey']),
      allow({ AWS: { 'Fn::If': ['Cross', 'arn:aws:iam::444455556666:root', { Ref: 'AWS::NoValue' }] } }, 'kms:Decrypt'),
      allow({ AWS: '*' }, 'kms:Decrypt', { Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'Org' } } } }),
      allow({ Service: 'logs.amazonaws.com' }, 'kms:Encrypt', {
        Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*' } } },
      }),
      { 'Fn::If': ['Cross', allow({ AWS: '444455556666' }, 'kms:Decrypt'), { Ref: 'AWS::NoValue' }] },
    ];
    expect(findingIds(keyTemplate(statements, { parameters }))).toEqual([]);
  });

  test('a KeyPolicy that is entirely opaque is one KMS14 finding, not a guess by the other rules', () => {
    const template = keyTemplate([], { properties: { KeyPolicy: { 'Fn::ImportValue': 'SharedPolicy' } } });
    expect(findingIds(template)).toEqual(['KMS14 error']);
  });

  test('a KeyPolicy given as a JSON string is parsed', () => {
    const root = allow({ AWS: 'arn:aws:iam::111122223333:root' }, 'kms:*');
    const policy = JSON.stringify({ Statement: [root, GRANT_GUARD, allow('*', 'kms:Decrypt')] });
    expect(findingIds(keyTemplate([], { properties: { KeyPolicy: policy } }))).toEqual(['KMS1 error']);
    expect(findingIds(keyTemplate([], { properties: { KeyPolicy: JSON.stringify({ Statement: [root] }) } }))).toEqual(['KMS5 warning']);
  });

  test('KeyPolicyLinter.lintResource lints one resource with the template for parameters', () => {
    const template = keyTemplate([allow({ AWS: { Ref: 'Who' } }, 'kms:Decrypt')], { parameters: { Who: { Type: 'String', Default: '*' } } });
    expect(KeyPolicyLinter.lintResource('Key', template.Resources.Key, template).map((f) => f.ruleId)).toEqual(['KMS1']);
    expect(KeyPolicyLinter.lintResource('Key', template.Resources.Key).map((f) => f.ruleId)).toEqual([]);
  });
});

describe('hand-written templates from outside this library', () => {
  const load = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'lint', 'templates', name), 'utf-8'));
  const summary = (template: any) => KeyPolicyLinter.lintTemplate(template).map((f) => `${f.logicalId} ${f.ruleId} ${f.severity}`);

  test('Guard registry regressions: asymmetric and HMAC keys without rotation pass, {"AWS": "*"} fails', () => {
    expect(summary(load('guard-regressions.json'))).toEqual(['PublicKey KMS1 error']);
  });

  test('the KMS console default policy: wildcard administrator and user actions, no CreateGrant guard', () => {
    expect(summary(load('console-default-key-policy.json'))).toEqual(['AppKey KMS2 error', 'AppKey KMS2 error', 'AppKey KMS5 warning']);
  });

  test('a clean hand-written key passes every rule', () => {
    expect(summary(load('clean.json'))).toEqual([]);
  });
});
