/**
 * How a replica stack learns its primary's ARN, with no export between stacks: the primary's stack
 * writes the ARN into an SSM parameter of its own Region (a plain AWS::SSM::Parameter), and every
 * replica stack reads it with one SSM GetParameter call made from its Region (aws-cdk-lib's
 * AwsCustomResource). The parameter belongs to the primary's stack and nothing imports it, so
 * adding, removing or redeploying a Region never touches another stack, and no export can lock.
 */
import { Names, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ManagedKey } from '../key/managed-key';
import { acceptCustomResourceProviderFindings } from '../nag-suppressions';

const PUBLISHER_ID = 'PrimaryKeyArnParameter';
const PARAMETER_PREFIX = '/cdk-kms-patterns/multi-region-keys';

/**
 * Makes (once per primary) the SSM parameter of the primary's Region that holds its ARN, and
 * returns its name as a literal: replica stacks must not reference the parameter resource itself.
 */
export function publishPrimaryKeyArn(primary: ManagedKey): string {
  // Stable across deployments: stack name and construct path, never a generated name.
  const parameterName = `${PARAMETER_PREFIX}/${Stack.of(primary).stackName}/${Names.nodeUniqueId(primary.node)}`;
  if (!primary.node.tryFindChild(PUBLISHER_ID)) {
    new ssm.StringParameter(primary, PUBLISHER_ID, {
      parameterName,
      stringValue: primary.keyArn,
      description: `The ARN of the multi-Region primary key ${primary.node.path}, read by its replica stacks`,
    });
  }
  return parameterName;
}

/** Where a replica reads its primary's ARN: the parameter's name, Region and account. */
export interface PrimaryKeyArnSource {
  readonly parameterName: string;
  readonly region: string;
  readonly account: string;
}

/** The primary's ARN in the replica's stack, read from the primary's Region at deploy time. */
export function readPrimaryKeyArn(scope: Construct, source: PrimaryKeyArnSource): string {
  const stack = Stack.of(scope);
  const parameterArn = `arn:${stack.partition}:ssm:${source.region}:${source.account}:parameter${source.parameterName}`;
  const call = {
    service: 'SSM',
    action: 'getParameter',
    parameters: { Name: source.parameterName },
    region: source.region,
    // The same id on every call: a redeploy is an update of the same resource, never a replacement.
    physicalResourceId: PhysicalResourceId.of(source.parameterName),
  };
  const reader = new AwsCustomResource(scope, 'PrimaryKeyArn', {
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [parameterArn] }),
    installLatestAwsSdk: false,
  });
  acceptCustomResourceProviderFindings(scope);
  return reader.getResponseField('Parameter.Value');
}
