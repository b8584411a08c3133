/**
 * The diff over hand-written templates: every kind of change, each both ways (BASE → HEAD and back),
 * key matching by logical id and by alias, and no change.
 */
import { ADMIN_ALL, allow, arnOf, KeyOptions, keyTemplate, ROOT } from './templates';
import { Change, diffTemplates, verdictOf } from '../../../src/access/diff';
import { CAPABILITIES } from '../../../src/access/explain';
import { CfnTemplate } from '../../../src/lint/template';

function diff(base: CfnTemplate, head: CfnTemplate) {
  return diffTemplates([{ stackName: 'App', template: base }], [{ stackName: 'App', template: head }]);
}

function changesOf(base: CfnTemplate, head: CfnTemplate): Change[] {
  return diff(base, head).keys.flatMap((key) => key.changes);
}

const READER_DECRYPT = allow('Reader', ['kms:Decrypt']);
const key = (statements: object[], extra: Partial<KeyOptions> = {}) => keyTemplate({ statements, ...extra });

interface BothWays {
  readonly name: string;
  readonly base: CfnTemplate;
  readonly head: CfnTemplate;
  /** The change BASE → HEAD, and HEAD → BASE. */
  readonly forward: Partial<Change>;
  readonly backward: Partial<Change>;
}

const ENCRYPTION_CONTEXT = { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } };
const VIA_S3 = { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } };
const PARTNER_ROOT = 'arn:aws:iam::222222222222:root';
const CALLER_ACCOUNT = { StringEquals: { 'kms:CallerAccount': '222222222222' } };
const GRANT_GUARD = {
  Sid: 'CreateGrantGuard',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
};

