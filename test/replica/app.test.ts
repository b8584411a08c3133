/**
 * A three-Region app (primary in us-east-1, replicas in eu-west-1 and ap-southeast-2): its stacks,
 * their deployment order, a snapshot, and what adding a fourth Region changes.
 */
import { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { multiRegionApp, replicaStackName, REPLICA_REGIONS } from './fixtures';
import { KeyPolicyPosture } from '../../src';
import { expectValidTemplate, stableTemplateJson } from '../support/template';

const FOURTH_REGION = 'sa-east-1';

function synth(posture: KeyPolicyPosture, regions: readonly string[]) {
  const f = multiRegionApp(posture, regions);
  const assembly = f.app.synth();
  const stacks = new Map(assembly.stacks.map((stack) => [stack.stackName, stack]));
  return { f, assembly, stacks };
}

/** The stacks a stack waits for (asset manifests left out). */
function stackDependencies(stack: CloudFormationStackArtifact): string[] {
  return stack.dependencies.filter((d) => d instanceof CloudFormationStackArtifact).map((d) => d.id);
}

/** Logical id -> type of the resources of a stack. */
function resourceIds(stack: CloudFormationStackArtifact): Record<string, string> {
  return Object.fromEntries(Object.entries(stack.template.Resources).map(([id, r]: [string, any]) => [id, r.Type]));
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s three-Region app', (posture) => {
  const { stacks } = synth(posture, REPLICA_REGIONS);

  test('one stack per Region, each in its environment, every template valid', () => {
    expect([...stacks.keys()].sort()).toEqual(['Primary', ...REPLICA_REGIONS.map(replicaStackName)].sort());
    expect(stacks.get('Primary')!.environment).toMatchObject({ account: '111111111111', region: 'us-east-1' });
    for (const region of REPLICA_REGIONS) {
      expect(stacks.get(replicaStackName(region))!.environment).toMatchObject({ account: '111111111111', region });
    }
    for (const stack of stacks.values()) expectValidTemplate(stack.template);
  });

  test('cdk deploy --all deploys the primary first: each replica stack depends on it and on nothing else', () => {
    expect(stackDependencies(stacks.get('Primary')!)).toEqual([]);
    for (const region of REPLICA_REGIONS) {
      expect(stackDependencies(stacks.get(replicaStackName(region))!)).toEqual(['Primary']);
    }
  });

  test('no stack exports or imports a value (nothing can lock a change)', () => {
    for (const stack of stacks.values()) {
      expect(stack.template.Outputs ?? {}).toEqual({});
      expect(JSON.stringify(stack.template)).not.toContain('Fn::ImportValue');
    }
  });

  test('snapshot', () => {
    const templates = Object.fromEntries([...stacks].map(([name, stack]) => [name, stableTemplateJson(stack.template)]));
    expect(templates).toMatchSnapshot();
  });

  test(`adding a fourth Region (${FOURTH_REGION}) changes no logical id of the primary or the existing replicas`, () => {
    const after = synth(posture, [...REPLICA_REGIONS, FOURTH_REGION]).stacks;
    for (const [name, stack] of stacks) {
      expect(resourceIds(after.get(name)!)).toEqual(resourceIds(stack));
    }
    // The existing replica stacks do not change at all; the primary changes only in STRICT, where its
    // policy lets the new Region's execution role replicate it.
    for (const region of REPLICA_REGIONS) {
      expect(after.get(replicaStackName(region))!.template).toEqual(stacks.get(replicaStackName(region))!.template);
    }
    if (posture === KeyPolicyPosture.IAM_DELEGATED) {
      expect(after.get('Primary')!.template).toEqual(stacks.get('Primary')!.template);
    }
    expect(stackDependencies(after.get(replicaStackName(FOURTH_REGION))!)).toEqual(['Primary']);
  });

  test('removing a Region leaves the primary and the other replica stacks as they were', () => {
    const after = synth(posture, [REPLICA_REGIONS[0]]).stacks;
    expect(after.has(replicaStackName(REPLICA_REGIONS[1]))).toBe(false);
    expect(resourceIds(after.get('Primary')!)).toEqual(resourceIds(stacks.get('Primary')!));
    expect(after.get(replicaStackName(REPLICA_REGIONS[0]))!.template).toEqual(stacks.get(replicaStackName(REPLICA_REGIONS[0]))!.template);
  });
});
