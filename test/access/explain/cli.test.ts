/** `cdk-kms-patterns explain` end to end: fixture templates, a synthesized cloud assembly, bad input. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FIXTURES } from './matrix-support';
import { runExplain } from '../../../cli/explain';
import { KeyService, KeyUser, ManagedKey } from '../../../src';

async function explain(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runExplain(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('markdown (default) for template files: one table per key, conditions as notes, via IAM marked', async () => {
  const { code, stdout, stderr } = await explain(path.join(FIXTURES, 'iam-delegated.json'), path.join(FIXTURES, 'strict.yaml'));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout.match(/^### /gm)).toHaveLength(3);
  expect(stdout).toContain('| principal | administer | change policy | delete | disable | encrypt | decrypt | sign | verify | MAC | derive | create grant |');
  expect(stdout).toMatch(/\| iam-delegated\/ReaderRole \|( ❌ \|){5} ◐ partly \(kms:Decrypt\) via IAM \|/);
  expect(stdout).toContain('| iam-delegated/AppRole | ❌ | ❌ | ❌ | ❌ | ⚠️ if [2] | ⚠️ if [2] |');
  expect(stdout).toContain('2. `StringEquals kms:ViaService = dynamodb.${AWS::Region}.amazonaws.com`');
  // Roles of every loaded template count (one account): strict.yaml's kms:* role reaches the delegated key.
  expect(stdout).toContain('| strict/PowerUser | ✅ allowed via IAM |');
});

test('json: the report with every cell', async () => {
  const { code, stdout } = await explain('--format', 'json', path.join(FIXTURES, 'iam-delegated.json'));
  expect(code).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.capabilities).toHaveLength(11);
  expect(report.keys[0]).toMatchObject({ stackName: 'iam-delegated', logicalId: 'Key', keySpec: 'SYMMETRIC_DEFAULT' });
  expect(report.keys[0].rows[0].cells['change-policy']).toEqual({ status: 'allowed', via: 'key-policy', conditions: [], allowedActions: ['kms:PutKeyPolicy'] });
});

test('html: one page without scripts or external references', async () => {
  const { code, stdout } = await explain('--format=html', path.join(FIXTURES, 'strict.yaml'));
  expect(code).toBe(0);
  expect(stdout.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(stdout).not.toMatch(/<script|<link|src=|href=|url\(/i);
  expect(stdout).toContain('${DeployRoleArn}');
});

test('a cloud assembly from the cdk CLI (path metadata): every stack, rows and keys named by construct path without /Resource', async () => {
  const outdir = path.join(tmp, 'cdk.out');
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  for (const name of ['First', 'Second']) {
    const stack = new Stack(app, name);
    const role = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new ManagedKey(stack, 'Key', { users: [KeyUser.decrypt(role)] });
  }
  app.synth();
  const { code, stdout } = await explain(outdir);
  expect(code).toBe(0);
  expect(stdout).toContain('### First / First/Key\n');
  expect(stdout).toContain('### Second / Second/Key\n');
  expect(stdout).toMatch(/\| First\/Worker \|( ❌ \|){5} ✅ allowed \|/);
  expect(stdout).not.toContain('/Resource');
  // JSON keeps the exact construct path of the key's CloudFormation resource.
  expect(JSON.parse((await explain('--format', 'json', outdir)).stdout).keys[0].constructPath).toBe('First/Key/Resource');
});

test('a stack with an env spells its account literally: the manifest environment says it is the own account', async () => {
  const outdir = path.join(tmp, 'env.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
  const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
  new ManagedKey(stack, 'Key', { administrators: [admin] });
  app.synth();
  const { code, stdout } = await explain('--format', 'json', outdir);
  expect(code).toBe(0);
  const rows = JSON.parse(stdout).keys[0].rows.map((row: { principal: string }) => row.principal);
  expect(rows).toContain('this account (root)');
  expect(rows).not.toContain('account 123456789012');
  expect(rows).toContain('any other IAM principal of this account whose IAM policies allow it');
});

test('a stack with an env: its Region, URL suffix and account are spelled out; a stack without one keeps the pseudo parameters', async () => {
  const outdir = path.join(tmp, 'region.out');
  const app = new App({ outdir });
  const keyIn = (stack: Stack) => {
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new ManagedKey(stack, 'Key', { users: [KeyUser.viaService(role, 'dynamodb')], services: [KeyService.cloudWatchLogs()] });
  };
  keyIn(new Stack(app, 'Frankfurt', { env: { account: '123456789012', region: 'eu-central-1' } }));
  keyIn(new Stack(app, 'Beijing', { env: { account: '123456789012', region: 'cn-north-1' } }));
  keyIn(new Stack(app, 'Anywhere'));
  app.synth();
  const { code, stdout } = await explain('--format', 'json', outdir);
  expect(code).toBe(0);
  const conditions = (stackName: string): string[] => JSON.parse(stdout).keys.find((k: any) => k.stackName === stackName).rows
    .flatMap((row: any) => Object.values(row.cells).flatMap((cell: any) => cell.conditions));
  expect(conditions('Frankfurt')).toContain('StringEquals kms:ViaService = dynamodb.eu-central-1.amazonaws.com');
  expect(conditions('Frankfurt').join('\n')).not.toMatch(/\$\{AWS::|000000000000/);
  expect(conditions('Frankfurt').join('\n')).toContain('123456789012');
  expect(conditions('Beijing')).toContain('StringEquals kms:ViaService = dynamodb.cn-north-1.amazonaws.com.cn');
  expect(conditions('Anywhere')).toContain('StringEquals kms:ViaService = dynamodb.${AWS::Region}.${AWS::URLSuffix}');
});

test('--account: a template that names its own account literally', async () => {
  const file = path.join(tmp, 'literal-account.json');
  fs.writeFileSync(file, JSON.stringify({
    Resources: {
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] } },
      },
    },
  }));
  const principals = async (...args: string[]) => JSON.parse((await explain('--format=json', file, ...args)).stdout).keys[0].rows.map((r: { principal: string }) => r.principal);
  expect(await principals()).toEqual(['account 111122223333']);
  expect(await principals('--account', '111122223333')).toEqual(['this account (root)', 'any other IAM principal of this account whose IAM policies allow it']);
});

test('--help prints usage and exits 0', async () => {
  const { code, stdout } = await explain('--help');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Usage: cdk-kms-patterns explain/);
});

test.each([
  [['--format', 'pdf', 'x.json'], /--format must be one of markdown, html, json \(got "pdf"\)/],
  [['--colour'], /unknown option --colour/],
  [['--account', '12345'], /--account takes a 12-digit account id \(got "12345"\)/],
  [['--region'], /--region takes a Region name such as eu-west-1 \(got nothing\)/],
  [[path.join(tmp, 'missing.json')], /missing\.json: no such file or directory/],
])('unusable arguments or input %j: one line on stderr, exit 2', async (args, message) => {
  const { code, stdout, stderr } = await explain(...args);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(message);
  expect(stderr.trim().split('\n')).toHaveLength(1);
});

test('invalid JSON template: exit 2', async () => {
  const file = path.join(tmp, 'broken.json');
  fs.writeFileSync(file, '{"Resources": {');
  const { code, stderr } = await explain(file);
  expect(code).toBe(2);
  expect(stderr).toMatch(/broken\.json: invalid JSON/);
});
