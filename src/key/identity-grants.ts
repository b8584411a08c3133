/**
 * Grants that never call the key: identity policies (iam.Policy, iam.ManagedPolicy, inline role
 * and user policies) that allow KMS actions on the key's ARN, as `kms.KeyGrants.fromKey(key)` and
 * several aws-cdk-lib L2s write them. In the STRICT posture IAM policies alone give nothing, so
 * the key turns each into a key-policy statement for the same principal with the same conditions,
 * or names why it cannot (and the fix).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyReference, ScannedResource } from './template-scan';

const POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
const IDENTITY_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

/** Whether identityGrants reads resources of this type. */
export function holdsIdentityPolicies(type: string): boolean {
  return POLICY_TYPES.has(type) || IDENTITY_TYPES.has(type);
}

/** Key-policy statements mirroring identity grants, and the grants that cannot be mirrored. */
export interface IdentityGrants {
  readonly statements: iam.PolicyStatement[];
  readonly problems: string[];
}

/** Finds every identity-policy statement allowing KMS actions on the key (see the module comment). */
export function identityGrants(resources: ScannedResource[], key: KeyReference, keyStack: ScannedResource['stack']): IdentityGrants {
  const byId = new Map<string, ScannedResource>(resources.map((r) => [idOf(r.stack, r.logicalId), r]));
  const statements: iam.PolicyStatement[] = [];
  const problems: string[] = [];
  const referencesKey = (r: ScannedResource) => key.isReferredToBy(r.properties, r.stack);

  for (const source of resources) {
    const documents = policyDocuments(source);
    if (documents.length === 0) continue;
    const grants = documents.flatMap((doc) => keyStatements(doc, source, key));
    if (grants.length === 0) continue;
    const where = source.construct.node.path;
    for (const holder of holdersOf(source, resources)) {
      const target = typeof holder === 'string' ? undefined : byId.get(idOf(source.stack, holder.Ref));
      if (!target) {
        problems.push(`${where} allows ${summarize(grants)} on the key to ${JSON.stringify(holder)}, a principal the key cannot name: ` +
          'grant through the key instead (key.grantDecrypt(role), key.grant(role, ...) or KeyUser) so the key policy holds it');
        continue;
      }
      if (target.type === 'AWS::IAM::Group') {
        problems.push(`${where} allows ${summarize(grants)} on the key to the group ${target.construct.node.path}; a key policy cannot name a group: ` +
          'grant the roles or users instead (key.grantDecrypt(role) or KeyUser)');
        continue;
      }
      if (source.stack !== keyStack) {
        problems.push(`${where} allows ${summarize(grants)} on the key from another stack; the key policy cannot name its principal without a dependency cycle: ` +
          'grant through the key instead (key.grantDecrypt(role), key.grant(role, ...) or KeyUser), which writes only the key policy');
        continue;
      }
      if (referencesKey(target) || managedPoliciesOf(target, byId).some(referencesKey)) {
        problems.push(`${where} allows ${summarize(grants)} on the key in a policy that ${target.construct.node.path} itself holds (inline or through ManagedPolicyArns), ` +
          'so naming it in the key policy would make a dependency cycle: use a separate iam.Policy (role.addToPrincipalPolicy) or grant through the key (key.grantDecrypt(role))');
        continue;
      }
      const principal = new iam.ArnPrincipal(target.construct.getAtt('Arn').toString());
      for (const grant of grants) {
        statements.push(new iam.PolicyStatement({ actions: grant.actions, principals: [principal], resources: ['*'], conditions: grant.conditions }));
      }
    }
  }
  return { statements, problems };
}

interface KeyGrant {
  readonly actions: string[];
  readonly conditions?: Record<string, any>;
}

/** Allow statements of a policy document whose resources name the key, with their KMS actions. */
function keyStatements(document: any, source: ScannedResource, key: KeyReference): KeyGrant[] {
  const list = Array.isArray(document?.Statement) ? document.Statement : document?.Statement ? [document.Statement] : [];
  return list.flatMap((statement: any) => {
    if (statement?.Effect !== 'Allow' || statement.NotAction !== undefined || statement.NotResource !== undefined) return [];
    if (!key.isReferredToBy(statement.Resource, source.stack)) return [];
    const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action])
      .filter((action: unknown) => typeof action === 'string' && /^kms:/i.test(action));
    return actions.length === 0 ? [] : [{ actions, conditions: statement.Condition }];
  });
}

function policyDocuments(resource: ScannedResource): any[] {
  if (POLICY_TYPES.has(resource.type)) return [resource.properties.PolicyDocument];
  if (IDENTITY_TYPES.has(resource.type)) return (resource.properties.Policies ?? []).map((p: any) => p?.PolicyDocument);
  return [];
}

/** The roles, users and groups a policy applies to: `{ Ref }` of a resource, or a literal name. */
function holdersOf(source: ScannedResource, resources: ScannedResource[]): Array<{ Ref: string } | string> {
  if (IDENTITY_TYPES.has(source.type)) return [{ Ref: source.logicalId }];
  const named = [...(source.properties.Roles ?? []), ...(source.properties.Users ?? []), ...(source.properties.Groups ?? [])];
  const viaArns = source.type === 'AWS::IAM::ManagedPolicy'
    ? resources.filter((r) => r.stack === source.stack && IDENTITY_TYPES.has(r.type)
      && (r.properties.ManagedPolicyArns ?? []).some((arn: any) => arn?.Ref === source.logicalId)).map((r) => ({ Ref: r.logicalId }))
    : [];
  return [...named, ...viaArns].map((holder) => (holder && typeof holder.Ref === 'string' ? { Ref: holder.Ref } : JSON.stringify(holder)));
}

function managedPoliciesOf(identity: ScannedResource, byId: Map<string, ScannedResource>): ScannedResource[] {
  return (identity.properties.ManagedPolicyArns ?? [])
    .map((arn: any) => (typeof arn?.Ref === 'string' ? byId.get(idOf(identity.stack, arn.Ref)) : undefined))
    .filter((r: ScannedResource | undefined): r is ScannedResource => r !== undefined);
}

function idOf(stack: ScannedResource['stack'], logicalId: string): string {
  return `${stack.node.path}\u0000${logicalId}`;
}

function summarize(grants: KeyGrant[]): string {
  return [...new Set(grants.flatMap((g) => g.actions))].join(', ');
}