const CASES: BothWays[] = [
  {
    name: 'a role gains / loses decrypt',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL, READER_DECRYPT]),
    forward: { kind: 'access-gained', effect: 'more-access', principal: 'App/Reader', capability: 'decrypt', actions: ['kms:Decrypt'] },
    backward: { kind: 'access-lost', effect: 'less-access', principal: 'App/Reader', capability: 'decrypt' },
  },
  {
    name: 'an encryption-context condition is dropped / added',
    base: key([ADMIN_ALL, allow('Reader', ['kms:Decrypt'], ENCRYPTION_CONTEXT)]),
    head: key([ADMIN_ALL, READER_DECRYPT]),
    forward: { kind: 'conditions-widened', effect: 'more-access', principal: 'App/Reader', capability: 'decrypt', conditionKinds: ['encryption-context'] },
    backward: { kind: 'conditions-narrowed', effect: 'less-access', principal: 'App/Reader', conditionKinds: ['encryption-context'] },
  },
  {
    name: 'kms:ViaService is removed / added',
    base: key([ADMIN_ALL, allow('Reader', ['kms:Decrypt'], VIA_S3)]),
    head: key([ADMIN_ALL, READER_DECRYPT]),
    forward: { kind: 'conditions-widened', capability: 'decrypt', conditionKinds: ['via-service'] },
    backward: { kind: 'conditions-narrowed', conditionKinds: ['via-service'], viaService: true },
  },
  {
    name: 'kms:CallerAccount is removed / added for another account',
    base: key([ADMIN_ALL, { Effect: 'Allow', Principal: { AWS: PARTNER_ROOT }, Action: 'kms:Decrypt', Resource: '*', Condition: CALLER_ACCOUNT }]),
    head: key([ADMIN_ALL, { Effect: 'Allow', Principal: { AWS: PARTNER_ROOT }, Action: 'kms:Decrypt', Resource: '*' }]),
    forward: { kind: 'conditions-widened', principal: 'account 222222222222', conditionKinds: ['caller-account'], crossAccount: true },
    backward: { kind: 'conditions-narrowed', principal: 'account 222222222222', conditionKinds: ['caller-account'], crossAccount: true },
  },
  {
    name: 'another account gains / loses decrypt',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL, { Effect: 'Allow', Principal: { AWS: PARTNER_ROOT }, Action: 'kms:Decrypt', Resource: '*' }]),
    forward: { kind: 'access-gained', principal: 'account 222222222222', capability: 'decrypt', crossAccount: true },
    backward: { kind: 'access-lost', principal: 'account 222222222222', crossAccount: true },
  },
  {
    name: 'the CreateGrant guard is removed / added',
    base: key([ADMIN_ALL, allow('App', ['kms:CreateGrant']), GRANT_GUARD]),
    head: key([ADMIN_ALL, allow('App', ['kms:CreateGrant'])]),
    forward: { kind: 'conditions-widened', principal: 'App/App', capability: 'create-grant', conditionKinds: ['grant-for-aws-resource'] },
    backward: { kind: 'conditions-narrowed', principal: 'App/App', capability: 'create-grant' },
  },
  {
    name: 'posture STRICT → IAM_DELEGATED / back',
    base: key([allow('Admin', ['kms:PutKeyPolicy', 'kms:DescribeKey'])]),
    head: key([ADMIN_ALL, allow('Admin', ['kms:PutKeyPolicy', 'kms:DescribeKey'])]),
    forward: { kind: 'posture-changed', effect: 'weaker', from: 'STRICT', to: 'IAM_DELEGATED' },
    backward: { kind: 'posture-changed', effect: 'stronger', from: 'IAM_DELEGATED', to: 'STRICT' },
  },
  {
    name: 'rotation on → off / back',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL], { properties: { EnableKeyRotation: false } }),
    forward: { kind: 'rotation-changed', effect: 'weaker', from: true, to: false },
    backward: { kind: 'rotation-changed', effect: 'stronger', from: false, to: true },
  },
  {
    name: 'rotation period lengthened / shortened',
    base: key([ADMIN_ALL], { properties: { RotationPeriodInDays: 90 } }),
    head: key([ADMIN_ALL], { properties: { RotationPeriodInDays: 730 } }),
    forward: { kind: 'rotation-changed', effect: 'weaker', setting: 'rotationPeriodDays', from: 90, to: 730 },
    backward: { kind: 'rotation-changed', effect: 'stronger', from: 730, to: 90 },
  },
  {
    name: 'DeletionPolicy Retain → Delete / back',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL], { deletionPolicy: 'Delete' }),
    forward: { kind: 'deletion-protection-changed', effect: 'weaker', setting: 'DeletionPolicy', from: 'Retain', to: 'Delete' },
    backward: { kind: 'deletion-protection-changed', effect: 'stronger', setting: 'DeletionPolicy' },
  },
  {
    name: 'UpdateReplacePolicy Retain → Delete / back',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL], { updateReplacePolicy: 'Delete' }),
    forward: { kind: 'deletion-protection-changed', effect: 'weaker', setting: 'UpdateReplacePolicy' },
    backward: { kind: 'deletion-protection-changed', effect: 'stronger', setting: 'UpdateReplacePolicy' },
  },
  {
    name: 'pending window shortened / lengthened',
    base: key([ADMIN_ALL], { properties: { PendingWindowInDays: 30 } }),
    head: key([ADMIN_ALL], { properties: { PendingWindowInDays: 7 } }),
    forward: { kind: 'deletion-protection-changed', effect: 'weaker', setting: 'PendingWindowInDays', from: 30, to: 7 },
    backward: { kind: 'deletion-protection-changed', effect: 'stronger', setting: 'PendingWindowInDays', from: 7, to: 30 },
  },
  {
    name: 'key disabled / enabled',
    base: key([ADMIN_ALL]),
    head: key([ADMIN_ALL], { properties: { Enabled: false } }),
    forward: { kind: 'enabled-changed', effect: 'less-access', from: true, to: false },
    backward: { kind: 'enabled-changed', effect: 'neutral', from: false, to: true },
  },
  {
    name: 'a key spec change replaces the key (UpdateReplacePolicy Delete deletes the old material)',
    base: key([ADMIN_ALL], { updateReplacePolicy: 'Delete', properties: { EnableKeyRotation: false, KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' } }),
    head: key([ADMIN_ALL], { updateReplacePolicy: 'Delete', properties: { EnableKeyRotation: false, KeySpec: 'RSA_3072', KeyUsage: 'ENCRYPT_DECRYPT' } }),
    forward: { kind: 'key-replaced', effect: 'weaker', setting: 'KeySpec', deletesKeyMaterial: true },
    backward: { kind: 'key-replaced', effect: 'weaker', setting: 'KeySpec', deletesKeyMaterial: true },
  },
  {
    name: 'a key is added / removed with DeletionPolicy Delete',
    base: keyTemplate(),
    head: key([ADMIN_ALL, READER_DECRYPT], { deletionPolicy: 'Delete' }),
    forward: { kind: 'key-added' },
    backward: { kind: 'key-removed', effect: 'weaker', deletesKeyMaterial: true },
  },
  {
    name: 'a key is added / removed with DeletionPolicy Retain',
    base: keyTemplate(),
    head: key([ADMIN_ALL]),
    forward: { kind: 'key-added' },
    backward: { kind: 'key-removed', effect: 'less-access', deletesKeyMaterial: false },
  },
];

describe.each(CASES)('$name', ({ base, head, forward, backward }) => {
  test('BASE → HEAD', () => {
    expect(changesOf(base, head)).toContainEqual(expect.objectContaining(forward));
  });
  test('HEAD → BASE', () => {
    expect(changesOf(head, base)).toContainEqual(expect.objectContaining(backward));
  });
});

/** A key spec and usage under which the capability exists. */
const KEY_FOR: Record<string, Record<string, string>> = {
  sign: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
  verify: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
  mac: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
  derive: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' },
};

describe.each(CAPABILITIES.map((c) => [c.id, c] as const))('capability %s gained and lost', (id, capability) => {
  const properties = { EnableKeyRotation: false, ...KEY_FOR[id] };
  const symmetric = !KEY_FOR[id];
  const without = key([ADMIN_ALL], { properties });
  const withIt = key([ADMIN_ALL, allow('Reader', capability.actions(symmetric))], { properties });
  // Sign and verify share kms:GetPublicKey: the sibling capability changes in part.
  const reader = (changes: Change[]) => changes.filter((c) => c.principal === 'App/Reader');
  const partly = (c: Change) => (c.kind === 'access-gained' ? c.after : c.before)?.status === 'partial';

  test('gained', () => {
    const changes = reader(changesOf(without, withIt));
    expect(changes.filter((c) => c.capability === id).map((c) => c.kind)).toEqual(['access-gained']);
    expect(changes.filter((c) => c.capability !== id).every(partly)).toBe(true);
  });
  test('lost', () => {
    const changes = reader(changesOf(withIt, without));
    expect(changes.filter((c) => c.capability === id).map((c) => c.kind)).toEqual(['access-lost']);
    expect(changes.filter((c) => c.capability !== id).every(partly)).toBe(true);
  });
});

test('a sign-only role gains part of verify, shown with the actions', () => {
  const properties = { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' };
  const changes = changesOf(key([ADMIN_ALL], { properties }), key([ADMIN_ALL, allow('Reader', ['kms:Sign', 'kms:GetPublicKey'])], { properties }));
  const verify = changes.find((c) => c.capability === 'verify');
  expect(verify).toMatchObject({ kind: 'access-gained', after: { status: 'partial' }, actions: ['kms:GetPublicKey'] });
  expect(verify!.summary).toBe('App/Reader gains verify (kms:GetPublicKey)');
});

test('an IAM policy of the templates that newly reaches the key is new access via IAM', () => {
  const head = key([ADMIN_ALL]);
  const withPolicy: CfnTemplate = {
    Resources: {
      ...head.Resources,
      ReaderPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyName: 'p', Roles: [{ Ref: 'Reader' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf('Key') }] } },
      },
    },
  };
  expect(changesOf(head, withPolicy)).toContainEqual(expect.objectContaining({
    kind: 'access-gained', principal: 'App/Reader', principalSource: 'iam-policy', capability: 'decrypt', after: expect.objectContaining({ via: 'iam' }),
  }));
});

