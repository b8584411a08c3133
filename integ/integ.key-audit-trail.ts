/**
 * Deploys a KeyAuditTrail watching one key and checks, through the CloudTrail and EventBridge APIs,
 * that the trail logs every management event of every Region to its encrypted bucket and log
 * group, and that the rules are narrowed to the watched key. Without AWS credentials integ-runner
 * only verifies the committed snapshot.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Duration, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { KeyAuditEvent, KeyAuditTrail, ManagedKey } from '../src';

/** A test stack leaves nothing behind: the audit trail's resources are retained by default. */
class DestroyEverything implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnResource) node.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}

const app = new App();
const stack = new Stack(app, 'KeyAuditTrailInteg');
const orders = new ManagedKey(stack, 'Orders', { description: 'cdk-kms-patterns integ: watched key', pendingWindow: Duration.days(7) });
const audit = new KeyAuditTrail(stack, 'Audit', { trailName: 'cdk-kms-patterns-integ' });
audit.watch(orders);
Aspects.of(stack).add(new DestroyEverything());

const integ = new IntegTest(app, 'KeyAuditTrailTest', { testCases: [stack] });

integ.assertions
  .awsApiCall('CloudTrail', 'getTrailStatus', { Name: 'cdk-kms-patterns-integ' })
  .expect(ExpectedResult.objectLike({ IsLogging: true }));

integ.assertions
  .awsApiCall('CloudTrail', 'getEventSelectors', { TrailName: 'cdk-kms-patterns-integ' })
  .expect(ExpectedResult.objectLike({ EventSelectors: [Match.objectLike({ IncludeManagementEvents: true, ReadWriteType: 'All' })] }));

integ.assertions
  .awsApiCall('CloudTrail', 'describeTrails', { trailNameList: ['cdk-kms-patterns-integ'] })
  .expect(ExpectedResult.objectLike({
    trailList: [Match.objectLike({ IsMultiRegionTrail: true, LogFileValidationEnabled: true, KmsKeyId: audit.trailKey!.keyArn })],
  }));

integ.assertions
  .awsApiCall('EventBridge', 'describeRule', { Name: audit.ruleFor(KeyAuditEvent.SCHEDULE_KEY_DELETION)!.ruleName })
  .expect(ExpectedResult.objectLike({ State: 'ENABLED', EventPattern: Match.stringLikeRegexp('ScheduleKeyDeletion') }));

app.synth();
