/**
 * Deploys a MultiRegionKey in us-east-1 with replicas in eu-west-1 and us-west-2, each replica
 * stack deploying after the primary's and reading its ARN from the primary Region's SSM
 * parameter; then checks through KMS that the primary lists both replicas and that its policy is
 * the one the policy model built. Keys are scheduled for deletion (7 days) when the test ends.
 * Without AWS credentials integ-runner only verifies the committed snapshot.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyPolicyPosture, KeyUser, MultiRegionKey } from '../src';

const app = new App();
// A concrete account at synth (the snapshot's placeholder without credentials).
const account = process.env.CDK_INTEG_ACCOUNT ?? process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012';
const primaryStack = new Stack(app, 'MultiRegionKeyInteg', { env: { account, region: 'us-east-1' } });
const replicaRegions = ['eu-west-1', 'us-west-2'];
const replicaStacks = replicaRegions.map((region) => new Stack(app, `MultiRegionKeyInteg-${region}`, { env: { account, region } }));

const reader = new iam.Role(primaryStack, 'Reader', {
  assumedBy: new iam.AccountRootPrincipal(),
  roleName: `multi-region-key-integ-reader-${primaryStack.region}`,
});
const key = new MultiRegionKey(primaryStack, 'Key', {
  description: 'cdk-kms-patterns integ: multi-Region key',
  aliases: ['cdk-kms-patterns-integ-multi-region'],
  posture: KeyPolicyPosture.STRICT,
  users: [KeyUser.decrypt(reader), KeyUser.viaService(reader, 's3')],
  removalPolicy: RemovalPolicy.DESTROY,
  pendingWindow: Duration.days(7),
});
for (const stack of replicaStacks) {
  key.replicateTo(stack, { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) });
}

// The assertions run in the primary's environment (they read its ARN; a stack without env cannot).
const assertionStack = new Stack(app, 'MultiRegionKeyAssertions', { env: { account, region: 'us-east-1' } });
assertionStack.addDependency(replicaStacks[0]);
assertionStack.addDependency(replicaStacks[1]);
const integ = new IntegTest(app, 'MultiRegionKeyTest', { testCases: [primaryStack, ...replicaStacks], assertionStack });

const described = integ.assertions.awsApiCall('KMS', 'describeKey', { KeyId: key.keyArn });
described.expect(ExpectedResult.objectLike({
  KeyMetadata: {
    MultiRegion: true,
    KeyState: 'Enabled',
    MultiRegionConfiguration: {
      MultiRegionKeyType: 'PRIMARY',
      ReplicaKeys: Match.arrayWith(replicaRegions.map((region) => Match.objectLike({ Region: region }))),
    },
  },
}));