describe('matching', () => {
  test('a key renamed by logical id but kept by alias is the same key', () => {
    const result = diff(key([ADMIN_ALL]), key([ADMIN_ALL, READER_DECRYPT], { logicalId: 'OrdersKeyV2' }));
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]).toMatchObject({ matchedBy: 'alias', base: { logicalId: 'Key' }, head: { logicalId: 'OrdersKeyV2', aliases: ['alias/orders'] } });
    expect(result.keys[0].changes.map((c) => [c.kind, c.principal])).toEqual([['access-gained', 'App/Reader']]);
    expect(result.findingsAdded).toEqual([]);
  });

  test('a renamed key with a different alias is one key removed and one added', () => {
    const result = diff(key([ADMIN_ALL]), key([ADMIN_ALL], { logicalId: 'Other', alias: 'alias/other' }));
    expect(result.keys.map((k) => k.changes[0].kind).sort()).toEqual(['key-added', 'key-removed']);
  });

  test('an alias shared by two BASE keys matches neither (ambiguous)', () => {
    const base: CfnTemplate = { Resources: { ...key([ADMIN_ALL], { logicalId: 'A' }).Resources, ...key([ADMIN_ALL], { logicalId: 'B' }).Resources } };
    const result = diff(base, key([ADMIN_ALL], { logicalId: 'C' }));
    expect(result.keys.filter((k) => k.matchedBy === 'alias')).toEqual([]);
  });

  test('replica keys are matched and compared like keys', () => {
    const replica = (statements: object[]): CfnTemplate => ({
      Resources: {
        Replica: { Type: 'AWS::KMS::ReplicaKey', DeletionPolicy: 'Retain', Properties: { PrimaryKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/mrk-1', KeyPolicy: { Statement: statements } } },
      },
    });
    const changes = changesOf(replica([ADMIN_ALL]), replica([ADMIN_ALL, { Effect: 'Allow', Principal: { AWS: PARTNER_ROOT }, Action: 'kms:Decrypt', Resource: '*' }]));
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'access-gained', principal: 'account 222222222222', capability: 'decrypt' }));
    const moved = changesOf(replica([ADMIN_ALL]), {
      Resources: { Replica: { ...replica([ADMIN_ALL]).Resources!.Replica, Properties: { PrimaryKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/mrk-2', KeyPolicy: { Statement: [ADMIN_ALL] } } } },
    });
    // A replica shares its key material with the primary: replacing or removing it deletes no material.
    expect(moved).toContainEqual(expect.objectContaining({ kind: 'key-replaced', setting: 'PrimaryKeyArn', deletesKeyMaterial: false }));
    expect(changesOf(replica([ADMIN_ALL]), {})).toContainEqual(expect.objectContaining({ kind: 'key-removed', deletesKeyMaterial: false }));
  });
});

