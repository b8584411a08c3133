/**
 * The action catalogue decides, for every action name: its explicit expansion for a key, whether it
 * is a KMS key action at all, and whether STRICT's grant() may hand it out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as fc from 'fast-check';
import { KeyPolicyPosture, ManagedKey } from '../../src';
import { actionsForKey, allKeyActions, expandActions, KeyFacts } from '../../src/key/action-catalogue';

const facts = (keySpec: kms.KeySpec, keyUsage: kms.KeyUsage): KeyFacts => ({ keySpec, keyUsage, multiRegion: false, importedMaterial: false });
const SYMMETRIC = facts(kms.KeySpec.SYMMETRIC_DEFAULT, kms.KeyUsage.ENCRYPT_DECRYPT);
const RSA_ENCRYPT = facts(kms.KeySpec.RSA_2048, kms.KeyUsage.ENCRYPT_DECRYPT);
const ECC_SIGN = facts(kms.KeySpec.ECC_NIST_P256, kms.KeyUsage.SIGN_VERIFY);
const HMAC = facts(kms.KeySpec.HMAC_256, kms.KeyUsage.GENERATE_VERIFY_MAC);
const KEYS = [SYMMETRIC, RSA_ENCRYPT, ECC_SIGN, HMAC];

/** KMS condition keys aws-cdk-lib writes as `"kms:..."` strings: not actions. */
const CONDITION_KEYS = new Set(['kms:ViaService', 'kms:CallerAccount', 'kms:GrantIsForAWSResource', 'kms:ResourceAliases',
  'kms:GrantOperations', 'kms:GrantConstraintType', 'kms:EncryptionContextKeys']);

/** Every `"kms:<Name>"` string literal in the installed aws-cdk-lib's JavaScript. */
function kmsActionStringsOfAwsCdkLib(): string[] {
  const root = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') {walk(full);} else if (entry.isFile() && entry.name.endsWith('.js')) {
        for (const match of fs.readFileSync(full, 'utf8').matchAll(/["']kms:([A-Za-z*?]+)["']/g)) found.add(`kms:${match[1]}`);
      }
    }
  };
  walk(root);
  return [...found].filter((name) => !CONDITION_KEYS.has(name)).sort();
}

