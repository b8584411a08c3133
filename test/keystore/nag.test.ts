import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cloudHsmStore, externalStore, storeFixture } from './fixtures';
import { CustomStoreKey } from '../../src';

/** Every cdk-nag suppression in the template: `rule resource: reason`. */
function suppressions(template: any): string[] {
  return Object.entries(template.Resources as Record<string, any>).flatMap(([id, resource]) =>
    (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((s: any) => `${s.id} ${id}: ${s.reason}`));
}

test('both stores and their keys are cdk-nag AwsSolutions clean, each accepted finding with its reason', () => {
  const f = storeFixture();
  new CustomStoreKey(f.stack, 'XksKey', { keyStore: externalStore(f), xksKeyId: 'k1' });
  new CustomStoreKey(f.stack, 'HsmKey', { keyStore: cloudHsmStore(f) });
  Aspects.of(f.app).add(new AwsSolutionsChecks());
  const template = f.app.synth().getStackByName(f.stack.stackName).template;
  const annotations = Annotations.fromStack(f.stack);
  const findings = [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((m) => `${m.id}: ${m.entry.data}`);
  // The fixture's own secrets (not the constructs') are the only findings left.
  expect(findings.filter((line) => !/\/(XksCredential|KmsUserPassword)\//.test(line))).toEqual([]);
  const found = suppressions(template);
  expect([...new Set(found.map((line) => line.split(' ')[0]))].sort()).toEqual([
    'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SF1', 'AwsSolutions-SF2',
  ]);
  for (const line of found) expect(line.split(': ')[1].length).toBeGreaterThan(60);
});
