/**
 * Who can do what with the audit trail's keys, bucket, topic and role, judged by iam-simulate
 * (test/support/iam.ts) and, for encryption-context conditions that iam-simulate drops, by our own
 * evaluator (src/access/evaluator): CloudTrail writes only for this trail, CloudWatch Logs only for
 * this log group, EventBridge and CloudWatch alarms of this account may publish to the topic, and
 * another account may not.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { KeyAuditTrail, ManagedKey } from '../../src';
import { evaluateKeyAccess } from '../../src/access/evaluator';
import { FAKE_ENV, KeyAccess, logicalIdOf, simulateKeyRequest } from '../support/iam';
import { synthTemplate } from '../support/template';

const { account: ACCOUNT, region: REGION } = FAKE_ENV;
const OTHER = '222222222222';
const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/kms-audit`;
const OTHER_TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${OTHER}:trail/kms-audit`;
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/kms-audit`;
const ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:Audit-DeniedCalls`;
const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/Stack-AuditRuleDisableKey`;

const app = new App();
const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
const trail = new KeyAuditTrail(stack, 'Audit', { trailName: 'kms-audit' });
trail.watch(new ManagedKey(stack, 'Orders'));
const template = synthTemplate(stack);
const resources = template.toJSON().Resources;

const trailKey = KeyAccess.of(template, trail.trailKey!);
const logsKey = KeyAccess.of(template, trail.logsKey!);
const topicKey = KeyAccess.of(template, trail.topicKey!);
const publisherArn = topicKey.principalArn(trail.eventPublisherRole);

/** Our evaluator over a key's resolved policy. */
function evaluate(
  key: KeyAccess, principal: string, action: string, context: Record<string, string>, encryptionContext?: Record<string, string>,
) {
  const request = { principal, action, keyArn: key.keyArn, context, encryptionContext };
  return evaluateKeyAccess({ keyPolicy: key.keyPolicy as any, request }).decision;
}

describe('the trail key: CloudTrail, for this trail only', () => {
  test('DescribeKey for this trail is allowed, for another account\'s trail denied (iam-simulate)', async () => {
    expect(await trailKey.canDo('cloudtrail.amazonaws.com', 'kms:DescribeKey', { 'aws:SourceArn': TRAIL_ARN })).toBe('Allowed');
    expect(await trailKey.canDo('cloudtrail.amazonaws.com', 'kms:DescribeKey', { 'aws:SourceArn': OTHER_TRAIL_ARN })).toBe('ImplicitlyDenied');
  });

  test('GenerateDataKey for another trail is denied, and CloudTrail can never decrypt (iam-simulate)', async () => {
    const other = { 'aws:SourceArn': OTHER_TRAIL_ARN, 'kms:EncryptionContext:aws:cloudtrail:arn': OTHER_TRAIL_ARN };
    expect(await trailKey.canDo('cloudtrail.amazonaws.com', 'kms:GenerateDataKey', other)).toBe('ImplicitlyDenied');
    expect(await trailKey.canDo('cloudtrail.amazonaws.com', 'kms:Decrypt', { 'aws:SourceArn': TRAIL_ARN })).toBe('ImplicitlyDenied');
  });

  // iam-simulate drops kms:EncryptionContext:<key> (see test/support/iam.ts): our evaluator decides these.
  test.each<[string, Record<string, string>, Record<string, string>, string]>([
    ['this trail, its encryption context', { 'aws:SourceArn': TRAIL_ARN }, { 'aws:cloudtrail:arn': TRAIL_ARN }, 'Allow'],
    ['this trail, another trail\'s encryption context', { 'aws:SourceArn': TRAIL_ARN }, { 'aws:cloudtrail:arn': OTHER_TRAIL_ARN }, 'ImplicitDeny'],
    ['another trail, this trail\'s encryption context', { 'aws:SourceArn': OTHER_TRAIL_ARN }, { 'aws:cloudtrail:arn': TRAIL_ARN }, 'ImplicitDeny'],
    ['no encryption context', { 'aws:SourceArn': TRAIL_ARN }, {}, 'ImplicitDeny'],
  ])('GenerateDataKey by CloudTrail for %s (our evaluator)', (_name, context, encryptionContext, decision) => {
    expect(evaluate(trailKey, 'cloudtrail.amazonaws.com', 'kms:GenerateDataKey', context, encryptionContext)).toBe(decision);
  });
});

