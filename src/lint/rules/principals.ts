/**
 * Rules about who a statement names: wildcard principals (KMS1) and service principals without
 * confused-deputy protection (KMS6).
 */
import { LintSeverity } from '../finding';
import { KEY_TYPES, Rule, checkAllowStatements, conditionsOn, isRestricting } from '../rule';
import { isWildcardPrincipal, statementPrincipals, textOf } from '../template';

/** Condition keys that pin a wildcard principal to known callers. */
export const RESTRICTING_KEYS: ReadonlySet<string> = new Set([
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'kms:calleraccount',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:principalarn',
]);

export const wildcardPrincipal: Rule = {
  id: 'KMS1',
  name: 'wildcard-principal',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'An Allow to a wildcard principal ("*", {"AWS": "*"}, or Allow with NotPrincipal) without a condition that restricts the caller lets anyone use the key.',
  fix: 'Name the principals, or add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, kms:CallerAccount, aws:SourceAccount, aws:SourceArn or aws:PrincipalArn.',
  check: ({ statements }) => checkAllowStatements(statements, (statement) => {
    const { principals, not } = statementPrincipals(statement);
    const wildcard = not || principals.some(isWildcardPrincipal);
    if (!wildcard || conditionsOn(statement, RESTRICTING_KEYS).some(isRestricting)) return undefined;
    return `allows ${not ? 'everyone except a NotPrincipal' : 'a wildcard principal'} without a restricting condition`;
  }),
};

/** Condition keys that stop a service acting on behalf of another account (confused deputy). */
const SOURCE_KEYS = new Set(['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceorgid', 'aws:sourceorgpaths']);

export const servicePrincipalWithoutSource: Rule = {
  id: 'KMS6',
  name: 'service-principal-confused-deputy',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'A service principal allowed without aws:SourceArn or aws:SourceAccount can be made to use the key on behalf of any account (confused deputy).',
  fix: 'Add a StringEquals aws:SourceAccount or ArnLike aws:SourceArn condition naming your account or resource.',
  check: ({ statements }) => checkAllowStatements(statements, (statement) => {
    const services = statementPrincipals(statement).principals.filter((entry) => entry.kind === 'Service');
    if (services.length === 0 || conditionsOn(statement, SOURCE_KEYS).some(isRestricting)) return undefined;
    return `allows service principal ${services.map((s) => textOf(s.value)).join(', ')} without aws:SourceArn or aws:SourceAccount`;
  }),
};
