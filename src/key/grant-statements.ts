/**
 * What becomes of a statement that reaches the key policy through `grant()` or
 * `addToResourcePolicy()` (aws-cdk-lib's L2s use both), rendered when the policy is built so that
 * statements aws-cdk-lib amends after the grant (`grant.principalStatement.addActions(...)`) are
 * covered too:
 * - actions are expanded through the action catalogue (never written as wildcards);
 * - a service principal without `aws:SourceAccount`/`aws:SourceArn` is pinned to the key's account
 *   (confused deputy);
 * - in STRICT: the account root with `kms:ViaService` (aws-cdk-lib's "whoever creates the resource
 *   through this service", e.g. secretsmanager.Secret, ec2.Volume) becomes the policy manager,
 *   the principal that creates the resources through CloudFormation; the account root without
 *   `kms:ViaService` is refused; administration and the policy are refused (only administrators
 *   and the policy manager hold them); CreateGrant/ListGrants/RevokeGrant are kept only for AWS
 *   resources (`kms:GrantIsForAWSResource`).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ActionKind, expandActions, KeyFacts, kindOf } from './action-catalogue';
import { isOwnAccountRoot, isServicePrincipal } from './principal-forms';

/** Everything rendering needs to know about the key. */
export interface RenderContext {
  readonly stack: Stack;
  readonly key: KeyFacts;
  readonly strict: boolean;
  /** STRICT only: the principal that deploys the key. */
  readonly policyManager?: iam.IPrincipal;
  /** Whether the policy manager may use the key through AWS services (separation of duties off). */
  readonly allowManagerUse: boolean;
}

/** Rendered statements and the problems found. */
export interface RenderedStatements {
  readonly statements: iam.PolicyStatement[];
  readonly problems: string[];
}

const GRANT_CONDITION = { Bool: { 'kms:GrantIsForAWSResource': 'true' } };

/** Renders one statement for the key policy (see the module comment). */
export function renderStatement(statement: iam.PolicyStatement, ctx: RenderContext, forPolicyManager = false): RenderedStatements {
  // NotAction, NotPrincipal and Deny statements are kept as written (and judged by our lint rules):
  // expanding or re-pinning them could widen what they exclude.
  if (statement.notActions.length > 0 || statement.notPrincipals.length > 0 || statement.effect === iam.Effect.DENY) {
    return { statements: [statement], problems: [] };
  }
  const what = describe(statement);
  const expanded = expandActions(statement.actions, ctx.key);
  const problems = expanded.problems.map((p) => `${what}: ${p}`);
  if (expanded.actions.length === 0) return { statements: [], problems };

  const conditions = statement.conditions ?? {};
  const roots = ctx.strict ? statement.principals.filter((p) => isOwnAccountRoot(p, ctx.stack)) : [];
  let principals = statement.principals.filter((p) => !roots.includes(p));
  let toManager = forPolicyManager;
  if (roots.length > 0) {
    if (!hasConditionKey(conditions, 'kms:ViaService') || !ctx.policyManager) {
      problems.push(`${what} gives the account root use of the key, which hands the key back to IAM policies; the STRICT posture cannot keep it: ` +
        'grant the principals that need the key by name (key.grant*(principal) or KeyUser), or use IAM_DELEGATED for this key');
    } else {
      // "Whoever creates the resource through this service": in STRICT, CloudFormation's deployer.
      principals = [...principals, ctx.policyManager];
      toManager = true;
    }
  }
  if (principals.length === 0) return { statements: [], problems };

  const byKind = (kinds: ActionKind[]) => expanded.actions.filter((action) => kinds.includes(kindOf(action)!));
  const forbidden = ctx.strict ? byKind([ActionKind.ADMINISTER, ActionKind.POLICY]) : [];
  if (forbidden.length > 0) {
    problems.push(`${what} asks for ${forbidden.join(', ')}, which in the STRICT posture only administrators (ManagedKeyProps.administrators) ` +
      'and the policy manager hold: pass the principal in administrators, or grant only use (grantDecrypt, grantEncrypt, ...)');
  }
  const use = byKind([ActionKind.USE]);
  if (toManager && use.length > 0 && !ctx.allowManagerUse) {
    problems.push(`${what} needs the principal that creates the resource through CloudFormation to use the key through the service ` +
      `(${use.join(', ')} with kms:ViaService); in the STRICT posture that is the policy manager, which would then hold power over the key and use of it: ` +
      'set allowAdministratorAsUser: true to accept this (use only through the service), or use IAM_DELEGATED for this key');
  }
  const grants = ctx.strict ? byKind([ActionKind.GRANTS]) : [];
  const others = expanded.actions.filter((action) => !grants.includes(action) && !forbidden.includes(action));
  const guardedConditions = ctx.stack.resolve(conditions);
  const pinned = (extra?: Record<string, Record<string, string>>) =>
    withConfusedDeputyGuard(principals, mergeBlocks(guardedConditions, extra), ctx.stack);
  const out: iam.PolicyStatement[] = [];
  if (others.length > 0) {
    out.push(statement.copy({ actions: others, principals, conditions: pinned() }));
  }
  if (grants.length > 0) {
    const grantSid = statement.sid ? `${statement.sid}ForAwsResources` : undefined;
    out.push(statement.copy({ sid: grantSid, actions: grants, principals, conditions: pinned(GRANT_CONDITION) }));
  }
  return { statements: out, problems };
}

/** Conditions plus `aws:SourceAccount` of the key's account when a service principal has no confused-deputy condition. */
function withConfusedDeputyGuard(principals: iam.IPrincipal[], conditions: Record<string, any>, stack: Stack): Record<string, any> | undefined {
  const guarded = hasConditionKey(conditions, 'aws:SourceAccount') || hasConditionKey(conditions, 'aws:SourceArn');
  if (guarded || !principals.some(isServicePrincipal)) return Object.keys(conditions).length > 0 ? conditions : undefined;
  return mergeBlocks(conditions, { StringEquals: { 'aws:SourceAccount': stack.account } });
}

function hasConditionKey(conditions: Record<string, any>, key: string): boolean {
  return Object.values(conditions ?? {}).some((block) => block && typeof block === 'object'
    && Object.keys(block).some((k) => k.toLowerCase() === key.toLowerCase()));
}

function mergeBlocks(a: Record<string, any>, b?: Record<string, any>): Record<string, any> {
  const merged: Record<string, any> = Object.create(null);
  for (const block of [a, b ?? {}]) {
    for (const [operator, keys] of Object.entries(block)) {
      merged[operator] = { ...(merged[operator] ?? {}), ...keys };
    }
  }
  return { ...merged };
}

function describe(statement: iam.PolicyStatement): string {
  return statement.sid ? `statement ${statement.sid}` : `the statement for ${statement.actions.join(', ')}`;
}
