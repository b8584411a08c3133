/**
 * Synth-time checks of the principals a key policy names, by role. Every check works on what a
 * principal resolves to (principal-identity.ts), so the class a caller used (StarPrincipal,
 * AnyPrincipal, ArnPrincipal('*'), AccountPrincipal('*'), a CompositePrincipal holding one, a
 * literal ARN) makes no difference.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { ConditionBlock } from './conditions';
import { ownConditions, principalIdentities, principalName, PrincipalIdentity, sameIdentity } from './principal-identity';
import { conditionsOn, isRestricting } from '../lint/rule';
import { RESTRICTING_KEYS } from '../lint/rules/principals';
import { resolveIntrinsics } from '../lint/template';

/**
 * Problems of principals that a key policy cannot name: a wildcard inside an ARN (KMS takes `*`
 * only on its own) and IAM groups (KMS rejects them). `role` names the role in messages.
 */
export function malformedPrincipalProblems(role: string, principal: iam.IPrincipal, scope: IConstruct): string[] {
  const identities = principalIdentities(principal, scope);
  const name = principalName(principal, scope);
  const problems: string[] = [];
  for (const identity of identities.filter((i) => i.partialWildcard)) {
    problems.push(`${role} ${name} names '${identity.text}', a wildcard inside a principal: KMS accepts '*' only on its own ` +
      '(with a restricting condition) or exact ARNs; name the principal exactly');
  }
  for (const identity of identities.filter((i) => i.unrenderable)) {
    problems.push(`${role} ${name} cannot be written into a policy (${identity.unrenderable}): ` +
      'name the principals separately; for everyone, pass StarPrincipal or AnyPrincipal alone with a restricting condition');
  }
  if (identities.some((i) => i.group)) {
    problems.push(`${role} ${name} is an IAM group, which a key policy cannot name: name its roles or users, ` +
      'or use the IAM_DELEGATED posture and attach the permission to the group');
  }
  return problems;
}

/**
 * Administrators and the policy manager change the key, so they must be named principals: "everyone"
 * is an error however it is written, with or without conditions.
 */
export function namedPrincipalProblems(role: string, principals: iam.IPrincipal[], scope: IConstruct): string[] {
  return principals.flatMap((principal) => {
    const everyone = principalIdentities(principal, scope).some((i) => i.everyone);
    return [
      ...(everyone ? [`${role} ${principalName(principal, scope)} is everyone ('*'): name the principals (roles, users or accounts) that ${role === 'policy manager' ? 'deploy the key' : 'administer the key'}`] : []),
      ...malformedPrincipalProblems(role, principal, scope),
    ];
  });
}

/**
 * A user that is everyone needs a condition that really pins the caller (an account, an
 * organization, a principal ARN), judged by the same function as lint rule KMS1, over the user's
 * conditions and the principal's own (PrincipalWithConditions, OrganizationPrincipal).
 */
export function wildcardUserProblems(principal: iam.IPrincipal, conditions: ConditionBlock, scope: IConstruct): string[] {
  if (!principalIdentities(principal, scope).some((i) => i.everyone)) return [];
  const all = [conditions, ownConditions(principal)];
  const restricted = all.some((block) => {
    const statement = { Condition: resolveIntrinsics(Stack.of(scope).resolve(block)) } as any;
    return conditionsOn(statement, RESTRICTING_KEYS).some(isRestricting);
  });
  return restricted ? [] : [
    `a wildcard principal (${principalName(principal, scope)}) needs a restricting condition: set callerAccount (an account id) ` +
    "or principalOrgId (o-...), or name the principals; '*' or a policy variable as the value restricts nothing",
  ];
}

/** Problems with the caller-pinning options of a key user: each must name one account or organization. */
export function callerOptionProblems(callerAccount: string | undefined, principalOrgId: string | undefined): string[] {
  const problems: string[] = [];
  if (callerAccount !== undefined && !Token.isUnresolved(callerAccount) && !/^\d{12}$/.test(callerAccount)) {
    problems.push(`callerAccount '${callerAccount}' is not an AWS account id: give the 12-digit id of the account whose callers may use the key`);
  }
  if (principalOrgId !== undefined && !Token.isUnresolved(principalOrgId) && !/^o-[a-z0-9]{10,32}$/.test(principalOrgId)) {
    problems.push(`principalOrgId '${principalOrgId}' is not an AWS Organizations id: give the id of your organization (o- and 10 to 32 lower-case letters or digits)`);
  }
  return problems;
}

/** Principals (with their identities) that appear both in `managers` and in `users`. */
export function overlappingPrincipals(managers: iam.IPrincipal[], users: iam.IPrincipal[], scope: IConstruct): iam.IPrincipal[] {
  const managerIdentities: PrincipalIdentity[] = managers.flatMap((p) => principalIdentities(p, scope).filter((i) => !i.everyone));
  return users.filter((user) => sameIdentity(managerIdentities, principalIdentities(user, scope).filter((i) => !i.everyone)));
}
