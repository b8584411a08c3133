/**
 * KeyAuditTrail's template: fine-grained assertions first, then the judges (CloudFormation
 * validator through synthTemplate, cdk-nag, our own lint rules) and a snapshot as the net.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { KeyAuditEvent, KeyAuditTrail, KeyPolicyPosture, ManagedKey } from '../../src';
import { lintTemplate } from '../../src/lint/lint';
import { nagFindings } from '../support/compliance';
import { FAKE_ENV } from '../support/iam';
import { stableTemplateJson, synthTemplate } from '../support/template';

const ENV = { account: FAKE_ENV.account, region: FAKE_ENV.region };
const STORE = 'cks-1234567890abcdef0';

function newStack(context?: Record<string, unknown>): Stack {
  return new Stack(new App({ context }), 'Stack', { env: ENV });
}

/** The full setup: a created trail watching one key, one external and one CloudHSM key store. */
function fullTrail(stack = newStack()) {
  const orders = new ManagedKey(stack, 'Orders', { aliases: ['orders'] });
  const trail = new KeyAuditTrail(stack, 'Audit', { trailName: 'kms-audit' });
  trail.watch(orders);
  trail.watchExternalKeyStore(STORE);
  trail.watchCloudHsmKeyStore('cks-0fedcba0987654321');
  return { stack, trail, orders };
}

function keyPolicyOf(template: Template, logicalIdPrefix: string): any {
  const keys = template.findResources('AWS::KMS::Key');
  const id = Object.keys(keys).find((k) => k.startsWith(logicalIdPrefix));
  if (!id) throw new Error(`no key ${logicalIdPrefix}* in ${Object.keys(keys).join(', ')}`);
  return keys[id].Properties.KeyPolicy;
}

