/**
 * The function that manages one custom key store and the keys inside it, behind the custom-resource
 * Provider framework (onEvent + isComplete). Internal: not exported from the package.
 */
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { bundledAssetDir } from '../assets';
import { acceptFinding } from '../nag-suppressions';

/** The KMS calls on custom key stores; IAM supports no resource for them, only "*". */
export const STORE_ACTIONS = [
  'kms:ConnectCustomKeyStore',
  'kms:CreateCustomKeyStore',
  'kms:DeleteCustomKeyStore',
  'kms:DescribeCustomKeyStores',
  'kms:DisconnectCustomKeyStore',
  'kms:UpdateCustomKeyStore',
];

/** What the handler does to keys of its store (scoped to keys of the store's origin). */
export const KEY_MANAGEMENT_ACTIONS = [
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:EnableKey',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
];

/** @internal */
export interface KeyStoreHandlerProps {
  /** `EXTERNAL_KEY_STORE` or `AWS_CLOUDHSM`: the origin of the keys the handler may manage. */
  readonly origin: string;
  readonly secrets: secretsmanager.ISecret[];
  readonly totalTimeout: Duration;
}

/** @internal */
export class KeyStoreHandler extends Construct {
  public readonly role: iam.Role;
  public readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: KeyStoreHandlerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Manages one KMS custom key store and the keys inside it (cdk-kms-patterns)',
    });
    logGroup.grantWrite(this.role);
    const inRegion = { StringEquals: { 'aws:RequestedRegion': stack.region } };
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'CustomKeyStores', actions: STORE_ACTIONS, resources: ['*'], conditions: inRegion }));
    // CreateKey acts on no existing key; kms:KeyOrigin keeps it to keys in custom key stores of this kind.
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'CreateKeysInTheStore',
      actions: ['kms:CreateKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:KeyOrigin': props.origin, 'aws:RequestedRegion': stack.region } },
    }));
    // ListKeys finds a key left by a timed-out create and the keys that block a store's deletion.
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'FindKeys', actions: ['kms:ListKeys'], resources: ['*'], conditions: inRegion }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'ManageKeysOfTheStore',
      actions: KEY_MANAGEMENT_ACTIONS,
      resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      conditions: { StringEquals: { 'kms:KeyOrigin': props.origin } },
    }));
    for (const secret of props.secrets) secret.grantRead(this.role);

    const code = lambda.Code.fromAsset(bundledAssetDir('keystore', 'handler'));
    const common: Omit<lambda.FunctionProps, 'handler' | 'description'> = {
      code,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      role: this.role,
      logGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      loggingFormat: lambda.LoggingFormat.JSON,
    };
    const onEvent = new lambda.Function(this, 'OnEvent', { ...common, handler: 'index.onEvent', description: 'KMS custom key store: start a change' });
    const isComplete = new lambda.Function(this, 'IsComplete', { ...common, handler: 'index.isComplete', description: 'KMS custom key store: wait for its connection' });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(20),
      totalTimeout: props.totalTimeout,
    });
    this.acceptFindings(props.origin);
  }

  private acceptFindings(origin: string): void {
    // cdk-nag names the key ARN as synthesized: literal account and Region when the stack has them.
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    acceptFinding(this.role, 'IAM5',
      'The KMS custom-key-store calls, CreateKey and ListKeys support no resource in IAM ("*" is the only choice; they are limited to the Region), ' +
      `and the keys this role manages are created at deploy time, so it holds key/* limited to kms:KeyOrigin ${origin}.`,
      ['Resource::*', `Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*`]);
    acceptFinding(this.provider, 'IAM4',
      "The Provider framework's own functions use AWSLambdaBasicExecutionRole only to write their CloudWatch Logs.",
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    acceptFinding(this.provider, 'IAM5',
      "The Provider framework's functions invoke our handler's versions (function ARN:*) and its state machine is named at deploy time.");
    acceptFinding(this.provider, 'L1',
      "The runtime of the Provider framework's functions is chosen by aws-cdk-lib and moves with its upgrades.");
    acceptFinding(this.provider, 'SF1',
      "The Provider framework's waiter state machine logs are off by aws-cdk-lib's default; our handler logs every step to its own log group.");
    acceptFinding(this.provider, 'SF2',
      "The Provider framework's waiter state machine has no X-Ray tracing option; our handler logs every step.");
  }
}