describe('expanding action names', () => {
  test('every KMS action string aws-cdk-lib passes is a key action or a wildcard over key actions', () => {
    const names = kmsActionStringsOfAwsCdkLib();
    expect(names).toEqual(expect.arrayContaining(['kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*', 'kms:List*', 'kms:*']));
    for (const name of names) {
      // A wildcard may cover nothing for one spec, but every name is known to the catalogue.
      const problems = KEYS.flatMap((key) => expandActions([name], key).problems.filter((p) => p.includes('is not a KMS key action')));
      expect({ name, problems }).toEqual({ name, problems: [] });
    }
  });

  test.each([
    [['kms:ReEncrypt*'], SYMMETRIC, ['kms:ReEncryptFrom', 'kms:ReEncryptTo']],
    [['kms:GenerateDataKey*'], SYMMETRIC, ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext']],
    [['kms:GenerateDataKey*'], RSA_ENCRYPT, []],
    [['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], RSA_ENCRYPT, ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']],
    [['kms:Describe*'], HMAC, ['kms:DescribeKey']],
    [['kms:Decrypt*', 'kms:Encrypt*'], SYMMETRIC, ['kms:Decrypt', 'kms:Encrypt']],
    [['kms:List*'], SYMMETRIC, ['kms:ListGrants', 'kms:ListKeyPolicies', 'kms:ListKeyRotations', 'kms:ListResourceTags']],
    [['kms:Get*'], ECC_SIGN, ['kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:GetPublicKey']],
    [['kms:GenerateDataKeyWithoutPlainText'], SYMMETRIC, ['kms:GenerateDataKeyWithoutPlaintext']], // ec2.Volume's spelling
    [['KMS:decrypt', 'kms:Decrypt'], SYMMETRIC, ['kms:Decrypt']],
    [['kms:?ign'], ECC_SIGN, ['kms:Sign']],
  ])('%j on %o expands to %j', (names, key, expected) => {
    expect(expandActions(names, key)).toEqual({ actions: expected, problems: [] });
  });

  test('kms:* covers exactly the catalogue actions of the key', () => {
    for (const key of KEYS) expect(expandActions(['kms:*'], key).actions).toEqual([...actionsForKey(key)].sort());
  });

  test('any name: the result is explicit catalogue actions of the key, or a problem naming the name', () => {
    const known = allKeyActions();
    const name = fc.oneof(
      fc.string(),
      fc.constantFrom(...known),
      fc.constantFrom(...known).map((a) => a.toUpperCase()),
      fc.tuple(fc.constantFrom(...known), fc.integer({ min: 4, max: 12 })).map(([a, n]) => `${a.slice(0, n)}*`),
      fc.string().map((s) => `kms:${s}`),
      fc.constantFrom('s3:GetObject', 'kms:CreateKey', 'kms:ListAliases', 'kms:GenerateRandom', '*', 'kms:', '__proto__', 'kms:__proto__', 'kms:constructor', 'kms:toString'),
    );
    fc.assert(fc.property(fc.array(name, { maxLength: 5 }), fc.constantFrom(...KEYS), (names, key) => {
      const { actions, problems } = expandActions(names, key);
      const allowed = new Set(actionsForKey(key));
      expect(actions.every((a) => allowed.has(a) && !/[*?]/.test(a))).toBe(true);
      expect(new Set(actions).size).toBe(actions.length);
      for (const n of names) {
        const coveredSomewhere = KEYS.some((k) => expandActions([n], k).problems.length === 0);
        if (!coveredSomewhere) expect(problems.join('\n').toLowerCase()).toContain(JSON.stringify(n).slice(1, -1).slice(0, 20).toLowerCase());
      }
    }), { numRuns: 300 });
  });

  test.each(['kms:Bogus', 's3:GetObject', 'kms:CreateKey', 'kms:ListAliases', 'kms:Foo*', '*', 'kms:__proto__', 'kms:constructor'])(
    '%s is not a KMS key action', (name) => {
      expect(expandActions([name], SYMMETRIC).problems).toEqual([expect.stringMatching(/is not a KMS key action: the actions of this key are kms:/)]);
    });

  test('an explicit action the key cannot do is a problem naming what it can do', () => {
    expect(expandActions(['kms:Sign'], SYMMETRIC).problems).toEqual([expect.stringMatching(/this key \(SYMMETRIC_DEFAULT, usage ENCRYPT_DECRYPT, single-Region, key material from KMS\) cannot do kms:Sign: the actions of this key are/)]);
    expect(expandActions(['kms:ReplicateKey'], SYMMETRIC).problems).toEqual([expect.stringMatching(/single-Region.*cannot do kms:ReplicateKey/)]);
  });
});

describe('grant() in the STRICT posture', () => {
  const strictKey = () => {
    const stack = new Stack(new App(), 'Stack');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    return { stack, role, key: new ManagedKey(stack, 'Key', { posture: KeyPolicyPosture.STRICT }) };
  };

  test.each([
    ['kms:PutKeyPolicy'], ['kms:ScheduleKeyDeletion'], ['kms:DisableKey'], ['kms:Put*'], ['kms:*'], ['kms:RetireGrant'], ['kms:TagResource'],
  ])('%s through grant() is an error naming the fix', (action) => {
    const { key, role } = strictKey();
    expect(() => key.grant(role, action)).toThrow(/power over the key, which in the STRICT posture only administrators \(ManagedKeyProps.administrators\) and the policy manager hold/);
  });

  test('CreateGrant, ListGrants, RevokeGrant through grant() are kept only for AWS resources', () => {
    const { key, role, stack } = strictKey();
    key.grant(role, 'kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant', 'kms:Decrypt');
    const statements = stack.resolve(key.policyStatements().map((s) => s.toStatementJson()));
    const forRole = statements.filter((s: any) => JSON.stringify(s.Principal).includes('Role'));
    expect(forRole).toEqual([
      expect.objectContaining({ Action: 'kms:Decrypt' }),
      expect.objectContaining({ Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'], Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
    ]);
  });

  test('read-only metadata and use are fine', () => {
    const { key, role } = strictKey();
    expect(() => key.grant(role, 'kms:Describe*', 'kms:List*', 'kms:Decrypt', 'kms:GetKeyPolicy')).not.toThrow();
  });
});
