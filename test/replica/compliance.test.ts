/** The primary and replica stacks against cdk-nag AwsSolutions and the Control Tower KMS controls. */
import { multiRegionApp, REPLICA_REGIONS } from './fixtures';
import { KeyPolicyPosture } from '../../src';
import { controlTowerKmsChecks, nagFindings } from '../support/compliance';
import { synthTemplate } from '../support/template';

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s multi-Region key', (posture) => {
  test('cdk-nag AwsSolutionsChecks reports nothing on the primary stack', () => {
    expect(nagFindings(multiRegionApp(posture).primaryStack)).toEqual([]);
  });

  test.each(REPLICA_REGIONS.map((_, i) => i))('cdk-nag AwsSolutionsChecks reports nothing on replica stack %i', (i) => {
    expect(nagFindings(multiRegionApp(posture).replicaStacks[i])).toEqual([]);
  });

  test('every stack passes CT.KMS.PR.1-3 or is out of their scope', () => {
    const f = multiRegionApp(posture);
    const primary = controlTowerKmsChecks(synthTemplate(f.primaryStack));
    expect(primary['CT.KMS.PR.1']).toEqual({ status: 'PASS', messages: [] });
    expect(primary['CT.KMS.PR.3']).toEqual({ status: 'PASS', messages: [] });
    for (const stack of f.replicaStacks) {
      const results = controlTowerKmsChecks(synthTemplate(stack));
      expect(Object.values(results).map((r) => r.status)).not.toContain('FAIL');
    }
  });
});
