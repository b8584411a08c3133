/**
 * Who can do what with every replica, proven by iam-simulate over each synthesized key policy: the
 * same matrix as the primary's, with `kms:ViaService` naming the replica's own Region.
 */
import { multiRegionApp, PRIMARY_REGION, REPLICA_REGIONS } from './fixtures';
import { KeyActions, KeyPolicyPosture } from '../../src';
import { CFN_EXEC_ROLE_ARN, Decision, KeyAccess } from '../support/iam';
import { synthTemplate } from '../support/template';

const ACTIONS = [
  ...new Set([...KeyActions.ENCRYPT_SYMMETRIC, ...KeyActions.DECRYPT_SYMMETRIC]),
  'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:UpdatePrimaryRegion', 'kms:CreateGrant',
];
const SNS = 'sns.amazonaws.com';
const endpoint = (region: string) => `dynamodb.${region}.amazonaws.com`;
const execRole = (region: string) => CFN_EXEC_ROLE_ARN.replace(/us-east-1$/, region);

type Matrix = Record<string, Record<string, Decision>>;

/**
 * Decisions of every principal on every action of one key in `region`: directly, through DynamoDB
 * of the key's Region, through DynamoDB of another Region, and (for CreateGrant) for an AWS resource.
 */
async function matrixOf(access: KeyAccess, region: string, principals: Record<string, string>): Promise<Matrix> {
  const elsewhere = region === 'sa-east-1' ? 'ca-central-1' : 'sa-east-1';
  const contexts: Record<string, Record<string, string>> = {
    'direct': {},
    'via own-Region DynamoDB': { 'kms:ViaService': endpoint(region) },
    'via other-Region DynamoDB': { 'kms:ViaService': endpoint(elsewhere) },
    'for an AWS resource': { 'kms:GrantIsForAWSResource': 'true' },
    'from its account': { 'aws:SourceAccount': '111111111111' },
  };
  const matrix: Matrix = {};
  for (const [name, arn] of Object.entries(principals)) {
    matrix[name] = {};
    for (const action of ACTIONS) {
      for (const [label, context] of Object.entries(contexts)) {
        matrix[name][`${action} ${label}`] = await access.canDo(arn, action, context);
      }
    }
  }
  return matrix;
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s replica access', (posture) => {
  const f = multiRegionApp(posture);
  const primary = KeyAccess.of(synthTemplate(f.primaryStack));
  const replicas = f.replicaStacks.map((stack) => KeyAccess.of(synthTemplate(stack)));
  // Roles of the primary stack, by the ARN every Region's policy names them with.
  const roles = { admin: f.admin, user: f.user, viaUser: f.viaUser, grantUser: f.grantUser };
  const principals = (region: string): Record<string, string> => ({
    ...Object.fromEntries(Object.entries(roles).map(([name, role]) => [name, primary.principalArn(role)])),
    sns: SNS,
    policyManager: execRole(region),
    stranger: 'arn:aws:iam::111111111111:role/stranger',
  });
  let primaryMatrix: Matrix;

  beforeAll(async () => {
    primaryMatrix = await matrixOf(primary, PRIMARY_REGION, principals(PRIMARY_REGION));
  });

  test.each(REPLICA_REGIONS.map((region, i) => [region, i]))('the replica in %s gives everyone what the primary gives', async (region, i) => {
    expect(await matrixOf(replicas[i], region, principals(region))).toEqual(primaryMatrix);
  });

  test.each(REPLICA_REGIONS.map((region, i) => [region, i]))('in %s the ViaService user is allowed through DynamoDB of that Region only', async (region, i) => {
    const via = primary.principalArn(f.viaUser);
    await expect(replicas[i].canDo(via, 'kms:Decrypt', { 'kms:ViaService': endpoint(region) })).resolves.toBe('Allowed');
    await expect(replicas[i].canDo(via, 'kms:Decrypt', { 'kms:ViaService': endpoint(PRIMARY_REGION) })).resolves.toBe('ImplicitlyDenied');
    await expect(replicas[i].canDo(via, 'kms:Decrypt')).resolves.toBe('ImplicitlyDenied');
  });

  test('the matrix says what the roles promise (checked on the primary, equal everywhere above)', () => {
    const row = (name: string) => primaryMatrix[name];
    expect(row('admin')['kms:Decrypt direct']).toBe('ImplicitlyDenied');
    expect(row('admin')['kms:ScheduleKeyDeletion direct']).toBe('Allowed');
    expect(row('admin')['kms:UpdatePrimaryRegion direct']).toBe('Allowed');
    expect(row('user')['kms:Encrypt direct']).toBe('Allowed');
    expect(row('user')['kms:PutKeyPolicy direct']).toBe('ImplicitlyDenied');
    // The CreateGrant guard denies grants that are not for an AWS resource, to everyone.
    expect(row('grantUser')['kms:CreateGrant direct']).toBe('ExplicitlyDenied');
    expect(row('grantUser')['kms:CreateGrant for an AWS resource']).toBe('Allowed');
    expect(row('sns')['kms:Decrypt from its account']).toBe('Allowed');
    expect(row('sns')['kms:Decrypt direct']).toBe('ImplicitlyDenied');
    expect(row('stranger')['kms:Decrypt direct']).toBe('ImplicitlyDenied');
    expect(row('policyManager')['kms:PutKeyPolicy direct']).toBe(posture === KeyPolicyPosture.STRICT ? 'Allowed' : 'ImplicitlyDenied');
    expect(row('policyManager')['kms:Decrypt direct']).toBe('ImplicitlyDenied');
  });
});
