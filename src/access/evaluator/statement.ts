import { asList, isResolved, wildcardMatch } from './patterns';
import { CallerIdentity, matchPrincipalElement } from './principal';
import { PolicyDocument, PolicyStatement, PrincipalMatch } from './types';

/** A statement that applies to a request, conditions not yet evaluated. */
export interface ApplicableStatement {
  readonly statement: PolicyStatement;
  readonly effect: 'Allow' | 'Deny';
  /** For key-policy statements: how the principal element names the caller ('direct' for identity policies). */
  readonly principal: PrincipalMatch;
}

/** What a statement is matched against. */
export interface StatementScope {
  readonly caller: CallerIdentity;
  readonly action: string;
  readonly resource: string;
  /** Key-policy statements name principals; identity-policy statements do not. */
  readonly kind: 'key' | 'identity';
}

/** The statements of a policy document (a single statement object counts as a list of one). */
export function statementsOf(policy: PolicyDocument | undefined): PolicyStatement[] {
  return asList(policy?.Statement).filter((s): s is PolicyStatement => typeof s === 'object' && s !== null);
}

/** Action / NotAction, with wildcards, case-insensitively. A statement with neither never applies. */
export function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return anyMatches(statement.Action, action, true);
  if (statement.NotAction !== undefined) return !anyMatches(statement.NotAction, action, true);
  return false;
}

/** Resource / NotResource, with wildcards. A statement with neither never applies. */
export function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return anyMatches(statement.Resource, resource, false);
  if (statement.NotResource !== undefined) return !anyMatches(statement.NotResource, resource, false);
  return false;
}

function anyMatches(patterns: unknown, value: string, ignoreCase: boolean): boolean {
  return asList(patterns).filter(isResolved).some((pattern) => wildcardMatch(pattern, value, ignoreCase));
}

/**
 * Principal / NotPrincipal of a key-policy statement. NotPrincipal applies to everyone it does not
 * name; naming an account excludes every principal of that account.
 */
export function principalMatches(statement: PolicyStatement, caller: CallerIdentity): PrincipalMatch {
  if (statement.Principal !== undefined) return matchPrincipalElement(statement.Principal, caller);
  if (statement.NotPrincipal !== undefined) {
    return matchPrincipalElement(statement.NotPrincipal, caller) === 'none' ? 'direct' : 'none';
  }
  return 'none';
}

/** The statements of the policies that apply to the request, ignoring their conditions. */
export function applicableStatements(policies: readonly PolicyDocument[], scope: StatementScope): ApplicableStatement[] {
  const result: ApplicableStatement[] = [];
  for (const statement of policies.flatMap(statementsOf)) {
    const effect = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') continue;
    if (!actionMatches(statement, scope.action) || !resourceMatches(statement, scope.resource)) continue;
    const principal = scope.kind === 'identity' ? 'direct' : principalMatches(statement, scope.caller);
    if (principal !== 'none') result.push({ statement, effect, principal });
  }
  return result;
}
