import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import { IConstruct } from 'constructs';

/**
 * Accepted cdk-nag findings, recorded without loading cdk-nag (an optional peer), in the two forms
 * its majors read:
 * - cdk-nag 2 reads `Metadata.cdk_nag.rules_to_suppress` of each CloudFormation resource (what its
 *   `NagSuppressions.addResourceSuppressions(construct, rules, true)` writes);
 * - cdk-nag 3 reads the `Validations` acknowledged-rules metadata of the resource or an ancestor,
 *   one id per finding (`AwsSolutions-IAM5[Resource::*]`); it has no regular-expression form.
 */

/**
 * One finding id a suppression covers, or the finding ids a regular expression (`/.../`) matches:
 * cdk-nag 2 applies the expression; cdk-nag 3 has none, so it gets the `matches` listed.
 */
export type FindingPattern = string | { readonly regex: string; readonly matches: string[] };

/**
 * Records that a cdk-nag AwsSolutions finding on `construct` (and its children) is accepted, with
 * the specific reason. `appliesTo` narrows it to findings such as `Resource::*`.
 */
export function acceptFinding(construct: IConstruct, rule: string, reason: string, appliesTo?: FindingPattern[]): void {
  const id = `AwsSolutions-${rule}`;
  for (const child of construct.node.findAll()) {
    const resource = child.node.defaultChild ?? child;
    if (CfnResource.isCfnResource(resource)) addNag2Suppression(resource, id, reason, appliesTo);
  }
  const findings = appliesTo?.flatMap((pattern) => typeof pattern === 'string' ? [pattern] : pattern.matches);
  const acknowledged = findings === undefined ? [id] : findings.map((finding) => `${id}[${finding}]`);
  acknowledgeForNag3(construct, acknowledged, reason);
}

/** cdk-nag 2's stored form: `applies_to`, and a base64 reason (flagged) when it has characters beyond Latin-1. */
function addNag2Suppression(resource: CfnResource, id: string, reason: string, appliesTo?: FindingPattern[]): void {
  const encoded = [...reason].some((c) => c.codePointAt(0)! > 255);
  const rule = {
    reason: encoded ? Buffer.from(reason).toString('base64') : reason,
    id,
    ...(appliesTo ? { applies_to: appliesTo.map((p) => typeof p === 'string' ? p : { regex: p.regex }) } : {}),
    ...(encoded ? { is_reason_encoded: true } : {}),
  };
  const existing: unknown[] = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  const serialized = new Set([...existing, rule].map((r) => JSON.stringify(r)));
  resource.addMetadata('cdk_nag', { rules_to_suppress: [...serialized].map((r) => JSON.parse(r)) });
}

/** Merges the ids into the construct's acknowledged-rules metadata, as `Validations.acknowledge` does. */
function acknowledgeForNag3(construct: IConstruct, ids: string[], reason: string): void {
  if (ids.length === 0) return;
  const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const previous = construct.node.metadata.filter((entry) => entry.type === key).pop()?.data;
  const acknowledged: Record<string, string> = Object.assign(Object.create(null), previous);
  for (const id of ids) acknowledged[id] = reason;
  // Written directly: Validations.acknowledge() rejects ids whose finding holds '::' (`Policy::arn:<AWS::Partition>...`).
  construct.node.addMetadata(key, acknowledged);
}

/**
 * A value (an ARN token, say) as cdk-nag names it in finding ids: intrinsics flattened, as in
 * `Resource::<Bucket83908E77.Arn>/intake/*`. Resolved now: a logical id overridden later shows
 * the finding again rather than hiding another.
 */
export function findingName(scope: IConstruct, value: unknown): string {
  const flatten = (node: any): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(flatten).join(node['Fn::Join'][0]);
    if (node['Fn::Sub']) return flatten(node['Fn::Sub']);
    if (node['Fn::GetAtt']) return `<${flatten(node['Fn::GetAtt'][0])}.${flatten(node['Fn::GetAtt'][1])}>`;
    if (node['Fn::ImportValue']) return flatten(node['Fn::ImportValue']);
    if (node.Ref) return `<${flatten(node.Ref)}>`;
    return JSON.stringify(node);
  };
  return flatten(Stack.of(scope).resolve(value));
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
