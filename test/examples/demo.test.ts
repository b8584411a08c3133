import { Stack } from 'aws-cdk-lib';
import { buildDemoApp } from '../../examples/app';
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
