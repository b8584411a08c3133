import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { main } from '../../cli/index';
import { buildDemoApp, DR_REGIONS } from '../../examples/app';
import { summarizeKeys } from '../../examples/summary';
import { KeyPolicyLinter } from '../../src';
import { synthTemplate } from '../support/template';

describe('the demo app', () => {
  const app = buildDemoApp();
  const stack = app.node.findChild('Platform') as Stack;
  // The legacy kms.Key is there to show what a finding looks like: KMS4 (no rotation) on purpose.
  const template = synthTemplate(stack, { acceptLintFindings: ['KMS4'] });

  test('synthesizes five ManagedKeys and one legacy kms.Key, each with an alias, all valid CloudFormation', () => {
    template.resourceCountIs('AWS::KMS::Key', 6);
    template.resourceCountIs('AWS::KMS::Alias', 7);
  });

  test('and a key in an external key store, shown in the summary with its store and external key', () => {
    template.resourceCountIs('Custom::KmsCustomStoreKey', 1);
    const summary = summarizeKeys(app);
    expect(summary).toContain('## Platform/CardVaultKey');
    expect(summary).toContain('key store: EXTERNAL_KEY_STORE Platform/CardVaultStore   external key: card-vault-1 (in the HSM behind the XKS proxy)');
    const vault = summary.split('## ').find((s) => s.startsWith('Platform/CardVaultKey'))!;
    expect(vault.split('\n').find((line) => line.startsWith('| Platform/OrdersServiceRole '))).toContain('if kms:EncryptionContext:purpose');
  });

  test('the ManagedKeys have no lint finding; the legacy kms.Key has the two the demo shows', () => {
    const findings = KeyPolicyLinter.lintTemplate(template.toJSON()).map((f) => `${f.severity} ${f.ruleId} ${f.logicalId}`);
    expect(findings).toEqual([
      expect.stringMatching(/^error KMS4 LegacyReportsKey[0-9A-F]{8}$/),
      expect.stringMatching(/^warning KMS5 LegacyReportsKey[0-9A-F]{8}$/),
    ]);
  });

  test('the lint step of the demo prints each finding with its fix and exits 1', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-lint-'));
    buildDemoApp(outdir).synth();
    let stdout = '';
    const code = await main(['lint', outdir], { stdout: (text) => (stdout += text), stderr: (text) => (stdout += text) });
    expect(code).toBe(1);
    expect(stdout).toMatch(/error {3}KMS4 {2}symmetric encryption key without automatic rotation\n +fix: Set EnableKeyRotation: true/);
    expect(stdout).toMatch(/warning KMS5 .*\n +fix: Add \{"Effect":"Deny"/);
    expect(stdout).toMatch(/1 error, 1 warning in \d+ resources of \d+ stacks?/);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('the summary separates administrators from users, from the same matrix as explain', () => {
    const summary = summarizeKeys(app);
    const row = (key: string, principal: string) => {
      const section = summary.split('## ').find((s) => s.startsWith(`Platform/${key}`))!;
      return section.split('\n').find((line) => line.startsWith(`| ${principal} `))!;
    };
    expect(row('OrdersKey', 'Platform/OperatorRole')).toMatch(/^\| Platform\/OperatorRole +\| yes +\| yes +\| yes +\| yes +\| +\| +\| +\|$/);
    expect(row('OrdersKey', 'Platform/ReportingRole')).toContain('if kms:EncryptionContext:tenant = acme');
    expect(row('PaymentsKey', 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1')).toMatch(/\| yes/);
    expect(summary).toContain('posture: STRICT   rotation: every 180 days');
    expect(summary).toContain('rotation: off (this key spec cannot rotate)');
    expect(row('OrdersKey', 'this account (root)')).toMatch(/\| for AWS resources only +\|$/);
  });

  test('a sign-only role is not shown able to verify (it may only fetch the public key)', () => {
    const section = summarizeKeys(app).split('## ').find((s) => s.startsWith('Platform/ReleaseSigningKey'))!;
    const header = section.split('\n').find((line) => line.startsWith('| principal'))!.split('|').map((c) => c.trim());
    const ci = section.split('\n').find((line) => line.startsWith('| Platform/CiDeployRole '))!.split('|').map((c) => c.trim());
    expect(ci[header.indexOf('sign')]).toBe('yes');
    expect(ci[header.indexOf('verify')]).toBe('partly (kms:GetPublicKey)');
  });

  test('the backup key has a replica in each DR Region, and the three policies give the same capabilities', () => {
    const stacks = app.synth().stacks;
    const templates = stacks.map((s) => ({ stackName: s.stackName, template: s.template }));
    for (const region of DR_REGIONS) {
      const dr = synthTemplate(app.node.findChild(`PlatformDr-${region}`) as Stack);
      dr.resourceCountIs('AWS::KMS::ReplicaKey', 1);
      dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/backups' });
    }
    const errorsOrKms13 = KeyPolicyLinter.lintTemplates(templates).flatMap((r) => r.findings)
      .filter((f) => f.severity === 'error' || f.ruleId === 'KMS13')
      .filter((f) => !f.logicalId.startsWith('LegacyReportsKey')); // the demo's deliberate finding
    expect(errorsOrKms13).toEqual([]);
    expect(summarizeKeys(app)).toContain(
      '## Platform/BackupKey in 3 Regions (eu-west-1, eu-central-1, us-east-1)\n' +
      'The 3 key policies give the same principals the same capabilities');
  });
});

describe("the demo app's audit stack", () => {
  const app = buildDemoApp();
  const audit = app.node.findChild('Audit') as Stack;
  const template = synthTemplate(audit);

  test('a KeyAuditTrail watching the orders and payments keys, with lint-clean key policies', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    const pattern = JSON.stringify(Object.values(template.findResources('AWS::Events::Rule'))[0].Properties.EventPattern);
    expect(pattern.match(/Platform:ExportsOutputFnGetAtt(OrdersKey|PaymentsKey)/g)?.sort()).toEqual([
      'Platform:ExportsOutputFnGetAttOrdersKey', 'Platform:ExportsOutputFnGetAttPaymentsKey',
    ]);
    expect(KeyPolicyLinter.lintTemplate(template.toJSON())).toEqual([]);
  });
});
