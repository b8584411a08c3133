/**
 * The diff over synthesized ManagedKey stacks (every template through AWS's CloudFormation
 * validator): each kind of change a ManagedKey prop can make, both ways.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyCapability, KeyPolicyPosture, KeyUser, ManagedKey, ManagedKeyProps } from '../../../src';
import { Change, diffTemplates } from '../../../src/access/diff';
import { synthTemplate } from '../../support/template';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const DR_ACCOUNT = '222222222222';

interface Roles {
  readonly admin: iam.IRole;
  readonly app: iam.IRole;
  readonly reader: iam.IRole;
}

type KeySetup = (roles: Roles) => ManagedKeyProps | undefined;

/** One stack with three roles and the key `setup` describes (none when it returns undefined). */
function synth(setup: KeySetup): object {
  const app = new App();
  const stack = new Stack(app, 'Orders', { env: ENV });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const roles = { admin: role('Admin'), app: role('App'), reader: role('Reader') };
  const props = setup(roles);
  if (props) new ManagedKey(stack, 'OrdersKey', { aliases: ['orders'], ...props });
  return synthTemplate(stack).toJSON();
}

function changes(base: object, head: object): Change[] {
  const side = (template: object) => [{ stackName: 'Orders', template, account: ENV.account, region: ENV.region }];
  return diffTemplates(side(base), side(head)).keys.flatMap((key) => key.changes);
}

// Without path metadata, explain names a role of the stack `<stack>/<logical id>`.
const APP = expect.stringMatching(/^Orders\/App[0-9A-F]{8}$/);
const READER = expect.stringMatching(/^Orders\/Reader[0-9A-F]{8}$/);
const ADMIN = expect.stringMatching(/^Orders\/Admin[0-9A-F]{8}$/);

interface Case {
  readonly name: string;
  readonly base: KeySetup;
  readonly head: KeySetup;
  readonly forward: Partial<Change>;
  readonly backward: Partial<Change>;
}