describe('the log group key: CloudWatch Logs, for this log group only', () => {
  const logs = `logs.${REGION}.amazonaws.com`;

  test('another account is denied (iam-simulate)', async () => {
    const context = { 'aws:SourceAccount': OTHER, 'kms:EncryptionContext:aws:logs:arn': LOG_GROUP_ARN };
    expect(await logsKey.canDo(logs, 'kms:GenerateDataKey', context)).toBe('ImplicitlyDenied');
  });

  test.each<[string, string, Record<string, string>, string]>([
    ['this log group', 'kms:GenerateDataKey', { 'aws:logs:arn': LOG_GROUP_ARN }, 'Allow'],
    ['this log group, decrypt', 'kms:Decrypt', { 'aws:logs:arn': LOG_GROUP_ARN }, 'Allow'],
    ['another log group', 'kms:GenerateDataKey', { 'aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:app` }, 'ImplicitDeny'],
    ['no encryption context', 'kms:Decrypt', {}, 'ImplicitDeny'],
  ])('%s (our evaluator)', (_name, action, encryptionContext, decision) => {
    expect(evaluate(logsKey, logs, action, { 'aws:SourceAccount': ACCOUNT }, encryptionContext)).toBe(decision);
  });
});

describe('the topic: EventBridge and CloudWatch alarms of this account may publish, another account may not', () => {
  const topicArn = topicKey.resolve({ Ref: logicalIdOf(trail.topic) });
  const topicPolicy = topicKey.resolve(Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument);
  const trust = topicKey.resolve(resources[logicalIdOf(trail.eventPublisherRole)].Properties.AssumeRolePolicyDocument);
  const simulate = (
    policy: object, principalArn: string, action: string, resourceArn: string, context: Record<string, string>, identityPolicies: any[] = [],
  ) =>
    simulateKeyRequest({ keyPolicy: policy, principalArn, action, keyArn: resourceArn, context, identityPolicies }).then((o) => o.decision);

  test('EventBridge assumes the publisher role for rules of this account only', async () => {
    expect(await simulate(trust, 'events.amazonaws.com', 'sts:AssumeRole', publisherArn, { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': RULE_ARN })).toBe('Allowed');
    expect(await simulate(trust, 'events.amazonaws.com', 'sts:AssumeRole', publisherArn, {
      'aws:SourceAccount': OTHER, 'aws:SourceArn': `arn:aws:events:${REGION}:${OTHER}:rule/x`,
    })).toBe('ImplicitlyDenied');
  });

  test('the publisher role publishes to the topic; another account\'s role cannot', async () => {
    expect(await simulate(topicPolicy, publisherArn, 'sns:Publish', topicArn, {}, topicKey.identityPolicies(trail.eventPublisherRole))).toBe('Allowed');
    expect(await simulate(topicPolicy, `arn:aws:iam::${OTHER}:role/Publisher`, 'sns:Publish', topicArn, {})).toBe('ImplicitlyDenied');
    expect(await simulate(topicPolicy, 'events.amazonaws.com', 'sns:Publish', topicArn, { 'aws:SourceAccount': OTHER })).toBe('ImplicitlyDenied');
  });

  test('the publisher role uses the topic key only through SNS; another account\'s role not at all', async () => {
    const viaSns = { 'kms:ViaService': `sns.${REGION}.amazonaws.com` };
    expect(await topicKey.canDo(trail.eventPublisherRole, 'kms:GenerateDataKey', viaSns)).toBe('Allowed');
    expect(await topicKey.canDo(trail.eventPublisherRole, 'kms:Decrypt', viaSns)).toBe('Allowed');
    expect(await topicKey.canDo(trail.eventPublisherRole, 'kms:Decrypt', { 'kms:ViaService': `lambda.${REGION}.amazonaws.com` })).toBe('ImplicitlyDenied');
    expect(await topicKey.canDo(`arn:aws:iam::${OTHER}:role/Publisher`, 'kms:GenerateDataKey', viaSns)).toBe('ImplicitlyDenied');
  });

  test('CloudWatch alarms of this account publish and use the key; of another account neither', async () => {
    const ours = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': ALARM_ARN };
    const theirs = { 'aws:SourceAccount': OTHER, 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${OTHER}:alarm:x` };
    expect(await simulate(topicPolicy, 'cloudwatch.amazonaws.com', 'sns:Publish', topicArn, ours)).toBe('Allowed');
    expect(await simulate(topicPolicy, 'cloudwatch.amazonaws.com', 'sns:Publish', topicArn, theirs)).toBe('ImplicitlyDenied');
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      expect(await topicKey.canDo('cloudwatch.amazonaws.com', action, ours)).toBe('Allowed');
      expect(await topicKey.canDo('cloudwatch.amazonaws.com', action, theirs)).toBe('ImplicitlyDenied');
    }
    expect(await topicKey.canDo('cloudwatch.amazonaws.com', 'kms:Encrypt', ours)).toBe('ImplicitlyDenied');
  });

  test('EventBridge itself has no direct use of the topic key', async () => {
    expect(await topicKey.canDo('events.amazonaws.com', 'kms:GenerateDataKey', { 'aws:SourceAccount': ACCOUNT })).toBe('ImplicitlyDenied');
  });
});

describe('the log bucket: CloudTrail writes only for this trail', () => {
  const bucketId = logicalIdOf(trail.bucket!);
  const bucketName = bucketId.toLowerCase();
  const policy = trailKey.resolve(Object.values(template.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument);

  async function canDo(action: string, resource: string, context: Record<string, string>): Promise<string> {
    const response = await runSimulation({
      request: {
        principal: 'cloudtrail.amazonaws.com',
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalIsAWSService': 'true', 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
    }, {});
    if (response.resultType !== 'single') throw new Error(JSON.stringify(response));
    return response.overallResult;
  }

  const object = `arn:aws:s3:::${bucketName}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/12/05/log.json.gz`;
  const acl = { 's3:x-amz-acl': 'bucket-owner-full-control' };

  test.each<[string, string, string, Record<string, string>, string]>([
    ['PutObject for this trail', 's3:PutObject', object, { ...acl, 'aws:SourceArn': TRAIL_ARN }, 'Allowed'],
    ['PutObject for another trail', 's3:PutObject', object, { ...acl, 'aws:SourceArn': OTHER_TRAIL_ARN }, 'ImplicitlyDenied'],
    ['PutObject without bucket-owner-full-control', 's3:PutObject', object, { 's3:x-amz-acl': 'private', 'aws:SourceArn': TRAIL_ARN }, 'ImplicitlyDenied'],
    ['PutObject outside AWSLogs/<account>/', 's3:PutObject', `arn:aws:s3:::${bucketName}/other/x`, { ...acl, 'aws:SourceArn': TRAIL_ARN }, 'ImplicitlyDenied'],
    ['GetBucketAcl for this trail', 's3:GetBucketAcl', `arn:aws:s3:::${bucketName}`, { 'aws:SourceArn': TRAIL_ARN }, 'Allowed'],
    ['GetBucketAcl for another trail', 's3:GetBucketAcl', `arn:aws:s3:::${bucketName}`, { 'aws:SourceArn': OTHER_TRAIL_ARN }, 'ImplicitlyDenied'],
    ['GetObject (reading logs)', 's3:GetObject', object, { 'aws:SourceArn': TRAIL_ARN }, 'ImplicitlyDenied'],
  ])('%s', async (_name, action, resource, context, decision) => {
    expect(await canDo(action, resource, context)).toBe(decision);
  });
});
