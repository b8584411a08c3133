/**
 * The key-policy model: one pure module that turns role assignments into key-policy statements.
 * Everything else in the library (ManagedKey, replicas, envelope patterns, audit, key stores) asks
 * it for statements instead of writing its own.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConditionBlock } from './conditions';

/** How the key policy relates to IAM policies. */
export enum KeyPolicyPosture {
  /**
   * The key policy trusts the account (the account-root `kms:*` statement), so IAM policies in the
   * account can also grant use of the key. Explicit statements name administrators and users.
   */
  IAM_DELEGATED = 'IAM_DELEGATED',
  /**
   * The key policy is the only source of access: no account-root statement, administrators cannot
   * change the policy or create grants, and a policy manager (by default the CloudFormation
   * execution role) holds exactly what CloudFormation needs to create, update and delete the key.
   */
  STRICT = 'STRICT',
}

/** One access in the policy: who, what, under which conditions. */
export interface PolicyAccess {
  /** Statement id stem; merged statements share the stem of the first access. */
  readonly sid: string;
  readonly principals: iam.IPrincipal[];
  readonly actions: string[];
  readonly conditions?: ConditionBlock;
}

/** Everything the key policy is built from. */
export interface KeyPolicyInput {
  readonly posture: KeyPolicyPosture;
  /** The account-root principal of the key's account (IAM_DELEGATED). */
  readonly accountRoot: iam.IPrincipal;
  readonly administration?: PolicyAccess;
  readonly policyManagement?: PolicyAccess;
  readonly uses: PolicyAccess[];
  readonly createGrantGuard: boolean;
}

/** Statement id of the CreateGrant guard (CT.KMS.PR.3). */
export const CREATE_GRANT_GUARD_SID = 'DenyCreateGrantExceptForAwsResources';

/** Builds the key-policy statements: root (IAM_DELEGATED), administration, use, guard. */
export function buildKeyPolicyStatements(input: KeyPolicyInput): iam.PolicyStatement[] {
  const accesses: PolicyAccess[] = [];
  if (input.posture === KeyPolicyPosture.IAM_DELEGATED) {
    accesses.push({ sid: 'AccountRootDelegatesToIam', principals: [input.accountRoot], actions: ['kms:*'] });
  }
  if (input.policyManagement) accesses.push(input.policyManagement);
  if (input.administration) accesses.push(input.administration);
  accesses.push(...input.uses);

  const statements = mergeAccesses(accesses).map(toStatement);
  if (input.createGrantGuard) statements.push(createGrantGuard());
  return statements;
}

/**
 * Merges accesses with the same actions and conditions into one statement with several
 * principals, and gives every statement a unique id. Principals that bring their own conditions
 * (PrincipalWithConditions, OrganizationPrincipal) share a statement only with principals that
 * bring the same ones, as IAM requires of one statement; this covers every mix of plain and
 * conditioned principals in a role (administrators, users of one capability, grants).
 */
export function mergeAccesses(accesses: PolicyAccess[]): PolicyAccess[] {
  const byShape = new Map<string, { sid: string; principals: iam.IPrincipal[]; actions: string[]; conditions?: ConditionBlock }>();
  for (const access of accesses) {
    if (access.principals.length === 0 || access.actions.length === 0) continue;
    const actions = [...new Set(access.actions)].sort();
    for (const [principalConditions, principals] of groupByOwnConditions(access.principals)) {
      const shape = JSON.stringify([actions, access.conditions ?? {}, principalConditions]);
      const existing = byShape.get(shape);
      if (existing) {
        existing.principals.push(...principals);
      } else {
        byShape.set(shape, { sid: access.sid, principals: [...principals], actions, conditions: access.conditions });
      }
    }
  }
  const seen = new Map<string, number>();
  return [...byShape.values()].map((access) => {
    const count = (seen.get(access.sid) ?? 0) + 1;
    seen.set(access.sid, count);
    return { ...access, sid: count === 1 ? access.sid : `${access.sid}${count}` };
  });
}

/** Principals grouped by the conditions they bring, compared as aws-cdk-lib compares them (JSON). */
function groupByOwnConditions(principals: iam.IPrincipal[]): Map<string, iam.IPrincipal[]> {
  const groups = new Map<string, iam.IPrincipal[]>();
  for (const principal of principals) {
    const key = JSON.stringify(principal.policyFragment.conditions ?? {});
    groups.set(key, [...(groups.get(key) ?? []), principal]);
  }
  return groups;
}

function toStatement(access: PolicyAccess): iam.PolicyStatement {
  const hasConditions = access.conditions && Object.keys(access.conditions).length > 0;
  return new iam.PolicyStatement({
    sid: access.sid,
    principals: access.principals,
    actions: access.actions,
    resources: ['*'],
    conditions: hasConditions ? access.conditions : undefined,
  });
}

/**
 * Denies `kms:CreateGrant` to everyone unless the grant is for an AWS resource or the caller is an
 * AWS service: the statement the Control Tower proactive control CT.KMS.PR.3 looks for.
 */
export function createGrantGuard(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: CREATE_GRANT_GUARD_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: {
        'kms:GrantIsForAWSResource': 'false',
        'aws:PrincipalIsAWSService': 'false',
      },
    },
  });
}