const CASES: Case[] = [
  {
    name: 'a user is added / removed',
    base: ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    head: ({ admin, app, reader }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app), KeyUser.decrypt(reader)] }),
    forward: { kind: 'access-gained', effect: 'more-access', principal: READER, capability: 'decrypt' },
    backward: { kind: 'access-lost', effect: 'less-access', principal: READER, capability: 'decrypt' },
  },
  {
    name: 'an administrator is added / removed',
    base: ({ app }) => ({ users: [KeyUser.encryptDecrypt(app)] }),
    head: ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    forward: { kind: 'access-gained', principal: ADMIN, capability: 'administer' },
    backward: { kind: 'access-lost', principal: ADMIN, capability: 'administer' },
  },
  {
    name: 'the encryption context is dropped / required',
    base: ({ admin, reader }) => ({ administrators: [admin], users: [KeyUser.decrypt(reader, { encryptionContext: { tenant: 'acme' } })] }),
    head: ({ admin, reader }) => ({ administrators: [admin], users: [KeyUser.decrypt(reader)] }),
    forward: { kind: 'conditions-widened', principal: READER, capability: 'decrypt', conditionKinds: ['encryption-context'] },
    backward: { kind: 'conditions-narrowed', principal: READER, capability: 'decrypt', conditionKinds: ['encryption-context'] },
  },
  {
    name: 'use through DynamoDB only is lifted / imposed',
    base: ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.viaService(app, 'dynamodb')] }),
    head: ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    forward: { kind: 'conditions-widened', principal: APP, conditionKinds: ['via-service'], viaService: false },
    backward: { kind: 'conditions-narrowed', principal: APP, conditionKinds: ['via-service'], viaService: true },
  },
  {
    name: 'another account\'s callerAccount condition is dropped / added',
    base: ({ admin }) => ({
      administrators: [admin],
      users: [KeyUser.crossAccount(DR_ACCOUNT, KeyCapability.DECRYPT, { callerAccount: DR_ACCOUNT })],
    }),
    head: ({ admin }) => ({ administrators: [admin], users: [KeyUser.crossAccount(DR_ACCOUNT, KeyCapability.DECRYPT)] }),
    forward: { kind: 'conditions-widened', principal: `account ${DR_ACCOUNT}`, conditionKinds: ['caller-account'], crossAccount: true },
    backward: { kind: 'conditions-narrowed', principal: `account ${DR_ACCOUNT}`, conditionKinds: ['caller-account'], crossAccount: true },
  },
  {
    name: 'another account gains / loses decrypt',
    base: ({ admin }) => ({ administrators: [admin] }),
    head: ({ admin }) => ({ administrators: [admin], users: [KeyUser.crossAccount(DR_ACCOUNT, KeyCapability.DECRYPT)] }),
    forward: { kind: 'access-gained', principal: `account ${DR_ACCOUNT}`, capability: 'decrypt', crossAccount: true },
    backward: { kind: 'access-lost', principal: `account ${DR_ACCOUNT}`, capability: 'decrypt', crossAccount: true },
  },
  {
    name: 'posture STRICT → IAM_DELEGATED / back',
    base: ({ admin, app }) => ({ posture: KeyPolicyPosture.STRICT, administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    head: ({ admin, app }) => ({ posture: KeyPolicyPosture.IAM_DELEGATED, administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    forward: { kind: 'posture-changed', effect: 'weaker', from: 'STRICT', to: 'IAM_DELEGATED' },
    backward: { kind: 'posture-changed', effect: 'stronger', from: 'IAM_DELEGATED', to: 'STRICT' },
  },
  {
    name: 'the rotation period is lengthened / shortened',
    base: ({ admin }) => ({ administrators: [admin], rotation: { period: Duration.days(90) } }),
    head: ({ admin }) => ({ administrators: [admin], rotation: { period: Duration.days(365) } }),
    forward: { kind: 'rotation-changed', effect: 'weaker', from: 90, to: 365 },
    backward: { kind: 'rotation-changed', effect: 'stronger', from: 365, to: 90 },
  },
  {
    name: 'the removal policy RETAIN → DESTROY / back',
    base: ({ admin }) => ({ administrators: [admin], removalPolicy: RemovalPolicy.RETAIN }),
    head: ({ admin }) => ({ administrators: [admin], removalPolicy: RemovalPolicy.DESTROY }),
    forward: { kind: 'deletion-protection-changed', effect: 'weaker', setting: 'DeletionPolicy', from: 'Retain', to: 'Delete' },
    backward: { kind: 'deletion-protection-changed', effect: 'stronger', setting: 'DeletionPolicy', from: 'Delete', to: 'Retain' },
  },
  {
    name: 'the pending window is shortened / lengthened',
    base: ({ admin }) => ({ administrators: [admin], pendingWindow: Duration.days(30) }),
    head: ({ admin }) => ({ administrators: [admin], pendingWindow: Duration.days(7) }),
    forward: { kind: 'deletion-protection-changed', effect: 'weaker', setting: 'PendingWindowInDays', from: 30, to: 7 },
    backward: { kind: 'deletion-protection-changed', effect: 'stronger', setting: 'PendingWindowInDays', from: 7, to: 30 },
  },
  {
    name: 'the CreateGrant guard is removed / added',
    base: ({ admin }) => ({ administrators: [admin], createGrantGuard: true }),
    head: ({ admin }) => ({ administrators: [admin], createGrantGuard: false }),
    forward: { kind: 'conditions-widened', capability: 'create-grant', conditionKinds: ['grant-for-aws-resource'] },
    backward: { kind: 'conditions-narrowed', capability: 'create-grant', conditionKinds: ['grant-for-aws-resource'] },
  },
  {
    name: 'the key is added / removed (RETAIN: the key stays in the account)',
    base: () => undefined,
    head: ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app)] }),
    forward: { kind: 'key-added' },
    backward: { kind: 'key-removed', deletesKeyMaterial: false },
  },
];

describe.each(CASES)('$name', ({ base, head, forward, backward }) => {
  const [baseTemplate, headTemplate] = [synth(base), synth(head)];
  test('BASE → HEAD', () => {
    expect(changes(baseTemplate, headTemplate)).toContainEqual(expect.objectContaining(forward));
  });
  test('HEAD → BASE', () => {
    expect(changes(headTemplate, baseTemplate)).toContainEqual(expect.objectContaining(backward));
  });
});

test('an unchanged ManagedKey stack has no change', () => {
  const setup: KeySetup = ({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app, { requiredEncryptionContextKeys: ['order-id'] })] });
  expect(changes(synth(setup), synth(setup))).toEqual([]);
});

test('a new key\'s users are new access, each by capability', () => {
  const added = changes(synth(() => undefined), synth(({ admin, app }) => ({ administrators: [admin], users: [KeyUser.encryptDecrypt(app)] })));
  const gained = added.filter((c) => c.kind === 'access-gained').map((c) => `${c.principal} ${c.capability}`);
  expect(gained).toEqual(expect.arrayContaining([
    expect.stringMatching(/^Orders\/App\w+ encrypt$/), expect.stringMatching(/^Orders\/App\w+ decrypt$/), expect.stringMatching(/^Orders\/Admin\w+ administer$/),
  ]));
  expect(gained.filter((g) => /^Orders\/App\w+ administer$/.test(g))).toEqual([]);
});
