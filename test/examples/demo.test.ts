import { Stack } from 'aws-cdk-lib';
import { buildDemoApp, DR_REGIONS } from '../../examples/app';
import { summarizeKeys } from '../../examples/summary';
import { KeyPolicyLinter } from '../../src';
import { synthTemplate } from '../support/template';

describe('the demo app', () => {
  const app = buildDemoApp();
  const stack = app.node.findChild('Platform') as Stack;
  const template = synthTemplate(stack);

  test('synthesizes five keys, each with an alias, all valid CloudFormation', () => {
    template.resourceCountIs('AWS::KMS::Key', 5);
    template.resourceCountIs('AWS::KMS::Alias', 5);
  });

  test('its key policies have no lint error', () => {
    const errors = KeyPolicyLinter.lintTemplate(template.toJSON()).filter((f) => f.severity === 'error');
    expect(errors).toEqual([]);
  });

  test('the summary separates administrators from users', () => {
    const summary = summarizeKeys(app);
    const row = (key: string, principal: string) => {
      const section = summary.split('## ').find((s) => s.startsWith(`Platform/${key}`))!;
      return section.split('\n').find((line) => line.startsWith(`| ${principal} `))!;
    };
    expect(row('OrdersKey', 'Platform/OperatorRole')).toMatch(/^\| Platform\/OperatorRole +\| yes +\| yes +\| yes +\| yes +\| +\| +\|/);
    expect(row('OrdersKey', 'Platform/ReportingRole')).toContain('if kms:EncryptionContext:tenant');
    expect(row('PaymentsKey', 'CloudFormation execution role')).toMatch(/\| yes/);
    expect(summary).toContain('posture: STRICT   rotation: every 180 days');
    expect(summary).toContain('rotation: off (this key spec cannot rotate)');
    expect(row('OrdersKey', 'account root (delegates to IAM)')).toMatch(/\| for AWS resources only \|$/);
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
      .filter((f) => f.severity === 'error' || f.ruleId === 'KMS13');
    expect(errorsOrKms13).toEqual([]);
    expect(summarizeKeys(app)).toContain(
      '## Platform/BackupKey in 3 Regions (eu-west-1, eu-central-1, us-east-1)\n' +
      'The 3 key policies give the same principals the same capabilities');
  });
});
