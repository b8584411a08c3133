import { Arn, ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { assertNoProblems } from '../errors';
import { KeyCapability, KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../key';
import { acceptFinding } from '../nag-suppressions';
import { KeyAuditDashboard } from './dashboard';
import { CloudHsmKeyStoreAlarmOptions, ExternalKeyStoreAlarmOptions } from './key-store-alarm-options';
import {
  cloudHsmKeyStoreAlarms, externalKeyStoreAlarms,
  KEY_STORE_ALARM_PERIOD, keyStoreIdProblems, KeyStoreAlarmSpec,
} from './key-store-alarms';
import {
  API_CALL, DEFAULT_KEY_AUDIT_EVENTS, eventPattern, eventTitle, isKeyStoreEvent, KeyAuditEvent, SERVICE_EVENT,
} from './kms-events';
import { CIS_4_7_PATTERN, DENIED_KMS_CALLS_PATTERN, deniedKeyCallsPattern, successfulKeyCallsPattern } from './log-filters';
import { cfnTrailKmsEventProblems, kmsEventProblems, managementEventSelector, retentionProblems } from './trail-validation';

/** Context key a platform team sets in cdk.json to raise or lower the minimum log retention. */
export const MINIMUM_LOG_RETENTION_CONTEXT = 'cdk-kms-patterns:minimumLogRetentionDays';

/** Properties of a KeyAuditTrail. */
export interface KeyAuditTrailProps {
  /**
   * Name of the trail this construct creates.
   * @default - a name unique in the account, derived from the construct path
   */
  readonly trailName?: string;

  /**
   * A trail of this app to wire instead of creating one: rules, alarms and the dashboard use it, and
   * the metric filters go on its CloudWatch Logs group (when it sends to one). Its event selectors
   * must record KMS management events (lint rule KMS12).
   * @default - a trail is created
   */
  readonly existingTrail?: cloudtrail.Trail;

  /**
   * A trail made elsewhere, e.g. an organization trail of the management account, by ARN. Its
   * selectors cannot be checked here: make sure it records KMS management events.
   * @default - a trail is created
   */
  readonly existingTrailArn?: string;

  /**
   * The CloudWatch Logs group an existing trail delivers to, for the metric filters.
   * @default - the existing trail's log group, if any; no metric filters without one
   */
  readonly existingLogGroup?: logs.ILogGroup;

  /**
   * Which management events the created trail records.
   * @default cloudtrail.ReadWriteType.ALL
   */
  readonly managementEvents?: cloudtrail.ReadWriteType;

  /**
   * Management event sources the created trail leaves out (e.g. `rdsdata.amazonaws.com`).
   * `kms.amazonaws.com` is rejected: the trail exists to record it.
   * @default - none
   */
  readonly excludeManagementEventSources?: string[];

  /**
   * How long the trail's CloudWatch Logs group keeps events.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The shortest log retention allowed, in days.
   * @default - the `cdk-kms-patterns:minimumLogRetentionDays` context value, else 365
   */
  readonly minimumLogRetentionDays?: number;

  /**
   * Default object lock retention of the log bucket (WORM log files).
   * @default - no object lock
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;

  /**
   * When log files move to S3 Glacier Instant Retrieval.
   * @default Duration.days(90)
   */
  readonly transitionToGlacierAfter?: Duration;

  /**
   * When log files are deleted.
   * @default - never
   */
  readonly logFileExpiration?: Duration;

  /**
   * A bucket for the S3 server access logs of the log bucket.
   * @default - no server access logs (CloudTrail records the bucket's management events)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Administrators of the keys this construct creates.
   * @default - none; in IAM_DELEGATED the account's IAM policies administer the keys
   */
  readonly keyAdministrators?: iam.IPrincipal[];

  /**
   * Key-policy posture of the keys this construct creates.
   * @default KeyPolicyPosture.IAM_DELEGATED
   */
  readonly posture?: KeyPolicyPosture;

  /**
   * The topic that rules and alarms notify. Its key (if any) must let `eventPublisherRole` use it
   * through SNS, and `cloudwatch.amazonaws.com` publish.
   * @default - an SNS topic encrypted with a ManagedKey
   */
  readonly topic?: sns.ITopic;

  /**
   * Targets of the event rules instead of the topic (alarms still notify the topic).
   * @default - the topic
   */
  readonly targets?: events.IRuleTarget[];

  /**
   * Which events get a rule.
   * @default - every KeyAuditEvent except KEY_ROTATED
   */
  readonly events?: KeyAuditEvent[];

  /**
   * Denied KMS calls in five minutes that alarm.
   * @default 1
   */
  readonly deniedCallsThreshold?: number;

  /**
   * Namespace of the metrics the metric filters publish.
   * @default 'KmsKeyAudit'
   */
  readonly metricNamespace?: string;

  /**
   * The largest event pattern EventBridge accepts in this account, in characters (a quota that can
   * be raised up to 4,096). Each watched key adds its ARN to every key rule.
   * @default 2048
   */
  readonly maxEventPatternSize?: number;

  /**
   * Name of the CloudWatch dashboard.
   * @default - a name derived from the construct path
   */
  readonly dashboardName?: string;
}

/** Options of `watch`. */
export interface WatchKeyOptions {
  /**
   * A short name of the key in metric names and the dashboard (letters, digits, `-`, `_`).
   * @default - the key construct's id, or `Key<n>` for an ARN
   */
  readonly label?: string;
}

/**
 * A CloudTrail trail that records KMS management events, protected by its own keys, with
 * EventBridge rules and CloudWatch alarms on the KMS events that matter (deletion, disabling,
 * policy changes, grants, aliases, imported material, custom key stores), denied-call and CIS 4.7
 * metric filters, custom key store alarms and a dashboard. Or, given an existing or organization
 * trail, only the rules, alarms and dashboard.
 */
export class KeyAuditTrail extends Construct {
  /** The ARN of the trail (created or given). */
  public readonly trailArn: string;
  /** The trail this construct created. */
  public readonly trail?: cloudtrail.CfnTrail;
  /** The bucket of the created trail's log files. */
  public readonly bucket?: s3.Bucket;
  /** The log group the metric filters use. */
  public readonly logGroup?: logs.ILogGroup;
  /** The key that encrypts the created trail's log files. */
  public readonly trailKey?: ManagedKey;
  /** The key that encrypts the created log group. */
  public readonly logsKey?: ManagedKey;
  /** The key that encrypts the created topic. */
  public readonly topicKey?: ManagedKey;
  /** The topic rules and alarms notify. */
  public readonly topic: sns.ITopic;
  /** The role EventBridge assumes to publish to the topic. */
  public readonly eventPublisherRole: iam.Role;
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm this construct made. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  private readonly ruleByEvent = new Map<KeyAuditEvent, events.Rule>();
  private readonly watchedKeyArns: string[] = [];
  private readonly watchedKeyStoreIds: string[] = [];
  private readonly labels = new Set<string>();
  private readonly metricNamespace: string;
  private readonly auditDashboard: KeyAuditDashboard;
  private readonly maxEventPatternSize: number;

  constructor(scope: Construct, id: string, props: KeyAuditTrailProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.metricNamespace = props.metricNamespace ?? 'KmsKeyAudit';
    this.maxEventPatternSize = props.maxEventPatternSize ?? 2048;
    assertNoProblems(this, [
      ...existingTrailProblems(props),
      ...(props.existingTrail || props.existingTrailArn ? [] : kmsEventProblems(props.managementEvents, props.excludeManagementEventSources)),
      ...retentionProblems(props.logRetention ?? logs.RetentionDays.ONE_YEAR, this.minimumRetentionDays(props)),
      ...(props.topic ? sameRegionProblems(this, props.topic, 'topic') : []),
      ...namespaceProblems(this.metricNamespace),
      ...(props.trailName !== undefined ? trailNameProblems(props.trailName) : []),
    ]);

    if (props.existingTrail || props.existingTrailArn) {
      this.trailArn = props.existingTrail?.trailArn ?? props.existingTrailArn!;
      this.logGroup = props.existingLogGroup ?? props.existingTrail?.logGroup;
      if (props.existingTrail) this.checkExistingTrail(props.existingTrail);
    } else {
      const created = this.createTrail(props);
      this.trailArn = created.trailArn;
      this.trail = created.trail;
      this.bucket = created.bucket;
      this.logGroup = created.logGroup;
      this.trailKey = created.trailKey;
      this.logsKey = created.logsKey;
    }

    this.eventPublisherRole = new iam.Role(this, 'EventPublisher', {
      description: 'EventBridge publishes KMS audit events to the audit topic with this role',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
      }),
    });
    if (props.topic) {
      this.topic = props.topic;
    } else {
      this.topicKey = new ManagedKey(this, 'TopicKey', {
        description: 'Encrypts the KMS audit notifications topic',
        administrators: props.keyAdministrators,
        posture: props.posture,
        users: [KeyUser.viaService(this.eventPublisherRole, 'sns', { capability: KeyCapability.ENCRYPT_DECRYPT })],
        services: [KeyService.cloudWatchAlarms()],
      });
      const topic = new sns.Topic(this, 'Topic', { displayName: 'KMS audit', masterKey: this.topicKey, enforceSSL: true });
      topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }));
      this.topic = topic;
    }
    // sns:Publish only: the topic key's policy already lets this role use the key through SNS
    // (topic.grantPublish would also grant kms:GenerateDataKey*, a wildcard ManagedKey refuses).
    this.eventPublisherRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.auditDashboard = new KeyAuditDashboard(this.dashboard);

    for (const event of props.events ?? DEFAULT_KEY_AUDIT_EVENTS) {
      this.ruleByEvent.set(event, this.addRule(event, props.targets));
    }
    this.auditDashboard.addEventRules([...this.ruleByEvent].map(([event, rule]) => ({ title: eventTitle(event), ruleName: rule.ruleName })));

    if (this.logGroup) this.addAccountMetricFilters(this.logGroup, props.deniedCallsThreshold ?? 1);
    this.node.addValidation({ validate: () => this.quotaProblems() });
  }

  /**
   * Narrows the rules to this key (a ManagedKey, a ReplicaKey or any kms.IKey of this account and
   * Region) and adds its request metrics to the dashboard. Without any `watch`, the rules cover
   * every key of the account in this Region.
   */
  public watch(key: kms.IKey, options: WatchKeyOptions = {}): void {
    assertNoProblems(this, [
      ...sameRegionProblems(this, key, 'key'),
      ...sameAccountProblems(this, key.env.account, `key ${key.node.path}`),
    ]);
    this.addWatchedKey(key.keyArn, options.label ?? key.node.id);
  }

  /** {@link watch} for a key named by its ARN (a key ARN, not an alias). */
  public watchKeyArn(keyArn: string, options: WatchKeyOptions = {}): void {
    assertNoProblems(this, keyArnProblems(this, keyArn));
    this.addWatchedKey(keyArn, options.label ?? `Key${this.watchedKeyArns.length + 1}`);
  }

  /**
   * Alarms on the metrics KMS publishes for an external key store (an ExternalKeyStore's
   * `customKeyStoreId`, or any id), and narrows the custom key store rule to the watched stores.
   */
  public watchExternalKeyStore(customKeyStoreId: string, options: ExternalKeyStoreAlarmOptions = {}): cloudwatch.Alarm[] {
    return this.addKeyStore(customKeyStoreId, 'External', externalKeyStoreAlarms(customKeyStoreId, options));
  }

  /** Alarms on the metrics KMS publishes for a CloudHSM key store. */
  public watchCloudHsmKeyStore(customKeyStoreId: string, options: CloudHsmKeyStoreAlarmOptions = {}): cloudwatch.Alarm[] {
    return this.addKeyStore(customKeyStoreId, 'CloudHsm', cloudHsmKeyStoreAlarms(customKeyStoreId, options));
  }

  /** The rule of an event, if this trail has one. */
  public ruleFor(event: KeyAuditEvent): events.Rule | undefined {
    return this.ruleByEvent.get(event);
  }

  /** The key ARNs the rules are narrowed to (empty: the whole account). */
  public get watchedKeys(): string[] {
    return [...this.watchedKeyArns];
  }

  /** EventBridge's pattern size quota and CloudWatch Logs' 100 metric filters per log group. */
  private quotaProblems(): string[] {
    const problems: string[] = [];
    // An ARN known only at deploy time counts as the longest key ARN (GovCloud, multi-Region id).
    const longest = 'x'.repeat(Math.max(...this.watchedKeyArns.map((arn) => (Token.isUnresolved(arn) ? 90 : arn.length)), 0));
    const scope = { keyArns: this.watchedKeyArns.map(() => longest), customKeyStoreIds: this.watchedKeyStoreIds.map((id) => (Token.isUnresolved(id) ? 'cks-xxxxxxxxxxxxxxxxx' : id)) };
    for (const event of this.ruleByEvent.keys()) {
      const size = JSON.stringify(eventPattern(event, scope)).length;
      if (size > this.maxEventPatternSize) {
        problems.push(`watching ${this.watchedKeyArns.length} keys makes the ${event} rule's event pattern about ${size} characters, over the ` +
          `${this.maxEventPatternSize} EventBridge accepts: split the keys over several KeyAuditTrails (existingTrailArn for all but one), ` +
          'or raise the event pattern size quota (up to 4,096) and set maxEventPatternSize');
        break;
      }
    }
    const filters = this.logGroup ? 2 + 2 * this.labels.size : 0;
    if (filters > 100) {
      problems.push(`watching ${this.labels.size} keys needs ${filters} metric filters on one log group, over CloudWatch Logs' 100: split the keys over several KeyAuditTrails`);
    }
    return problems;
  }

  private minimumRetentionDays(props: KeyAuditTrailProps): number {
    const fromContext = this.node.tryGetContext(MINIMUM_LOG_RETENTION_CONTEXT);
    return props.minimumLogRetentionDays ?? (fromContext !== undefined ? Number(fromContext) : 365);
  }

  private createTrail(props: KeyAuditTrailProps) {
    const stack = Stack.of(this);
    const trailName = props.trailName ?? Names.uniqueResourceName(this, { maxLength: 90, separator: '-' });
    // Names, not attributes: the keys' policies must name the trail and log group that use them,
    // and those depend on the keys (a reference would be a cycle).
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName });
    const logGroupName = `/aws/cloudtrail/${trailName}`;
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const trailKey = new ManagedKey(this, 'TrailKey', {
      description: `Encrypts the log files of CloudTrail trail ${trailName}`,
      administrators: props.keyAdministrators,
      posture: props.posture,
      services: [KeyService.cloudTrail({ trailArn }), KeyService.cloudTrailDescribeKey({ trailArn })],
    });
    const logsKey = new ManagedKey(this, 'LogsKey', {
      description: `Encrypts the CloudWatch Logs group ${logGroupName}`,
      administrators: props.keyAdministrators,
      posture: props.posture,
      services: [KeyService.cloudWatchLogs({ logGroupArn })],
    });

    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectLockEnabled: props.objectLockRetention ? true : undefined,
      objectLockDefaultRetention: props.objectLockRetention,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{
        id: 'LogFiles',
        transitions: [{
          storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
          transitionAfter: props.transitionToGlacierAfter ?? Duration.days(90),
        }],
        expiration: props.logFileExpiration,
        noncurrentVersionExpiration: Duration.days(365),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });
    const cloudTrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudTrailAclCheck',
      principals: [cloudTrailPrincipal],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudTrailWrite',
      principals: [cloudTrailPrincipal],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
    }));
    if (!props.serverAccessLogsBucket) {
      acceptFinding(bucket, 'S1', 'The trail records the management events of its own log bucket; pass serverAccessLogsBucket to add S3 server access logs as well.');
    }

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logsRole = new iam.Role(this, 'LogsRole', {
      description: `CloudTrail delivers trail ${trailName} to ${logGroupName} with this role`,
      assumedBy: cloudTrailPrincipal,
    });
    const streams = `${logGroupArn}:log-stream:*`;
    logsRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [streams] }));
    acceptFinding(logsRole, 'IAM5', 'CloudTrail names the log streams it creates in the trail\'s own log group (<account>_CloudTrail_<region>); the resource is that one group\'s streams.',
      [`Resource::arn:<AWS::Partition>:logs:${nagPlaceholder(stack.region, 'AWS::Region')}:${nagPlaceholder(stack.account, 'AWS::AccountId')}:log-group:${logGroupName}:log-stream:*`]);

    const trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      s3BucketName: bucket.bucketName,
      kmsKeyId: trailKey.keyArn,
      cloudWatchLogsLogGroupArn: logGroup.logGroupArn,
      cloudWatchLogsRoleArn: logsRole.roleArn,
      eventSelectors: [managementEventSelector(props.managementEvents, props.excludeManagementEventSources)],
    });
    trail.node.addDependency(bucket.policy!, logsRole, trailKey, logsKey);
    return { trailArn, trail, bucket, logGroup, trailKey, logsKey };
  }

  private checkExistingTrail(trail: cloudtrail.Trail): void {
    const cfn = trail.node.defaultChild as cloudtrail.CfnTrail;
    this.node.addValidation({ validate: () => cfnTrailKmsEventProblems(cfn) });
  }

  private addRule(event: KeyAuditEvent, ruleTargets: events.IRuleTarget[] | undefined): events.Rule {
    const rule = new events.Rule(this, `Rule${pascal(event)}`, {
      description: eventTitle(event),
      eventPattern: { source: ['aws.kms'] },
    });
    // The pattern narrows to the keys passed to watch(), which may come after the constructor.
    (rule.node.defaultChild as events.CfnRule).addPropertyOverride('EventPattern', Lazy.any({
      produce: () => eventPattern(event, { keyArns: this.watchedKeyArns, customKeyStoreIds: this.watchedKeyStoreIds }),
    }));
    for (const target of ruleTargets ?? [this.topicTarget(event)]) rule.addTarget(target);
    return rule;
  }

  private topicTarget(event: KeyAuditEvent): events.IRuleTarget {
    const pattern = eventPattern(event);
    const native = !(pattern['detail-type'] as string[]).some((t) => t === API_CALL || t === SERVICE_EVENT);
    const message = native
      ? { title: eventTitle(event), account: events.EventField.account, region: events.EventField.region, time: events.EventField.time, keys: events.EventField.fromPath('$.resources'), detail: events.EventField.fromPath('$.detail') }
      : {
        title: eventTitle(event),
        account: events.EventField.account,
        region: events.EventField.region,
        time: events.EventField.time,
        eventName: events.EventField.fromPath('$.detail.eventName'),
        caller: events.EventField.fromPath('$.detail.userIdentity.arn'),
        sourceIPAddress: events.EventField.fromPath('$.detail.sourceIPAddress'),
        [isKeyStoreEvent(event) ? 'customKeyStore' : 'keys']: events.EventField.fromPath(isKeyStoreEvent(event) ? '$.detail.requestParameters.customKeyStoreId' : '$.detail.resources'),
        // For PutKeyPolicy this is the whole new policy (KMS records it as a JSON string).
        requestParameters: events.EventField.fromPath('$.detail.requestParameters'),
      };
    return new TopicWithRole(this.topic, this.eventPublisherRole, events.RuleTargetInput.fromObject(message));
  }

  private addAccountMetricFilters(logGroup: logs.ILogGroup, deniedThreshold: number): void {
    const denied = this.metricFilter(logGroup, 'DeniedCalls', DENIED_KMS_CALLS_PATTERN, 'DeniedCalls');
    const cis = this.metricFilter(logGroup, 'Cis47', CIS_4_7_PATTERN, 'KeyDisabledOrScheduledForDeletion');
    this.alarm('DeniedCallsAlarm', denied, deniedThreshold, `${deniedThreshold} or more KMS calls denied in 5 minutes (errorCode AccessDenied*).`);
    this.alarm('Cis47Alarm', cis, 1, 'CIS 4.7: a customer managed KMS key was disabled or scheduled for deletion.');
    this.auditDashboard.addAccountMetrics(denied, cis);
  }

  private metricFilter(
    logGroup: logs.ILogGroup, id: string, pattern: string, metricName: string, dimensions?: Record<string, string>,
  ): cloudwatch.Metric {
    const filter = new logs.MetricFilter(this, id, {
      logGroup,
      filterPattern: logs.FilterPattern.literal(pattern),
      metricNamespace: this.metricNamespace,
      metricName,
      metricValue: '1',
      dimensions,
    });
    return filter.metric({ statistic: 'Sum', period: Duration.minutes(5) });
  }

  private alarm(id: string, metric: cloudwatch.IMetric, threshold: number, description: string, spec?: Partial<KeyStoreAlarmSpec>): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      alarmDescription: description,
      comparisonOperator: spec?.comparison === 'LessThanOrEqualToThreshold'
        ? cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD
        : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec?.evaluationPeriods ?? 1,
      datapointsToAlarm: spec?.datapointsToAlarm ?? 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  private addWatchedKey(keyArn: string, label: string): void {
    const name = label.replace(/[^A-Za-z0-9_-]/g, '');
    assertNoProblems(this, [
      ...(name === '' ? [`label '${label}' has no letters or digits: pass options.label`] : []),
      ...(this.labels.has(name) ? [`a key labelled '${name}' is already watched: pass a different options.label`] : []),
    ]);
    this.labels.add(name);
    this.watchedKeyArns.push(keyArn);
    if (!this.logGroup) return;
    const successful = this.metricFilter(this.logGroup, `Requests${name}`, successfulKeyCallsPattern(keyArn), `SuccessfulRequest-${name}`, { Operation: '$.eventName' });
    const denied = this.metricFilter(this.logGroup, `Denied${name}`, deniedKeyCallsPattern(keyArn), `DeniedRequest-${name}`);
    this.auditDashboard.addKey(name, this.metricNamespace, successful.metricName, denied);
  }

  private addKeyStore(storeId: string, kind: string, specs: KeyStoreAlarmSpec[]): cloudwatch.Alarm[] {
    assertNoProblems(this, [
      ...keyStoreIdProblems(storeId),
      ...(this.watchedKeyStoreIds.includes(storeId) ? [`custom key store ${storeId} is already watched`] : []),
    ]);
    this.watchedKeyStoreIds.push(storeId);
    const index = this.watchedKeyStoreIds.length;
    const alarms = specs.map((spec) => this.alarm(`${kind}KeyStore${index}${spec.id}`, new cloudwatch.MathExpression({
      expression: spec.query,
      usingMetrics: {},
      period: KEY_STORE_ALARM_PERIOD,
      label: spec.metricName,
    }), spec.threshold, spec.description, spec));
    this.auditDashboard.addKeyStore(storeId, alarms);
    return alarms;
  }
}

