/**
 * Reads the resources of an app as CloudFormation will see them, to find what refers to one key:
 * the STRICT posture needs this for grants that never call the key (identity policies naming the
 * key's ARN) and for resources whose creation needs the deployer to reach the key.
 */
import { Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One CloudFormation resource with its properties resolved in its own stack. */
export interface ScannedResource {
  readonly construct: CfnResource;
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
}

/**
 * Scans are shared by every key of an app once synthesis has started (the app no longer changes
 * then, and every STRICT key reads the same resources); before that each call scans afresh.
 * Without sharing, an app with n STRICT keys would resolve its IAM resources n times.
 */
const synthesizing = new WeakSet<IConstruct>();
const watched = new WeakSet<IConstruct>();
const shared = new WeakMap<IConstruct, Map<(type: string) => boolean, ScannedResource[]>>();

/** Marks the app of `scope` as synthesizing when CDK invokes aspects, its first synthesis step. */
export function shareScansDuringSynthesis(scope: IConstruct): void {
  const root = scope.node.root;
  if (watched.has(root)) return;
  watched.add(root);
  const marker: IAspect = {
    visit: (node) => {
      if (node === root) {
        synthesizing.add(root);
        shared.delete(root);
      }
    },
  };
  Aspects.of(root).add(marker);
  // Validation runs after CDK prepared the app (references across stacks resolve only from then
  // on), starting at the root: scans made while preparing are dropped there.
  root.node.addValidation({ validate: () => { shared.delete(root); return []; } });
}

/** The CfnResources of the app `scope` belongs to whose type `include` accepts, resolved. */
export function scanResources(scope: IConstruct, include: (type: string) => boolean): ScannedResource[] {
  const root = scope.node.root;
  if (!synthesizing.has(root)) return scan(root, include);
  const byFilter = shared.get(root) ?? new Map();
  shared.set(root, byFilter);
  const cached = byFilter.get(include) ?? scan(root, include);
  byFilter.set(include, cached);
  return cached;
}

function scan(root: IConstruct, include: (type: string) => boolean): ScannedResource[] {
  const scanned: ScannedResource[] = [];
  for (const construct of root.node.findAll()) {
    if (!CfnResource.isCfnResource(construct) || !include(construct.cfnResourceType)) continue;
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
