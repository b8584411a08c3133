/**
 * Issue 10, items 3, 5, 6 and 7: principals given in every form a user can write. Each class is a
 * property over many members; the judge of a synthesized policy is our own linter (the same
 * functions as the CLI and the cdk-nag pack), and the judge of a failure is "our error, with the
 * construct path", never an aws-cdk-lib error or a stack trace.
 */
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import fc from 'fast-check';
import { CloudHsmKeyStore, CustomStoreKey, KeyCapability, KeyPolicyPosture, KeyUser, KeyUserOptions, ManagedKey } from '../../src';
import { LintSeverity } from '../../src/lint/finding';
import { lintTemplate } from '../../src/lint/lint';
import { TRUST_ANCHOR } from '../keystore/fixtures';
import { synthTemplate } from '../support/template';

const ACCOUNT = '111111111111';
const ENV = { account: ACCOUNT, region: 'eu-west-1' };
const ORG = 'o-abcdefghij';
const KEY_PATH = 'Platform/Key';

/** A principal factory with a name that shows in counterexamples. */
interface Form {
  readonly name: string;
  make(stack: Stack, id: string): iam.IPrincipal;
}

const form = (name: string, make: (stack: Stack, id: string) => iam.IPrincipal): Form => ({ name, make, toString: () => name } as Form);

type Outcome = { readonly ok: true; readonly template: any } | { readonly ok: false; readonly message: string };