describe('lint findings', () => {
  test('HEAD\'s new findings are reported, and BASE\'s fixed ones as resolved', () => {
    const good = key([ADMIN_ALL]);
    const bad = key([ADMIN_ALL, { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }], { properties: { EnableKeyRotation: false } });
    const forward = diff(good, bad);
    expect(forward.findingsAdded.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['KMS4']));
    expect(forward.findingsResolved).toEqual([]);
    expect(verdictOf(forward, 'error').failingFindings.length).toBeGreaterThan(0);
    const backward = diff(bad, good);
    expect(backward.findingsResolved.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['KMS4']));
    expect(backward.findingsAdded).toEqual([]);
  });

  test('renumbered statements do not make findings new', () => {
    const wildcard = { Sid: undefined, Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' };
    const result = diff(key([ADMIN_ALL, wildcard]), key([ADMIN_ALL, READER_DECRYPT, wildcard]));
    expect(result.findingsAdded).toEqual([]);
  });
});

describe('verdict', () => {
  test('the same templates: no change', () => {
    const result = diff(key([ADMIN_ALL, READER_DECRYPT]), key([ADMIN_ALL, READER_DECRYPT]));
    expect(result.keys).toEqual([]);
    expect(verdictOf(result, 'warning')).toMatchObject({ kind: 'no-change', failing: false });
  });

  test('only less access passes', () => {
    expect(verdictOf(diff(key([ADMIN_ALL, READER_DECRYPT]), key([ADMIN_ALL])), 'error')).toMatchObject({ kind: 'changed', failing: false });
  });

  test('new access fails', () => {
    expect(verdictOf(diff(key([ADMIN_ALL]), key([ADMIN_ALL, READER_DECRYPT])), 'none')).toMatchObject({ kind: 'new-access', failing: true });
  });

  test('the account root named directly is a principal like any other', () => {
    const changes = changesOf(key([allow('Admin', ['kms:PutKeyPolicy'])]), key([allow('Admin', ['kms:PutKeyPolicy']), { Effect: 'Allow', Principal: ROOT, Action: 'kms:Decrypt', Resource: '*' }]));
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'access-gained', principal: 'this account (root)', capability: 'decrypt' }));
  });
});
