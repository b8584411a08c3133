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
    template.resourceCountIs('AWS::KMS::Alias', 6);
  });

  test('and a key in an external key store, shown in the summary with its store and external key', () => {
    template.resourceCountIs('Custom::KmsCustomStoreKey', 1);
    const summary = summarizeKeys(app);
    expect(summary).toContain('## Platform/CardVaultKey');
    expect(summary).toContain('key store: EXTERNAL_KEY_STORE Platform/CardVaultStore   external key: card-vault-1 (in the HSM behind the XKS proxy)');
    const vault = summary.split('## ').find((s) => s.startsWith('Platform/CardVaultKey'))!;
    expect(vault.split('\n').find((line) => line.startsWith('| Platform/OrdersServiceRole '))).toContain('if kms:EncryptionContext:purpose');
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
