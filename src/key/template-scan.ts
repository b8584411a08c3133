/**
 * Reads the resources of an app as CloudFormation will see them, to find what refers to one key:
 * the STRICT posture needs this for grants that never call the key (identity policies naming the
 * key's ARN) and for resources whose creation needs the deployer to reach the key.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One CloudFormation resource with its properties resolved in its own stack. */
export interface ScannedResource {
  readonly construct: CfnResource;
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
}

/** Every CfnResource of the app `scope` belongs to, resolved (skipping the ones `skip` names). */
export function scanResources(scope: IConstruct, skip: (resource: CfnResource) => boolean): ScannedResource[] {
  const scanned: ScannedResource[] = [];
  for (const construct of scope.node.root.node.findAll()) {
    if (!CfnResource.isCfnResource(construct) || skip(construct)) continue;
    const stack = Stack.of(construct);
    let logicalId: string;
    let body: any;
    try {
      logicalId = stack.resolve(construct.logicalId);
      // _toCloudFormation renders the properties exactly as the template will hold them.
      body = stack.resolve((construct as any)._toCloudFormation())?.Resources?.[logicalId] ?? {};
    } catch {
      // Before the app is prepared, references across stacks cannot be resolved yet: such a
      // resource is seen when the app synthesizes (the key policy is built then).
      continue;
    }
    scanned.push({ construct, stack, logicalId, type: construct.cfnResourceType, properties: body.Properties ?? {} });
  }
  return scanned;
}

/** How a key is referred to, from its own stack (Ref/GetAtt) and from others (an import naming it). */
export class KeyReference {
  constructor(private readonly keyStack: Stack, private readonly keyLogicalId: string) {}

  /** Whether a resolved value refers to the key (its ARN or id). */
  isReferredToBy(value: unknown, fromStack: Stack): boolean {
    const text = JSON.stringify(value ?? null);
    if (fromStack === this.keyStack) {
      return text.includes(`{"Ref":"${this.keyLogicalId}"}`) || text.includes(`{"Fn::GetAtt":["${this.keyLogicalId}",`);
    }
    // Cross-stack references become imports of an export whose name carries the logical id.
    return text.includes('Fn::ImportValue') && text.includes(this.keyLogicalId) && text.includes(this.keyStack.stackName);
  }
}
