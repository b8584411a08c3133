/**
 * The IAM identity policies of the roles and users in a template: inline `Policies` of
 * AWS::IAM::Role / User, and AWS::IAM::Policy / ManagedPolicy attached through `Roles` / `Users`
 * (or a role's `ManagedPolicyArns` that Ref a managed policy of the same template).
 * AWS managed policies (`arn:aws:iam::aws:policy/...`) are not known here and are not counted.
 */
import { CfnTemplate, isOpaque, ownValue, resolveIntrinsics, Resolved, toArray } from '../../lint/template';
import { PolicyDocument, statementsOf } from '../evaluator';
import { ResourceNames } from './principals';

/** An IAM role or user of the templates and the policies attached to it. */
export interface IdentityPrincipal {
  readonly arn: string;
  /** Construct path or `<stack>/<logical id>`. */
  readonly label: string;
  readonly policies: PolicyDocument[];
}

const IDENTITY_TYPES = ['AWS::IAM::Role', 'AWS::IAM::User'];
const POLICY_TYPES = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'];

/** Logical id a `Ref` (or a literal role/user name) points to, among `byName`. */
function referencedIds(value: Resolved, byName: Map<string, string>): string[] {
  return toArray(value).flatMap((item) => {
    if (isOpaque(item) && item.ref && item.ref.attribute === undefined) return [item.ref.logicalId];
    const id = typeof item === 'string' ? byName.get(item) : undefined;
    return id ? [id] : [];
  });
}

export function identityPrincipals(stackName: string, template: CfnTemplate, names: ResourceNames): IdentityPrincipal[] {
  const resources = Object.entries(template.Resources ?? {});
  const resolve = (value: unknown) => names.concretize(resolveIntrinsics(value, template));
  const policies = new Map<string, PolicyDocument[]>();
  const byName = new Map<string, string>();
  for (const [logicalId, resource] of resources) {
    if (!IDENTITY_TYPES.includes(resource.Type)) continue;
    const inline = toArray(resource.Properties?.Policies as Resolved)
      .map((p) => resolve((p as { PolicyDocument?: unknown })?.PolicyDocument) as PolicyDocument);
    policies.set(logicalId, inline);
    const name = resource.Properties?.RoleName ?? resource.Properties?.UserName;
    if (typeof name === 'string') byName.set(name, logicalId);
  }
  const attach = (targets: string[], document: PolicyDocument) => targets.forEach((id) => policies.get(id)?.push(document));
  // Which identities name each managed policy of the template in ManagedPolicyArns, found in one
  // pass (not once per policy, which made explain quadratic in the resource count).
  const managedBy = new Map<string, string[]>();
  for (const [identityId, identity] of resources) {
    if (!IDENTITY_TYPES.includes(identity.Type)) continue;
    for (const policyId of new Set(referencedIds(resolveIntrinsics(identity.Properties?.ManagedPolicyArns, template), new Map()))) {
      const list = managedBy.get(policyId);
      if (list) list.push(identityId);
      else managedBy.set(policyId, [identityId]);
    }
  }
  for (const [logicalId, resource] of resources) {
    if (!POLICY_TYPES.includes(resource.Type)) continue;
    const document = resolve(resource.Properties?.PolicyDocument) as PolicyDocument;
    const props = resource.Properties ?? {};
    attach(referencedIds(resolveIntrinsics(props.Roles, template), byName), document);
    attach(referencedIds(resolveIntrinsics(props.Users, template), byName), document);
    attach(managedBy.get(logicalId) ?? [], document);
  }
  return [...policies.entries()].map(([logicalId, docs]) => {
    const path = ownValue(ownValue(ownValue(template.Resources, logicalId), 'Metadata'), 'aws:cdk:path');
    return { arn: names.arnOf(logicalId)!, label: typeof path === 'string' ? constructName(path) : `${stackName}/${logicalId}`, policies: docs };
  });
}

/** Identities looked up by ARN, and by the keys their Allow statements may name (exact ARNs, or any key for wildcards). */
export class IdentityIndex {
  private readonly byArn = new Map<string, IdentityPrincipal>();
  private readonly byResource = new Map<string, IdentityPrincipal[]>();
  private readonly anyResource: IdentityPrincipal[] = [];

  constructor(identities: readonly IdentityPrincipal[]) {
    for (const identity of identities) {
      this.byArn.set(identity.arn, identity);
      const allows = identity.policies.flatMap(statementsOf).filter((s) => s.Effect === 'Allow');
      const resources = allows.flatMap((s) => (s.NotResource !== undefined ? ['*'] : toArray(s.Resource as Resolved)));
      if (resources.some((r) => typeof r === 'string' && /[*?]/.test(r))) {
        this.anyResource.push(identity);
        continue;
      }
      for (const resource of new Set(resources.filter((r): r is string => typeof r === 'string'))) {
        const list = this.byResource.get(resource);
        if (list) list.push(identity);
        else this.byResource.set(resource, [identity]);
      }
    }
  }

  public withArn(arn: string): IdentityPrincipal | undefined {
    return this.byArn.get(arn);
  }

  /** Identities with an Allow statement whose Resource may name this key. */
  public mayAllowOn(keyArn: string): IdentityPrincipal[] {
    return [...this.anyResource, ...(this.byResource.get(keyArn) ?? [])];
  }
}

/**
 * A resource's name for people: its construct path without the `/Resource` of an L2's
 * CloudFormation resource (`Stack/AppRole/Resource` is the role `Stack/AppRole`).
 */
export function constructName(path: string): string {
  return path.endsWith('/Resource') ? path.slice(0, -'/Resource'.length) : path;
}