function statement(policy: any, sid: string): any {
  const found = policy.Statement.find((s: any) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${policy.Statement.map((s: any) => s.Sid).join(', ')}`);
  return found;
}

const TRAIL_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:us-east-1:111111111111:trail/kms-audit']] };
const LOG_GROUP_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:111111111111:log-group:/aws/cloudtrail/kms-audit']] };

describe('a created trail', () => {
  const { stack } = fullTrail();
  const template = synthTemplate(stack);

  test('is multi-Region, validates log files, records every management event and encrypts with its own key', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'kms-audit',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditTrailKey'), 'Arn'] },
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditLogGroup'), 'Arn'] },
    });
  });

  test('stores log files in a private, TLS-only, versioned bucket with a lifecycle, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 365 },
          })],
        },
      }),
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument;
    expect(policy.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]));
  });

  test('lets CloudTrail write only for this trail', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument;
    const write = policy.Statement.find((s: any) => s.Sid === 'CloudTrailWrite');
    expect(write.Principal).toEqual({ Service: 'cloudtrail.amazonaws.com' });
    expect(write.Condition.StringEquals).toEqual({ 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN });
    expect(policy.Statement.find((s: any) => s.Sid === 'CloudTrailAclCheck').Condition).toEqual({ StringEquals: { 'aws:SourceArn': TRAIL_ARN } });
  });

  test("the trail key's CloudTrail statements carry this trail's aws:SourceArn and encryption context", () => {
    const policy = keyPolicyOf(template, 'AuditTrailKey');
    expect(statement(policy, 'ServiceCloudTrail')).toMatchObject({
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: ['kms:DescribeKey', 'kms:GenerateDataKey'],
      Condition: { ArnLike: { 'aws:SourceArn': TRAIL_ARN }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': TRAIL_ARN } },
    });
    // DescribeKey carries no encryption context, so it has a statement of its own.
    expect(statement(policy, 'ServiceCloudTrailDescribeKey')).toMatchObject({
      Action: 'kms:DescribeKey',
      Condition: { ArnLike: { 'aws:SourceArn': TRAIL_ARN } },
    });
  });

  test('the log group is encrypted with its own key, whose CloudWatch Logs statement names only this log group', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: {
        LogGroupName: '/aws/cloudtrail/kms-audit',
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditLogsKey'), 'Arn'] },
      },
    });
    expect(statement(keyPolicyOf(template, 'AuditLogsKey'), 'ServiceCloudWatchLogs').Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111111111111' },
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': LOG_GROUP_ARN },
    });
  });

  test("CloudTrail's log delivery role writes only this log group's streams", () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p: any) => p.Properties.PolicyDocument.Statement).flat();
    const delivery = policies.find((s: any) => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
    expect(delivery).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:111111111111:log-group:/aws/cloudtrail/kms-audit:log-stream:*']] },
    });
  });

  test('every key it creates rotates and is retained', () => {
    const keys = Object.entries(template.findResources('AWS::KMS::Key')).filter(([id]) => id.startsWith('Audit'));
    expect(keys.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AuditLogsKey', 'AuditTopicKey', 'AuditTrailKey']);
    for (const [, key] of keys) {
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.Properties.EnableKeyRotation).toBe(true);
    }
  });
});

describe('notifications', () => {
  const { stack, trail } = fullTrail();
  const template = synthTemplate(stack);

  test('one rule per default event (rotation is opt-in), each notifying the encrypted topic through the publisher role', () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(10);
    expect(trail.ruleFor(KeyAuditEvent.KEY_ROTATED)).toBeUndefined();
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({
        Arn: { Ref: expect.stringMatching(/^AuditTopic/) },
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^AuditEventPublisher/), 'Arn'] },
        InputTransformer: expect.objectContaining({ InputTemplate: expect.stringContaining('"title":') }),
      })]);
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditTopicKey'), 'Arn'] } });
  });

  test('the PutKeyPolicy notification carries the new policy (its request parameters)', () => {
    const rule = template.toJSON().Resources[stack.resolve((trail.ruleFor(KeyAuditEvent.PUT_KEY_POLICY)!.node.defaultChild as any).logicalId)];
    expect(rule.Properties.Targets[0].InputTransformer.InputPathsMap['detail-requestParameters']).toBe('$.detail.requestParameters');
  });

  test('EventBridge assumes the publisher role only for rules of this account', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const publisher = Object.entries(roles).find(([id]) => id.startsWith('AuditEventPublisher'))![1];
    expect(publisher.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': '111111111111' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111111111111:rule/*']] } },
      },
    }]);
  });

  test('the topic key lets the publisher role use it only through SNS, and CloudWatch alarms of this account', () => {
    const policy = keyPolicyOf(template, 'AuditTopicKey');
    expect(statement(policy, 'UseEncryptDecrypt').Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sns.us-east-1.', { Ref: 'AWS::URLSuffix' }]] } },
    });
    expect(statement(policy, 'ServiceCloudWatchAlarms')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '111111111111' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:111111111111:alarm:*']] } },
      },
    });
  });

  test('metric filters: denied calls, CIS 4.7, and per watched key', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f: any) => f.Properties);
    expect(filters.map((f) => f.MetricTransformations[0].MetricName).sort()).toEqual(
      ['DeniedCalls', 'DeniedRequest-Orders', 'KeyDisabledOrScheduledForDeletion', 'SuccessfulRequest-Orders']);
    const requests = filters.find((f) => f.MetricTransformations[0].MetricName === 'SuccessfulRequest-Orders');
    expect(requests.MetricTransformations[0]).toMatchObject({ MetricNamespace: 'KmsKeyAudit', MetricValue: '1', Dimensions: [{ Key: 'Operation', Value: '$.eventName' }] });
  });

  test('alarms notify the topic: denied calls, CIS 4.7, six for the external key store, one for the CloudHSM key store', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties);
    expect(alarms).toHaveLength(2 + 6 + 1);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AuditTopic/) }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    const queries = alarms.flatMap((a) => (a.Metrics ?? []).map((m: any) => m.Expression)).filter(Boolean);
    expect(queries).toEqual(expect.arrayContaining([
      `SELECT AVG(XksProxyLatency) FROM "AWS/KMS" WHERE CustomKeyStoreId = '${STORE}'`,
      `SELECT MAX(XksExternalKeyManagerStates) FROM "AWS/KMS" WHERE CustomKeyStoreId = '${STORE}' AND XksExternalKeyManagerState != 'Active'`,
      `SELECT MIN(XksProxyCertificateDaysToExpire) FROM "AWS/KMS" WHERE CustomKeyStoreId = '${STORE}'`,
      "SELECT SUM(CloudHSMKeyStoreThrottle) FROM \"AWS/KMS\" WHERE CustomKeyStoreId = 'cks-0fedcba0987654321'",
    ]));
    const latency = alarms.find((a) => a.Metrics?.[0]?.Expression?.includes('XksProxyLatency'));
    expect(latency).toMatchObject({ Threshold: 200, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    const certificate = alarms.find((a) => a.Metrics?.[0]?.Expression?.includes('CertificateDaysToExpire'));
    expect(certificate).toMatchObject({ Threshold: 30, ComparisonOperator: 'LessThanOrEqualToThreshold' });
  });

  test('a dashboard with the events, denied calls, the watched key and the key stores', () => {
    const body = JSON.stringify(stack.resolve(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody));
    for (const text of ['KMS events (rule matches)', 'Denied KMS calls', 'CIS 4.7', 'Orders: successful requests by operation',
      'Orders: denied requests', `Custom key store ${STORE}`, 'SuccessfulRequest-Orders']) {
      expect(body).toContain(text);
    }
  });
});

describe('judges', () => {
  test.each([['with', ENV], ['without', undefined]])('cdk-nag AwsSolutionsChecks: no finding on the audit trail, %s an environment', (_name, env) => {
    const { stack } = fullTrail(new Stack(new App(), 'Stack', { env }));
    expect(nagFindings(stack).filter((f) => f.path.startsWith('Stack/Audit/'))).toEqual([]);
  });

  test('our own lint rules accept every key policy and the trail', () => {
    const { stack } = fullTrail();
    expect(lintTemplate(synthTemplate(stack).toJSON())).toEqual([]);
  });

  test.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s keys pass the CloudFormation validator and lint', (posture) => {
    const stack = newStack();
    new KeyAuditTrail(stack, 'Audit', { posture, keyAdministrators: [new iam.ArnPrincipal('arn:aws:iam::111111111111:role/KeyAdmin')] });
    expect(lintTemplate(synthTemplate(stack).toJSON())).toEqual([]);
  });

  test('snapshot', () => {
    const { stack } = fullTrail();
    expect(stableTemplateJson(synthTemplate(stack))).toMatchSnapshot();
  });
});

describe('options', () => {
  test('object lock, expiration, server access logs and retention', () => {
    const stack = newStack();
    const accessLogs = new s3.Bucket(stack, 'AccessLogs');
    new KeyAuditTrail(stack, 'Audit', {
      objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(400)),
      logFileExpiration: Duration.days(2555),
      serverAccessLogsBucket: accessLogs,
      logRetention: logs.RetentionDays.TWO_YEARS,
    });
    const template = synthTemplate(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } } },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') } },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 2555 })] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731 });
  });

  test('an existing trail of the app: no trail, bucket or keys of its own; filters on its log group', () => {
    const stack = newStack();
    const existing = new cloudtrail.Trail(stack, 'Existing', { sendToCloudWatchLogs: true });
    new KeyAuditTrail(stack, 'Audit', { existingTrail: existing });
    const template = synthTemplate(stack);
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.resourceCountIs('AWS::KMS::Key', 1); // the topic key only
    template.hasResourceProperties('AWS::Logs::MetricFilter', { LogGroupName: { Ref: Match.stringLikeRegexp('^ExistingLogGroup') } });
  });

  test('an organization trail by ARN, with a topic you give and rule targets of your own', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Ops');
    const queueTarget = { bind: () => ({ arn: 'arn:aws:sqs:us-east-1:111111111111:audit' }) };
    new KeyAuditTrail(stack, 'Audit', {
      existingTrailArn: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/org-trail',
      topic,
      targets: [queueTarget],
    });
    const template = synthTemplate(stack);
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: 'arn:aws:sqs:us-east-1:111111111111:audit' })]);
    }
  });

  test('the minimum retention comes from the cdk-kms-patterns:minimumLogRetentionDays context', () => {
    const stack = newStack({ 'cdk-kms-patterns:minimumLogRetentionDays': 30 });
    expect(() => new KeyAuditTrail(stack, 'Audit', { logRetention: logs.RetentionDays.ONE_MONTH })).not.toThrow();
    const strict = newStack({ 'cdk-kms-patterns:minimumLogRetentionDays': 3653 });
    expect(() => new KeyAuditTrail(strict, 'Audit')).toThrow(/shorter than the minimum of 3653 days/);
  });

  test('watchKeyArn and labels', () => {
    const stack = newStack();
    const trail = new KeyAuditTrail(stack, 'Audit');
    trail.watchKeyArn('arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab', { label: 'legacy key' });
    expect(trail.watchedKeys).toEqual(['arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab']);
    synthTemplate(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [Match.objectLike({ MetricName: 'SuccessfulRequest-legacykey' })],
    });
  });
});

describe('bad input', () => {
  test.each<[string, (stack: Stack) => void, RegExp]>([
    ['a trail that excludes KMS events', (s) => new KeyAuditTrail(s, 'A', { excludeManagementEventSources: ['kms.amazonaws.com'] }), /excludes kms\.amazonaws\.com \(KMS12\)/],
    ['a trail recording reads only', (s) => new KeyAuditTrail(s, 'A', { managementEvents: cloudtrail.ReadWriteType.READ_ONLY }), /reads only \(ReadWriteType: ReadOnly\) \(KMS12\)/],
    ['a trail recording no management events', (s) => new KeyAuditTrail(s, 'A', { managementEvents: cloudtrail.ReadWriteType.NONE }), /no event selector includes management events \(KMS12\)/],
    ['a retention under the default minimum', (s) => new KeyAuditTrail(s, 'A', { logRetention: logs.RetentionDays.THREE_MONTHS }), /logRetention of 90 days is shorter than the minimum of 365 days/],
    ['a retention under a configured minimum', (s) => new KeyAuditTrail(s, 'A', { logRetention: logs.RetentionDays.ONE_YEAR, minimumLogRetentionDays: 400 }), /shorter than the minimum of 400/],
    ['a topic in another Region', (s) => new KeyAuditTrail(s, 'A', { topic: sns.Topic.fromTopicArn(s, 'T', 'arn:aws:sns:eu-west-1:111111111111:ops') }), /topic is in eu-west-1 but this KeyAuditTrail is in us-east-1/],
    ['existingTrail and existingTrailArn', (s) => new KeyAuditTrail(s, 'A', { existingTrail: new cloudtrail.Trail(s, 'T'), existingTrailArn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/t' }), /not both/],
    ['trail options with an existing trail', (s) => new KeyAuditTrail(s, 'A', { existingTrailArn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/t', trailName: 'x' }), /trailName configure the trail this construct creates/],
    ['a log group without an existing trail', (s) => new KeyAuditTrail(s, 'A', { existingLogGroup: logs.LogGroup.fromLogGroupName(s, 'G', 'g') }), /existingLogGroup is for an existing trail/],
    ['a trail ARN that is not one', (s) => new KeyAuditTrail(s, 'A', { existingTrailArn: 'arn:aws:s3:::bucket' }), /is not a trail ARN/],
    ['a trail name with a space', (s) => new KeyAuditTrail(s, 'A', { trailName: 'kms audit' }), /is not a valid trail name/],
    ['a trail name with two dashes in a row', (s) => new KeyAuditTrail(s, 'A', { trailName: 'kms--audit' }), /is not a valid trail name/],
    ['a trail name like an IP address', (s) => new KeyAuditTrail(s, 'A', { trailName: '10.0.0.1' }), /is not a valid trail name/],
    ['a reserved metric namespace', (s) => new KeyAuditTrail(s, 'A', { metricNamespace: 'AWS/KMS' }), /not a valid custom CloudWatch namespace/],
  ])('%s', (_name, build, message) => {
    const stack = newStack();
    expect(() => build(stack)).toThrow(message);
    try { build(newStack()); } catch (error) { expect((error as Error).message).toMatch(/^Stack\/A: /); }
  });

  test.each<[string, (trail: KeyAuditTrail, stack: Stack) => void, RegExp]>([
    ['a key of another account', (t, s) => t.watch(ManagedKey.fromKeyArn(s, 'K', 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab')), /belongs to account 222222222222.*watch the key from a KeyAuditTrail in 222222222222/],
    ['a key of another Region', (t, s) => t.watch(ManagedKey.fromKeyArn(s, 'K', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab')), /key is in eu-west-1/],
    ['a key ARN of another account', (t) => t.watchKeyArn('arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab'), /belongs to account 222222222222/],
    ['an alias ARN', (t) => t.watchKeyArn('arn:aws:kms:us-east-1:111111111111:alias/orders'), /names an alias, not a key/],
    ['not an ARN', (t) => t.watchKeyArn('alias/orders'), /is not a KMS key ARN/],
    ['a key watched twice under one label', (t, s) => { const k = new ManagedKey(s, 'K'); t.watch(k); t.watch(k); }, /already watched/],
    ['a label without letters', (t, s) => t.watch(new ManagedKey(s, 'K'), { label: '***' }), /has no letters or digits/],
    ['a key store id that is not one', (t) => t.watchExternalKeyStore("cks-1' OR 1=1"), /is not a custom key store id/],
    ['a key store watched twice', (t) => { t.watchExternalKeyStore(STORE); t.watchCloudHsmKeyStore(STORE); }, /already watched/],
  ])('watch: %s', (_name, act, message) => {
    const stack = newStack();
    const trail = new KeyAuditTrail(stack, 'A');
    expect(() => act(trail, stack)).toThrow(message);
  });

  test('an existing trail of the app that excludes KMS events fails at synth with KMS12', () => {
    const stack = newStack();
    const existing = new cloudtrail.Trail(stack, 'Existing', { managementEvents: cloudtrail.ReadWriteType.READ_ONLY });
    new KeyAuditTrail(stack, 'Audit', { existingTrail: existing });
    expect(() => Template.fromStack(stack)).toThrow(/Stack\/Existing.*ReadOnly.*KMS12/s);
  });
});

describe('quotas', () => {
  const arn = (i: number) => `arn:aws:kms:us-east-1:111111111111:key/${String(i).padStart(8, '0')}-12ab-34cd-56ef-1234567890ab`;
  /** Synthesizes the app (the checks run at synth; no template is needed). */
  const synth = (stack: Stack) => () => (stack.node.root as App).synth();

  test("watching more keys than EventBridge's 2,048-character event pattern holds fails at synth", () => {
    const stack = newStack();
    const trail = new KeyAuditTrail(stack, 'Audit');
    for (let i = 0; i < 30; i++) trail.watchKeyArn(arn(i));
    expect(synth(stack)).toThrow(/watching 30 keys makes the .* rule's event pattern about \d+ characters, over the 2048/);
  });

  test('a raised quota lets the same keys through', () => {
    const stack = newStack();
    const trail = new KeyAuditTrail(stack, 'Audit', { maxEventPatternSize: 4096 });
    for (let i = 0; i < 30; i++) trail.watchKeyArn(arn(i));
    expect(synth(stack)).not.toThrow();
  });

  test.each([[15, false], [25, true]])('%i keys known only at deploy time (counted as the longest key ARN): fails %s', (count, fails) => {
    const stack = newStack();
    const trail = new KeyAuditTrail(stack, 'Audit');
    for (let i = 0; i < count; i++) trail.watch(new ManagedKey(stack, `Key${i}`));
    if (fails) expect(synth(stack)).toThrow(/over the 2048/);
    else expect(synth(stack)).not.toThrow();
  });
});