/**
 * An SNS topic as a rule target, published to with a role that already holds sns:Publish (unlike
 * aws-events-targets' SnsTopic, it adds no grant: its grantPublish writes kms:GenerateDataKey*).
 */
class TopicWithRole implements events.IRuleTarget {
  constructor(private readonly topic: sns.ITopic, private readonly role: iam.IRole, private readonly input: events.RuleTargetInput) {}

  public bind(): events.RuleTargetConfig {
    return { arn: this.topic.topicArn, role: this.role, input: this.input, targetResource: this.topic };
  }
}

/** How cdk-nag writes a pseudo parameter in a finding: the value when known, else `<AWS::...>`. */
function nagPlaceholder(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}

function pascal(value: string): string {
  return value.toLowerCase().split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function existingTrailProblems(props: KeyAuditTrailProps): string[] {
  const existing = props.existingTrail !== undefined || props.existingTrailArn !== undefined;
  const problems: string[] = [];
  if (props.existingTrail && props.existingTrailArn) problems.push('pass existingTrail or existingTrailArn, not both');
  if (!existing && props.existingLogGroup) problems.push('existingLogGroup is for an existing trail: pass existingTrail or existingTrailArn too, or leave it out');
  const trailOnly = (['trailName', 'managementEvents', 'excludeManagementEventSources', 'objectLockRetention', 'logFileExpiration', 'serverAccessLogsBucket'] as const)
    .filter((name) => props[name] !== undefined);
  if (existing && trailOnly.length > 0) {
    problems.push(`${trailOnly.join(', ')} configure the trail this construct creates; with an existing trail, leave them out`);
  }
  if (props.existingTrailArn && !Token.isUnresolved(props.existingTrailArn)) {
    const parts = props.existingTrailArn.split(':');
    if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'cloudtrail' || !parts[5].startsWith('trail/')) {
      problems.push(`existingTrailArn '${props.existingTrailArn}' is not a trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)`);
    }
  }
  return problems;
}

