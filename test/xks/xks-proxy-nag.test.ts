import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { makeProxy } from './fixtures';

/** Every cdk-nag suppression in the template: `rule (resource): reason`. */
function suppressions(template: any): string[] {
  return Object.entries(template.Resources as Record<string, any>).flatMap(([id, resource]) =>
    (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((s: any) => `${s.id} ${id}: ${s.reason}`));
}

describe('XksProxy under cdk-nag AwsSolutionsChecks', () => {
  const { app, stack } = makeProxy();
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();

  test('has no unsuppressed errors or warnings', () => {
    const annotations = Annotations.fromStack(stack);
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].map((m) => `${m.id}: ${m.entry.data}`);
    expect(findings).toEqual([]);
  });

  test('suppresses only the expected rules, each with a specific reason', () => {
    const template = app.synth().getStackByName(stack.stackName).template;
    const found = suppressions(template);
    const rules = [...new Set(found.map((line) => line.split(' ')[0]))].sort();
    expect(rules).toEqual([
      'AwsSolutions-ECS2', // non-secret configuration in the environment
      'AwsSolutions-ELB2', // NLB access logs exist only for TLS listeners
      'AwsSolutions-IAM4', // AwsCustomResource provider's basic execution role
      'AwsSolutions-IAM5', // Describe* and GetRandomPassword support no resource scoping
      'AwsSolutions-L1', // AwsCustomResource provider runtime, set by aws-cdk-lib
      'AwsSolutions-SMG4', // credential and PIN rotation need coordination outside Secrets Manager
    ]);
    for (const line of found) expect(line.split(': ')[1].length).toBeGreaterThan(60);
    // IAM5 is accepted only on the two custom resources (and their policies) whose actions cannot be scoped.
    const iam5 = found.filter((line) => line.startsWith('AwsSolutions-IAM5')).map((line) => line.split(' ')[1]);
    expect(iam5.map((id) => id.replace(/[0-9A-F]{8}:$/, ''))).toEqual([
      'ProxyCredentialAccessKeyId',
      'ProxyCredentialAccessKeyIdCustomResourcePolicy',
      'ProxyPrivateDnsReadVerification',
      'ProxyPrivateDnsReadVerificationCustomResourcePolicy',
    ]);
  });
});
