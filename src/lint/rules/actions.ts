/**
 * Rules about what statements grant: broad actions (KMS2), separation of duties (KMS3), the
 * CreateGrant guard (KMS5) and a key policy nobody can change (KMS10).
 */
import { KeyActions } from '../../key/actions';
import { LintSeverity } from '../finding';
import { KEY_TYPES, Rule, checkAllowStatements, conditionsOn, coveredActions, isTrue, summarize } from '../rule';
import {
  IndexedStatement,
  PolicyStatement,
  PrincipalEntry,
  accountRootOf,
  isAccountRootPrincipal,
  isAllow,
  isDeny,
  statementActions,
  statementPrincipals,
  textOf,
} from '../template';

function isBroadAction(action: string): boolean {
  return action.includes('*') || action.includes('?');
}

const OWN_ACCOUNT = '${AWS::AccountId}';
const LITERAL_ACCOUNT = /^\d{12}$/;

/**
 * Whether an account-root principal is the key's own account: the CDK names it
 * `${AWS::AccountId}`; a hand-written policy names it literally. When the policy does not make
 * the key's account clear (no symbolic root and several literal ones), every root counts as own.
 */
function ownRootTest(statements: IndexedStatement[]): (entry: PrincipalEntry) => boolean {
  const accounts = new Set(statements.flatMap(({ statement }) =>
    statementPrincipals(statement).principals.map((entry) => (entry.kind === 'AWS' ? accountRootOf(entry.value) : undefined))
      .filter((account): account is string => account !== undefined)));
  const literal = [...accounts].filter((account) => LITERAL_ACCOUNT.test(account));
  const own = accounts.has(OWN_ACCOUNT) ? OWN_ACCOUNT : literal.length === 1 ? literal[0] : undefined;
  return (entry) => {
    const account = entry.kind === 'AWS' ? accountRootOf(entry.value) : undefined;
    if (account === undefined) return false;
    return own === undefined || account === own || !LITERAL_ACCOUNT.test(account);
  };
}

export const broadActions: Rule = {
  id: 'KMS2',
  name: 'broad-actions',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'kms:*, NotAction or an action wildcard granted to anyone other than the key account\'s root grants more than the role needs, including actions added to KMS later.',
  fix: 'List the actions explicitly (e.g. kms:Encrypt, kms:Decrypt, kms:GenerateDataKey); keep kms:* for the account-root statement only.',
  check: ({ statements }) => {
    const isOwnRoot = ownRootTest(statements);
    return checkAllowStatements(statements, (statement) => {
      const { actions, not } = statementActions(statement);
      const broad = actions.filter((action): action is string => typeof action === 'string' && isBroadAction(action));
      if (!not && broad.length === 0) return undefined;
      const { principals, not: notPrincipal } = statementPrincipals(statement);
      const others = notPrincipal ? principals : principals.filter((entry) => !isOwnRoot(entry));
      if (!notPrincipal && others.length === 0) return undefined;
      const what = not ? 'NotAction' : summarize(broad);
      const whom = notPrincipal ? 'everyone except a NotPrincipal' : others.map((entry) => textOf(entry.value)).join(', ');
      return `grants ${what} to ${whom}`;
    });
  },
};

/** CreateGrant limited to grants for AWS resources is how services get access, not power. */
function grantsOnlyForAwsResources(statement: PolicyStatement): boolean {
  return conditionsOn(statement, new Set(['kms:grantisforawsresource']))
    .some((entry) => entry.baseOperator === 'Bool' && !entry.ifExists && entry.values.length > 0 && entry.values.every(isTrue));
}

function powerActions(statement: PolicyStatement): string[] {
  const power = coveredActions(statement, KeyActions.POWER);
  return grantsOnlyForAwsResources(statement) ? power.filter((action) => action !== 'kms:CreateGrant') : power;
}

export const separationOfDuties: Rule = {
  id: 'KMS3',
  name: 'separation-of-duties',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'One principal (other than the account root) holds both power over the key (PutKeyPolicy, CreateGrant, ScheduleKeyDeletion, DisableKey, ...) and cryptographic use of it.',
  fix: 'Give key administrators and key users different principals; administrators need no Encrypt/Decrypt/Sign.',
  check: ({ statements }) => {
    const holders = new Map<string, { power: Set<string>; use: Set<string>; first: number }>();
    for (const { statement, index } of statements) {
      if (!isAllow(statement)) continue;
      const { principals, not } = statementPrincipals(statement);
      if (not) continue; // a NotPrincipal Allow is KMS1/KMS2's finding
      const power = powerActions(statement);
      const use = coveredActions(statement, KeyActions.CRYPTOGRAPHIC_USE);
      if (power.length === 0 && use.length === 0) continue;
      for (const entry of principals.filter((p) => !isAccountRootPrincipal(p))) {
        const name = textOf(entry.value);
        const holder = holders.get(name) ?? { power: new Set<string>(), use: new Set<string>(), first: index };
        power.forEach((action) => holder.power.add(action));
        use.forEach((action) => holder.use.add(action));
        holders.set(name, holder);
      }
    }
    return [...holders.entries()]
      .filter(([, holder]) => holder.power.size > 0 && holder.use.size > 0)
      .map(([name, holder]) => ({
        message: `${name} holds both power over the key (${summarize(holder.power)}) and cryptographic use (${summarize(holder.use)})`,
        location: `Properties.KeyPolicy.Statement.${holder.first}`,
      }));
  },
};

export const createGrantGuard: Rule = {
  id: 'KMS5',
  name: 'create-grant-guard',
  severity: LintSeverity.WARNING,
  resourceTypes: KEY_TYPES,
  description: 'No Deny statement limits kms:CreateGrant to grants for AWS resources (Control Tower CT.KMS.PR.3), so anyone allowed CreateGrant can hand the key to any principal.',
  fix: 'Add {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:CreateGrant","Resource":"*","Condition":{"BoolIfExists":{"kms:GrantIsForAWSResource":"false","aws:PrincipalIsAWSService":"false"}}} (ManagedKey does this by default).',
  check: ({ statements, policyFullyKnown }) => {
    if (!policyFullyKnown) return [];
    const guarded = statements.some(({ statement }) => isDeny(statement)
      && coveredActions(statement, ['kms:CreateGrant']).length > 0
      && conditionsOn(statement, new Set(['kms:grantisforawsresource'])).length > 0);
    return guarded ? [] : [{ message: 'the key policy does not deny kms:CreateGrant for grants that are not for AWS resources', location: 'Properties.KeyPolicy' }];
  },
};

export const policyLockout: Rule = {
  id: 'KMS10',
  name: 'policy-lockout',
  severity: LintSeverity.ERROR,
  resourceTypes: KEY_TYPES,
  description: 'No statement allows anyone kms:PutKeyPolicy, so the key policy can never be changed again (and CloudFormation cannot update it).',
  fix: 'Allow kms:PutKeyPolicy to the account root (IAM_DELEGATED) or to the role that deploys the stack (STRICT policy manager).',
  check: ({ statements, policyFullyKnown }) => {
    if (!policyFullyKnown) return [];
    const changeable = statements.some(({ statement }) => isAllow(statement) && coveredActions(statement, ['kms:PutKeyPolicy']).length > 0);
    return changeable ? [] : [{ message: 'no statement allows kms:PutKeyPolicy: the key policy can never be changed', location: 'Properties.KeyPolicy' }];
  },
};
