import { Stack } from 'aws-cdk-lib';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * Records that a cdk-nag AwsSolutions finding on `construct` (and its children) is accepted, with
 * the specific reason. `appliesTo` narrows it to findings such as `Resource::*`.
 */
export function acceptFinding(construct: IConstruct, rule: string, reason: string, appliesTo?: string[]): void {
  NagSuppressions.addResourceSuppressions(construct, [{ id: `AwsSolutions-${rule}`, reason, appliesTo }], true);
}

/** The findings on the provider function that aws-cdk-lib's AwsCustomResource shares per stack. */
export function acceptCustomResourceProviderFindings(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider) return;
  acceptFinding(provider, 'IAM4',
    "aws-cdk-lib's AwsCustomResource provider uses AWSLambdaBasicExecutionRole only to write its own CloudWatch Logs.",
    ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  acceptFinding(provider, 'L1',
    "The runtime of aws-cdk-lib's AwsCustomResource provider is chosen by aws-cdk-lib and moves with its upgrades.");
}
