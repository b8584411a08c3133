import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { KeyActions } from './actions';
import { actionsOfCapability, KeyCapability } from './capability';
import { mergeConditions, sourceAccount, sourceArn } from './conditions';
import { ServiceAccess } from './service-access';

/** Options of an AWS service principal's access to a key. */
export interface KeyServiceOptions {
  /**
   * Only requests on behalf of this resource (`aws:SourceArn`, wildcards allowed).
   * @default - any resource of the key's account
   */
  readonly sourceArn?: string;

  /**
   * Only requests on behalf of resources of this account (`aws:SourceAccount`).
   * @default - the key's account
   */
  readonly sourceAccount?: string;
}

/** Options of CloudWatch Logs' access to a key. */
export interface CloudWatchLogsServiceOptions {
  /**
   * The log group that may use the key (`kms:EncryptionContext:aws:logs:arn`).
   * @default - every log group of the key's account and Region
   */
  readonly logGroupArn?: string;
}

/** Options of CloudTrail's access to a key. */
export interface CloudTrailServiceOptions {
  /**
   * The trail that may use the key (`aws:SourceArn` and `kms:EncryptionContext:aws:cloudtrail:arn`).
   * @default - every trail of the key's account
   */
  readonly trailArn?: string;
}

/** Options of CloudWatch alarms' access to the key of an encrypted SNS topic. */
export interface CloudWatchAlarmsServiceOptions {
  /**
   * The alarms that may publish (`aws:SourceArn`, wildcards allowed).
   * @default - every alarm of the key's account and Region
   */
  readonly alarmArn?: string;
}

/** What a service needs to publish to an SNS topic encrypted with the key (SNS makes the calls). */
const PUBLISH_TO_ENCRYPTED_TOPIC: string[] = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * An AWS service principal that may use a key. Every service statement carries
 * `aws:SourceAccount` or `aws:SourceArn`, so no other account can make the service use the key
 * on its behalf (the confused-deputy problem).
 */
export class KeyService {
  /** CloudWatch Logs, encrypting log groups. */
  public static cloudWatchLogs(options: CloudWatchLogsServiceOptions = {}): KeyService {
    return new KeyService('CloudWatchLogs', (scope) => {
      const stack = Stack.of(scope);
      const logGroups = options.logGroupArn ?? `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`;
      return {
        principal: new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`),
        actions: actionsOfCapability(KeyCapability.ENCRYPT_DECRYPT, kms.KeySpec.SYMMETRIC_DEFAULT),
        conditions: mergeConditions(
          sourceAccount(stack.account),
          { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups } },
        ),
      };
    });
  }

  /** CloudTrail, encrypting log files it delivers to S3. */
  public static cloudTrail(options: CloudTrailServiceOptions = {}): KeyService {
    return new KeyService('CloudTrail', (scope) => {
      const stack = Stack.of(scope);
      const trails = options.trailArn ?? `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`;
      return {
        principal: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
        actions: [...KeyActions.GENERATE_DATA_KEY],
        conditions: mergeConditions(
          options.trailArn ? sourceArn(options.trailArn) : sourceAccount(stack.account),
          { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trails } },
        ),
      };
    });
  }

  /**
   * CloudTrail reading the key's metadata (`kms:DescribeKey`) when a trail is created or updated.
   * DescribeKey requests carry no encryption context, so this is a statement of its own beside
   * {@link KeyService.cloudTrail}.
   */
  public static cloudTrailDescribeKey(options: CloudTrailServiceOptions = {}): KeyService {
    return new KeyService('CloudTrailDescribeKey', (scope) => {
      const stack = Stack.of(scope);
      return {
        principal: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
        actions: [...KeyActions.DESCRIBE],
        conditions: options.trailArn ? sourceArn(options.trailArn) : sourceAccount(stack.account),
      };
    });
  }

  /**
   * CloudWatch alarms publishing to an SNS topic encrypted with the key, pinned to the key's
   * account and to its alarms.
   */
  public static cloudWatchAlarms(options: CloudWatchAlarmsServiceOptions = {}): KeyService {
    return new KeyService('CloudWatchAlarms', (scope) => {
      const stack = Stack.of(scope);
      const alarms = options.alarmArn ?? `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`;
      return {
        principal: new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        actions: [...PUBLISH_TO_ENCRYPTED_TOPIC],
        conditions: mergeConditions(sourceAccount(stack.account), sourceArn(alarms)),
      };
    });
  }

  /**
   * Any service principal (e.g. `sns.amazonaws.com`) with a capability, pinned to the key's account
   * or to a source ARN.
   */
  public static custom(servicePrincipal: string, capability: KeyCapability, options: KeyServiceOptions = {}): KeyService {
    return new KeyService(servicePrincipal.split('.')[0].replace(/[^a-zA-Z0-9]/g, ''), (scope, keySpec) => {
      const stack = Stack.of(scope);
      return {
        principal: new iam.ServicePrincipal(servicePrincipal),
        actions: actionsOfCapability(capability, keySpec),
        conditions: mergeConditions(
          sourceAccount(options.sourceAccount ?? stack.account),
          options.sourceArn ? sourceArn(options.sourceArn) : {},
        ),
      };
    });
  }

  private constructor(
    /** A short name of the service, used in statement ids (`Service<name>`). */
    public readonly name: string,
    private readonly render: (scope: IConstruct, keySpec: kms.KeySpec) => ServiceAccess,
  ) {}

  /**
   * The principal, actions and conditions of this service's statement.
   * @internal
   */
  public _access(scope: IConstruct, keySpec: kms.KeySpec): ServiceAccess {
    return this.render(scope, keySpec);
  }
}