/** Builds a key in a fresh app, synthesizes it and reports the template or the error. */
function outcome(build: (stack: Stack) => void): Outcome {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: ENV });
  try {
    build(stack);
    return { ok: true, template: synthTemplate(stack).toJSON() };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Our error: names the key's construct path and is not one of aws-cdk-lib's own. */
function expectOurError(message: string): void {
  expect(message).toMatch(new RegExp(`(^|\\[)${KEY_PATH}(\\]|:)`));
  expect(message).not.toMatch(/All principals in a PolicyStatement|Condition key '.*' is set twice|Cannot read properties/);
}

function lintErrors(template: any): string[] {
  return lintTemplate(template).filter((f) => f.severity === LintSeverity.ERROR).map((f) => `${f.ruleId} ${f.message}`);
}

function keyStatements(template: any): any[] {
  const keys = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::KMS::Key') as any[];
  return keys.flatMap((key) => key.Properties.KeyPolicy.Statement);
}

const role = (stack: Stack, id: string, roleName?: string) =>
  new iam.Role(stack, id, { roleName, assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

// ---------------------------------------------------------------------------------------------
// Item 3: every way to write "everyone", in every place a principal can go.

const EVERYONE: Form[] = [
  form('StarPrincipal', () => new iam.StarPrincipal()),
  form('AnyPrincipal', () => new iam.AnyPrincipal()),
  form("ArnPrincipal('*')", () => new iam.ArnPrincipal('*')),
  form("AccountPrincipal('*')", () => new iam.AccountPrincipal('*')),
  form("ArnPrincipal('arn:aws:iam::*:root')", () => new iam.ArnPrincipal('arn:aws:iam::*:root')),
  form("ArnPrincipal('arn:aws:iam::*:role/app')", () => new iam.ArnPrincipal('arn:aws:iam::*:role/app')),
  form('Composite(role, Star)', (s, id) => new iam.CompositePrincipal(role(s, `${id}R`), new iam.StarPrincipal())),
  form('Composite(Any, account)', () => new iam.CompositePrincipal(new iam.AnyPrincipal(), new iam.AccountPrincipal('222222222222'))),
  form("Any with StringLike kms:CallerAccount '*'",
    () => new iam.PrincipalWithConditions(new iam.AnyPrincipal(), { StringLike: { 'kms:CallerAccount': '*' } })),
  form('Any with a policy-variable account',
    () => new iam.PrincipalWithConditions(new iam.AnyPrincipal(), { StringEquals: { 'aws:PrincipalAccount': '${aws:PrincipalAccount}' } })),
  form("Any with StringLike aws:PrincipalOrgID 'o-*'",
    () => new iam.PrincipalWithConditions(new iam.AnyPrincipal(), { StringLike: { 'aws:PrincipalOrgID': 'o-*' } })),
  form('Any with a NotEquals org', () => new iam.PrincipalWithConditions(new iam.AnyPrincipal(), { StringNotEquals: { 'aws:PrincipalOrgID': ORG } })),
];

/** User options that look like restrictions but restrict nothing (or are not ids at all). */
const FAKE_RESTRICTIONS: KeyUserOptions[] = [
  {},
  { callerAccount: '*' },
  { callerAccount: '?*' },
  { callerAccount: '${aws:PrincipalAccount}' },
  { callerAccount: '' },
  { callerAccount: '11111111111*' },
  { principalOrgId: '*' },
  { principalOrgId: 'o-*' },
  { principalOrgId: '${aws:PrincipalOrgID}' },
  { encryptionContext: { tenant: 'a' } },
];

type Place = 'user' | 'administrator' | 'grantee' | 'policy manager' | 'addToResourcePolicy' | 'addToResourcePolicy JSON';
const PLACES: Place[] = ['user', 'administrator', 'grantee', 'policy manager', 'addToResourcePolicy', 'addToResourcePolicy JSON'];

function placeEveryone(stack: Stack, place: Place, principal: iam.IPrincipal, options: KeyUserOptions, posture: KeyPolicyPosture): void {
  switch (place) {
    case 'user':
      new ManagedKey(stack, 'Key', { posture, users: [KeyUser.decrypt(principal, options)] });
      return;
    case 'administrator':
      new ManagedKey(stack, 'Key', { posture, administrators: [principal] });
      return;
    case 'policy manager':
      new ManagedKey(stack, 'Key', { posture: KeyPolicyPosture.STRICT, policyManager: principal });
      return;
    case 'grantee':
      new ManagedKey(stack, 'Key', { posture }).grantDecrypt(principal);
      return;
    case 'addToResourcePolicy':
      new ManagedKey(stack, 'Key', { posture }).addToResourcePolicy(
        new iam.PolicyStatement({ principals: [principal], actions: ['kms:Decrypt'], resources: ['*'] }));
      return;
    case 'addToResourcePolicy JSON':
      new ManagedKey(stack, 'Key', { posture }).addToResourcePolicy(iam.PolicyStatement.fromJson({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        ...(options.callerAccount !== undefined ? { Condition: { StringLike: { 'kms:CallerAccount': options.callerAccount } } } : {}),
      }));
      return;
  }
}

describe('item 3: a principal that is everyone', () => {
  test('in any place, in any form, with any fake restriction: our synth error, never a policy our lint rejects', () => {
    fc.assert(fc.property(
      fc.constantFrom(...EVERYONE), fc.constantFrom(...PLACES), fc.constantFrom(...FAKE_RESTRICTIONS),
      fc.constantFrom(KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT),
      (everyone, place, options, posture) => {
        // aws-cdk-lib itself refuses `*` merged into a composite in the caller's own `new PolicyStatement`,
        // before the statement reaches the key: not a path through this library.
        fc.pre(!(place === 'addToResourcePolicy' && everyone.name === 'Composite(role, Star)'));
        const result = outcome((stack) => placeEveryone(stack, place, everyone.make(stack, 'Who'), options, posture));
        if (result.ok) {
          // Nothing synthesizes that lets everyone in: the policy passes every lint rule.
          expect(lintErrors(result.template)).toEqual([]);
        } else {
          expectOurError(result.message);
        }
        // Every form above is open (or malformed), so none may synthesize.
        expect(result.ok).toBe(false);
      }), { numRuns: 90 });
  });

  test.each([
    ['StarPrincipal with principalOrgId', () => KeyUser.decrypt(new iam.StarPrincipal(), { principalOrgId: ORG })],
    ['AnyPrincipal with callerAccount', () => KeyUser.decrypt(new iam.AnyPrincipal(), { callerAccount: '222222222222' })],
    ['OrganizationPrincipal', () => KeyUser.decrypt(new iam.OrganizationPrincipal(ORG))],
    ['Any with its own aws:PrincipalAccount', () => KeyUser.decrypt(
      new iam.PrincipalWithConditions(new iam.AnyPrincipal(), { StringEquals: { 'aws:PrincipalAccount': '222222222222' } }))],
  ])('a wildcard user that really is restricted synthesizes: %s', (_name, user) => {
    const result = outcome((stack) => new ManagedKey(stack, 'Key', { users: [user()] }));
    if (!result.ok) throw new Error(result.message);
    expect(lintErrors(result.template)).toEqual([]);
    const open = keyStatements(result.template).filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('"*"'));
    expect(open).toHaveLength(1);
    expect(JSON.stringify(open[0].Condition)).toMatch(/222222222222|o-abcdefghij/);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 5: separation of duties by what principals resolve to.

/** Forms of the same role `Ops` of the key's account. */
const OPS: Form[] = [
  // One construct however often the form is drawn: two roles named Ops would not deploy.
  form('Role construct named Ops', (s) => (s.node.tryFindChild('Ops') as iam.Role | undefined) ?? role(s, 'Ops', 'Ops')),
  form('literal ARN', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/Ops`)),
  form('literal ARN, other case and a path', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/team/OPS`)),
  form('aws-cn partition', () => new iam.ArnPrincipal(`arn:aws-cn:iam::${ACCOUNT}:role/Ops`)),
  form('Role.fromRoleArn', (s, id) => iam.Role.fromRoleArn(s, id, `arn:aws:iam::${ACCOUNT}:role/Ops`)),
  form('Role.fromRoleName', (s, id) => iam.Role.fromRoleName(s, id, 'Ops')),
  form('Fn::Sub with pseudo parameters', () => new iam.ArnPrincipal(Fn.sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/Ops'))),
  form('Fn::Join', () => new iam.ArnPrincipal(Fn.join('', ['arn:', Fn.ref('AWS::Partition'), ':iam::', Fn.ref('AWS::AccountId'), ':role/Ops']))),
  form('an assumed-role session', () => new iam.ArnPrincipal(`arn:aws:sts::${ACCOUNT}:assumed-role/Ops/session-1`)),
  form('inside a CompositePrincipal', (s, id) => new iam.CompositePrincipal(role(s, `${id}Other`), new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/Ops`))),
  form('with its own conditions', () => new iam.PrincipalWithConditions(
    new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/Ops`), { StringEquals: { 'aws:PrincipalTag/team': 'ops' } })),
];

type Use = 'KeyUser' | 'grantDecrypt' | 'grant(kms:Decrypt)';

function useKey(key: ManagedKey | CustomStoreKey, use: Use, principal: iam.IPrincipal): void {
  if (use === 'KeyUser') key.addUser(KeyUser.decrypt(principal));
  else if (use === 'grantDecrypt') key.grantDecrypt(principal);
  else key.grant(principal, 'kms:Decrypt');
}

describe('item 5: separation of duties compares principals by what they resolve to', () => {
  // ManagedKey in both postures, and a key in a custom key store (the same shared policy parts).
  type Kind = KeyPolicyPosture | 'CustomStoreKey';
  const makeKey = (stack: Stack, kind: Kind, administrator: iam.IPrincipal): ManagedKey | CustomStoreKey => {
    if (kind !== 'CustomStoreKey') return new ManagedKey(stack, 'Key', { posture: kind, administrators: [administrator] });
    const password = new secretsmanager.Secret(stack, 'KmsUserPassword');
    const keyStore = new CloudHsmKeyStore(stack, 'Hsm', { clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: TRUST_ANCHOR, kmsUserPasswordSecret: password });
    return new CustomStoreKey(stack, 'Key', { keyStore, administrators: [administrator] });
  };

  test('an administrator given in one form and a user given in another is always caught', () => {
    fc.assert(fc.property(
      fc.constantFrom(...OPS), fc.constantFrom(...OPS), fc.constantFrom<Use>('KeyUser', 'grantDecrypt', 'grant(kms:Decrypt)'),
      fc.constantFrom<Kind>(KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT, 'CustomStoreKey'),
      (adminForm, userForm, use, kind) => {
        const result = outcome((stack) => {
          const key = makeKey(stack, kind, adminForm.make(stack, 'Admin'));
          useKey(key, use, userForm.make(stack, 'User'));
        });
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expectOurError(result.message);
          expect(result.message).toMatch(/is both administrator and user of the key/);
        }
      }), { numRuns: 120 });
  });

  test('the STRICT policy manager given as Fn::Sub is the same principal as its literal ARN', () => {
    fc.assert(fc.property(fc.constantFrom(...OPS), fc.constantFrom<Use>('KeyUser', 'grantDecrypt'), (userForm, use) => {
      const result = outcome((stack) => {
        const key = new ManagedKey(stack, 'Key', {
          posture: KeyPolicyPosture.STRICT,
          policyManager: new iam.ArnPrincipal(Fn.sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/Ops')),
        });
        useKey(key, use, userForm.make(stack, 'User'));
      });
      expect(!result.ok && /is both administrator and user/.test(result.message)).toBe(true);
    }), { numRuns: 30 });
  });

  test('different roles are never confused: other names, other accounts', () => {
    const others: Form[] = [
      form('other name', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/Opsx`)),
      form('other account', () => new iam.ArnPrincipal('arn:aws:iam::222222222222:role/Ops')),
      form('a user named Ops', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:user/Ops`)),
      form('a role construct without a name', (s, id) => role(s, id)),
    ];
    fc.assert(fc.property(fc.constantFrom(...OPS), fc.constantFrom(...others), (adminForm, userForm) => {
      const result = outcome((stack) => {
        const key = new ManagedKey(stack, 'Key', { administrators: [adminForm.make(stack, 'Admin')] });
        key.addUser(KeyUser.decrypt(userForm.make(stack, 'User')));
      });
      if (!result.ok) throw new Error(result.message);
    }), { numRuns: 40 });
  });
});

// ---------------------------------------------------------------------------------------------
// Item 6: service principals given as users or grantees.

const SERVICES: Form[] = [
  form('ServicePrincipal sns', () => new iam.ServicePrincipal('sns.amazonaws.com')),
  form('regional ServicePrincipal logs', () => new iam.ServicePrincipal('logs.eu-west-1.amazonaws.com')),
  form('Composite of two services', () => new iam.CompositePrincipal(new iam.ServicePrincipal('sns.amazonaws.com'), new iam.ServicePrincipal('sqs.amazonaws.com'))),
  form('ServicePrincipal with its own aws:SourceArn', () => new iam.PrincipalWithConditions(
    new iam.ServicePrincipal('sns.amazonaws.com'), { ArnLike: { 'aws:SourceArn': `arn:aws:sns:eu-west-1:${ACCOUNT}:orders` } })),
  form('ServicePrincipal with a wildcard aws:SourceArn (no protection)', () => new iam.PrincipalWithConditions(
    new iam.ServicePrincipal('sns.amazonaws.com'), { ArnLike: { 'aws:SourceArn': '*' } })),
  form('Composite of a service and a role', (s, id) => new iam.CompositePrincipal(new iam.ServicePrincipal('sns.amazonaws.com'), role(s, `${id}R`))),
];

type ServiceUse = 'KeyUser.decrypt' | 'KeyUser.encryptDecrypt' | 'grantDecrypt' | 'grantEncrypt' | 'grant(kms:Decrypt)';

describe('item 6: service principals as users and grantees get confused-deputy protection', () => {
  test('every service statement carries aws:SourceAccount or aws:SourceArn, or synth fails with our error', () => {
    fc.assert(fc.property(
      fc.constantFrom(...SERVICES),
      fc.constantFrom<ServiceUse>('KeyUser.decrypt', 'KeyUser.encryptDecrypt', 'grantDecrypt', 'grantEncrypt', 'grant(kms:Decrypt)'),
      fc.constantFrom(KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT),
      (service, use, posture) => {
        const result = outcome((stack) => {
          const key = new ManagedKey(stack, 'Key', { posture });
          const principal = service.make(stack, 'Svc');
          if (use === 'KeyUser.decrypt') key.addUser(KeyUser.decrypt(principal));
          else if (use === 'KeyUser.encryptDecrypt') key.addUser(KeyUser.encryptDecrypt(principal));
          else if (use === 'grantDecrypt') key.grantDecrypt(principal);
          else if (use === 'grantEncrypt') key.grantEncrypt(principal);
          else key.grant(principal, 'kms:Decrypt');
        });
        if (!result.ok) {
          expectOurError(result.message);
          return;
        }
        expect(lintErrors(result.template)).toEqual([]);
        const serviceStatements = keyStatements(result.template).filter((s) => s.Principal?.Service);
        expect(serviceStatements.length).toBeGreaterThan(0);
        for (const s of serviceStatements) {
          const pinned = JSON.stringify(s.Condition ?? {});
          expect(pinned.includes(`"aws:SourceAccount":"${ACCOUNT}"`) || /"aws:SourceArn":"arn:aws:sns:eu-west-1:111111111111:orders"/.test(pinned)).toBe(true);
        }
      }), { numRuns: 60 });
  });

  test('a composite of a service and a role is rejected with the fix', () => {
    const result = outcome((stack) => new ManagedKey(stack, 'Key').grantDecrypt(
      new iam.CompositePrincipal(new iam.ServicePrincipal('sns.amazonaws.com'), role(stack, 'App'))));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/mixes AWS service principals with other principals: pass the services separately/);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 7: every combination a user can write works or gives our error.

const ANYONE_NAMED: Form[] = [
  form('role', (s, id) => role(s, id)),
  form('role with its own conditions', (s, id) => new iam.PrincipalWithConditions(role(s, id), { StringEquals: { 'aws:PrincipalTag/team': 'a' } })),
  form('role with other own conditions', (s, id) => new iam.PrincipalWithConditions(role(s, id), { StringEquals: { 'aws:PrincipalTag/team': 'b' } })),
  form('role with an own kms:CallerAccount', (s, id) => new iam.PrincipalWithConditions(role(s, id), { StringEquals: { 'kms:CallerAccount': '333333333333' } })),
  form('account principal', () => new iam.AccountPrincipal('222222222222')),
  form('OrganizationPrincipal', () => new iam.OrganizationPrincipal(ORG)),
  form('service principal', () => new iam.ServicePrincipal('sns.amazonaws.com')),
  form('composite of roles', (s, id) => new iam.CompositePrincipal(role(s, `${id}A`), role(s, `${id}B`))),
  form('imported role', (s, id) => iam.Role.fromRoleArn(s, id, 'arn:aws:iam::222222222222:role/partner')),
  form('user construct', (s, id) => new iam.User(s, id)),
  form('group construct', (s, id) => new iam.Group(s, id)),
  form('Fn::Sub role ARN', () => new iam.ArnPrincipal(Fn.sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app'))),
];

const USER_OPTIONS: KeyUserOptions[] = [
  {},
  { callerAccount: '222222222222' },
  { principalOrgId: ORG },
  { encryptionContext: { tenant: 'a' } },
  { requiredEncryptionContextKeys: ['tenant'], allowedEncryptionContextKeys: ['tenant', 'region'] },
];

const CAPABILITIES = [KeyCapability.DECRYPT, KeyCapability.ENCRYPT, KeyCapability.ENCRYPT_DECRYPT, KeyCapability.GRANT_FOR_AWS_RESOURCES];

describe('item 7: every combination works or fails with our error', () => {
  test('users, administrators and grants of any form, with any options, in both postures', () => {
    const user = fc.record({
      who: fc.constantFrom(...ANYONE_NAMED), capability: fc.constantFrom(...CAPABILITIES), options: fc.constantFrom(...USER_OPTIONS),
    });
    fc.assert(fc.property(
      fc.array(user, { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom(...ANYONE_NAMED), { maxLength: 2 }),
      fc.array(fc.constantFrom(...ANYONE_NAMED), { maxLength: 2 }),
      fc.constantFrom(KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT),
      (users, admins, grantees, posture) => {
        const result = outcome((stack) => {
          const key = new ManagedKey(stack, 'Key', {
            posture,
            administrators: admins.map((a, i) => a.make(stack, `Admin${i}`)),
          });
          users.forEach((u, i) => key.addUser(KeyUser.of(u.who.make(stack, `User${i}`), u.capability, u.options)));
          grantees.forEach((g, i) => key.grantEncryptDecrypt(g.make(stack, `Grantee${i}`)));
        });
        if (result.ok) expect(lintErrors(result.template)).toEqual([]);
        else expectOurError(result.message);
      }), { numRuns: 70 });
  });

  test('a plain user and a user with principal conditions and the same capability get one statement each', () => {
    const result = outcome((stack) => new ManagedKey(stack, 'Key', {
      users: [
        KeyUser.decrypt(role(stack, 'A')),
        KeyUser.decrypt(new iam.PrincipalWithConditions(role(stack, 'B'), { StringEquals: { 'aws:PrincipalTag/team': 'b' } })),
      ],
    }));
    if (!result.ok) throw new Error(result.message);
    const decrypts = keyStatements(result.template).filter((s) => /^UseDecrypt/.test(s.Sid));
    expect(decrypts.map((s) => s.Sid)).toEqual(['UseDecrypt', 'UseDecrypt2']);
    expect(decrypts[1].Condition).toEqual({ StringEquals: { 'aws:PrincipalTag/team': 'b' } });
  });

  test('a principal condition that a user option would silently replace is our error', () => {
    const result = outcome((stack) => new ManagedKey(stack, 'Key', {
      users: [KeyUser.decrypt(
        new iam.PrincipalWithConditions(role(stack, 'A'), { StringEquals: { 'kms:CallerAccount': '333333333333' } }),
        { callerAccount: '222222222222' })],
    }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/brings its own conditions on StringEquals kms:CallerAccount/);
  });

  test('an IAM group in the key policy is our error; through IAM_DELEGATED grants it works', () => {
    const strict = outcome((stack) => new ManagedKey(stack, 'Key', { posture: KeyPolicyPosture.STRICT }).grantDecrypt(new iam.Group(stack, 'G')));
    expect(!strict.ok && /is an IAM group, which a key policy cannot name/.test(strict.message)).toBe(true);
    const delegated = outcome((stack) => new ManagedKey(stack, 'Key').grantDecrypt(new iam.Group(stack, 'G')));
    expect(delegated.ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 3's guarantee: the finished policy passes our lint rules, whatever way a statement got in.

describe('the key policy a ManagedKey writes passes our lint rules', () => {
  const statement = (json: object) => iam.PolicyStatement.fromJson({ Effect: 'Allow', Resource: '*', ...json });
  const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
  test.each([
    ['KMS1', 'Allow with NotPrincipal', statement({ NotPrincipal: { AWS: APP_ROLE }, Action: 'kms:Decrypt' })],
    // kms:* is expanded by the action catalogue: the role then holds power and use.
    ['KMS3', 'kms:* to a role', statement({ Principal: { AWS: APP_ROLE }, Action: 'kms:*' })],
    ['KMS3', 'power and use for one role', statement({ Principal: { AWS: APP_ROLE }, Action: ['kms:Decrypt', 'kms:ScheduleKeyDeletion'] })],
    ['KMS7', 'ForAllValues on the context without requiring one', statement({
      Principal: { AWS: APP_ROLE },
      Action: 'kms:Decrypt',
      Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant'] } },
    })],
    ['KMS8', 'a Resource other than "*"', statement({ Principal: { AWS: APP_ROLE }, Action: 'kms:Decrypt', Resource: 'arn:aws:kms:eu-west-1:111111111111:key/x' })],
  ])('%s through addToResourcePolicy (%s) is a synth error naming the rule and its fix', (rule, _name, added) => {
    const result = outcome((stack) => new ManagedKey(stack, 'Key').addToResourcePolicy(added));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expectOurError(result.message);
      expect(result.message).toMatch(new RegExp(`the key policy fails lint rule ${rule}: .* Fix: `));
    }
  });

  test.each([
    ['an action wildcard is expanded to the actions it covers', statement({ Principal: { AWS: APP_ROLE }, Action: 'kms:Get*' }), /"kms:GetKeyPolicy"/],
    ['a service principal is pinned to the key\'s account', statement({ Principal: { Service: 'sns.amazonaws.com' }, Action: 'kms:Decrypt' }), /"aws:SourceAccount"/],
  ])('through addToResourcePolicy, %s: the policy passes our lint rules', (_name, added, expected) => {
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: ENV });
    new ManagedKey(stack, 'Key').addToResourcePolicy(added);
    const policy = JSON.stringify(synthTemplate(stack).toJSON());
    expect(policy).toMatch(expected);
    expect(policy).not.toMatch(/"kms:[A-Za-z]+\*"/); // (kms:* stays only in the IAM_DELEGATED root statement)
  });

  test('allowAdministratorAsUser is an opt-out of KMS3 alone: the key synthesizes, and lint still reports it', () => {
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: ENV });
    const ops = role(stack, 'Ops');
    new ManagedKey(stack, 'Key', { administrators: [ops], users: [KeyUser.decrypt(ops)], allowAdministratorAsUser: true });
    const template = app.synth().getStackByName('Platform').template;
    expect(lintErrors(template).map((e) => e.split(' ')[0])).toEqual(['KMS3']);
    expect(synthTemplate(stack, { acceptLintFindings: ['KMS3'] })).toBeDefined(); // the opt-out, accepted on purpose
  });
});