/** CloudTrail's naming rules for trails. */
function trailNameProblems(name: string): string[] {
  if (Token.isUnresolved(name)) return [];
  const valid = /^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-])){1,126}[A-Za-z0-9]$/.test(name) && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  return valid ? [] : [`trailName '${name}' is not a valid trail name: 3-128 letters, digits, periods, underscores and dashes, starting and ending with a letter or digit, no two of . _ - in a row, not an IP address`];
}

function namespaceProblems(namespace: string): string[] {
  return /^[A-Za-z0-9.\-_/#:]{1,255}$/.test(namespace) && !namespace.startsWith('AWS/')
    ? []
    : [`metricNamespace '${namespace}' is not a valid custom CloudWatch namespace (letters, digits, . - _ / # :, not starting with AWS/)`];
}

function sameRegionProblems(scope: IConstruct, resource: { readonly env: { readonly region: string } }, what: string): string[] {
  const mine = Stack.of(scope).region;
  const theirs = resource.env.region;
  if (Token.isUnresolved(mine) || Token.isUnresolved(theirs) || mine === theirs) return [];
  return [`the ${what} is in ${theirs} but this KeyAuditTrail is in ${mine}: EventBridge rules and alarms see only their own Region, so add a KeyAuditTrail to a stack in ${theirs} (the trail itself is multi-Region: pass existingTrail or existingTrailArn there)`];
}

function sameAccountProblems(scope: IConstruct, account: string, what: string): string[] {
  const mine = Stack.of(scope).account;
  if (Token.isUnresolved(mine) || Token.isUnresolved(account) || mine === account) return [];
  return [`${what} belongs to account ${account}, but this KeyAuditTrail is in ${mine}: KMS events reach only the key's own account, so watch the key from a KeyAuditTrail in ${account}`];
}

function keyArnProblems(scope: IConstruct, keyArn: string): string[] {
  if (Token.isUnresolved(keyArn)) return [];
  const parts = keyArn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'kms') {
    return [`'${keyArn}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`];
  }
  const arn = Arn.split(keyArn, ArnFormat.SLASH_RESOURCE_NAME);
  if (arn.resource !== 'key' || !arn.resourceName) {
    return [`'${keyArn}' names ${arn.resource === 'alias' ? 'an alias' : `a '${arn.resource}'`}, not a key: events name keys by key ARN, so pass arn:aws:kms:<region>:<account>:key/<id>`];
  }
  return [
    ...sameRegionProblems(scope, { env: { region: arn.region ?? '' } }, `key ${keyArn}`),
    ...sameAccountProblems(scope, arn.account ?? '', `key ${keyArn}`),
  ];
}
