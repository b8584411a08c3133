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

  test('the summary separates administrators from users, from the same matrix as explain', () => {
    const summary = summarizeKeys(app);
    const row = (key: string, principal: string) => {
      const section = summary.split('## ').find((s) => s.startsWith(`Platform/${key}`))!;
      return section.split('\n').find((line) => line.startsWith(`| ${principal} `))!;
    };
    expect(row('OrdersKey', 'Platform/OperatorRole/Resource')).toMatch(/^\| Platform\/OperatorRole\/Resource +\| yes +\| yes +\| yes +\| yes +\| +\| +\| +\|$/);
    expect(row('OrdersKey', 'Platform/ReportingRole/Resource')).toContain('if kms:EncryptionContext:tenant = acme');
    expect(row('PaymentsKey', 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-${AWS::Region}')).toMatch(/\| yes/);
    expect(summary).toContain('posture: STRICT   rotation: every 180 days');
    expect(summary).toContain('rotation: off (this key spec cannot rotate)');
    expect(row('OrdersKey', 'this account (root)')).toMatch(/\| for AWS resources only +\|$/);
  });

  test('a sign-only role is not shown able to verify (it may only fetch the public key)', () => {
    const section = summarizeKeys(app).split('## ').find((s) => s.startsWith('Platform/ReleaseSigningKey'))!;
    const header = section.split('\n').find((line) => line.startsWith('| principal'))!.split('|').map((c) => c.trim());
    const ci = section.split('\n').find((line) => line.startsWith('| Platform/CiDeployRole/Resource'))!.split('|').map((c) => c.trim());
    expect(ci[header.indexOf('sign')]).toBe('yes');
    expect(ci[header.indexOf('verify')]).toBe('partly (kms:GetPublicKey)');
  });
});
