/**
 * Service principals given where a role is expected (as a key user, or as the grantee of
 * `grant*`) follow the confused-deputy rule of KeyService: the statement carries
 * `aws:SourceAccount` of the key's account, unless the principal already brings `aws:SourceArn`
 * or `aws:SourceAccount` (a PrincipalWithConditions). How it covers the class: the decision is
 * taken on what the principal resolves to (principal-identity.ts), so a ServicePrincipal, a
 * CompositePrincipal of services, or a wrapped one are treated alike; a composite that mixes
 * services with other principals is an error, because one condition cannot fit both (callers
 * that are not services carry no aws:SourceAccount and would be locked out).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { assertNoProblems } from '../errors';
import { ConditionBlock, sourceAccount } from './conditions';
import { ownConditions, principalIdentities, principalName } from './principal-identity';
import { conditionsOn, isRestricting } from '../lint/rule';
import { resolveIntrinsics } from '../lint/template';

const SOURCE_KEYS: ReadonlySet<string> = new Set(['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths']);

/** How a principal relates to services: none, only services, or a mix (an error). */
export function serviceKind(principal: iam.IPrincipal, scope: IConstruct): 'none' | 'services' | 'mixed' {
  const identities = principalIdentities(principal, scope);
  const services = identities.filter((identity) => identity.kind === 'Service').length;
  return services === 0 ? 'none' : services === identities.length ? 'services' : 'mixed';
}

/** Problems with a principal that mixes services and other principals. */
export function mixedServiceProblems(role: string, principal: iam.IPrincipal, scope: IConstruct): string[] {
  return serviceKind(principal, scope) === 'mixed'
    ? [`${role} ${principalName(principal, scope)} mixes AWS service principals with other principals: ` +
      'pass the services separately (as their own users, grants or KeyService.custom), so each gets its confused-deputy condition']
    : [];
}

/** Whether some block pins the source (aws:SourceAccount/SourceArn/SourceOrgID/SourceOrgPaths). */
export function pinsSource(scope: IConstruct, ...blocks: ConditionBlock[]): boolean {
  return blocks.some((block) => {
    const statement = { Condition: resolveIntrinsics(Stack.of(scope).resolve(block)) } as any;
    return conditionsOn(statement, SOURCE_KEYS).some(isRestricting);
  });
}

/** The aws:SourceAccount condition a service-only principal needs, or an empty block. */
export function confusedDeputyCondition(principal: iam.IPrincipal, conditions: ConditionBlock, scope: IConstruct): ConditionBlock {
  if (serviceKind(principal, scope) !== 'services') return {};
  if (pinsSource(scope, conditions, ownConditions(principal))) return {};
  return sourceAccount(Stack.of(scope).account);
}

/**
 * The grantee to use: a service-only grantee is wrapped with the key account's aws:SourceAccount.
 * Throws our error for a grantee no policy can name (and, when the grant goes into the key policy,
 * for an IAM group, which aws-cdk-lib would otherwise refuse without naming the key).
 */
export function pinnedGrantee(grantee: iam.IGrantable, scope: IConstruct, intoKeyPolicy: boolean): iam.IGrantable {
  const principal = grantee.grantPrincipal;
  const identities = principalIdentities(principal, scope);
  const name = principalName(principal, scope);
  assertNoProblems(scope, [
    ...identities.filter((i) => i.unrenderable).map((i) => `grantee ${name} cannot be written into a policy (${i.unrenderable}): name the principals separately`),
    ...(intoKeyPolicy && identities.some((i) => i.group)
      ? [`grantee ${name} is an IAM group, which a key policy cannot name: grant to its roles or users, or use the IAM_DELEGATED posture`]
      : []),
    ...mixedServiceProblems('grantee', principal, scope),
  ]);
  const condition = confusedDeputyCondition(principal, {}, scope);
  return Object.keys(condition).length === 0 ? grantee : { grantPrincipal: new iam.PrincipalWithConditions(principal, condition) };
}
