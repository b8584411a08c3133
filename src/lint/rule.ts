/**
 * What a lint rule is and what it receives. A rule is a pure function from one CloudFormation
 * resource (with its template, for intrinsic resolution) to violations.
 */
import { LintSeverity } from './finding';
import { branchVariants, keyPolicyDocument, unresolvedParts } from './key-policy';
import {
  CfnResource,
  CfnTemplate,
  ConditionEntry,
  IndexedStatement,
  PolicyStatement,
  ResolvedObject,
  conditionEntries,
  isAllow,
  isPlainObject,
  policyStatements,
  resolveIntrinsics,
  statementActions,
  statementLabel,
  wildcardMatch,
} from './template';

export const KMS_KEY = 'AWS::KMS::Key';
export const KMS_REPLICA_KEY = 'AWS::KMS::ReplicaKey';
export const CLOUDTRAIL_TRAIL = 'AWS::CloudTrail::Trail';
/** A key in a custom key store (CustomStoreKey): its policy sits in the custom resource's KeyPolicy. */
export const KMS_CUSTOM_STORE_KEY = 'Custom::KmsCustomStoreKey';
export const KEY_TYPES: readonly string[] = [KMS_KEY, KMS_REPLICA_KEY, KMS_CUSTOM_STORE_KEY];

/** One problem a rule found. */
export interface Violation {
  readonly message: string;
  /** Overrides the rule's severity (rules with an error and a warning level). */
  readonly severity?: LintSeverity;
  /** Where in the resource, e.g. `Properties.KeyPolicy.Statement.2`. */
  readonly location?: string;
}

/** Everything a rule may look at, computed once per resource. */
export interface RuleContext {
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly template: CfnTemplate;
  /** The resource's Properties with intrinsics resolved. */
  readonly properties: ResolvedObject;
  /** The key policy's statements (keys only; the CloudFormation default policy when none is given). */
  readonly statements: IndexedStatement[];
  /** False when the key policy or one of its statements is only known at deploy time. */
  readonly policyFullyKnown: boolean;
  /** Parts of the key policy no rule can judge offline (see `unresolvedParts`), and branches left unjudged. */
  readonly unresolved: readonly string[];
  /** The `Fn::If` branches this context takes (`when IsProd is true`); undefined without `Fn::If`. */
  readonly branch?: string;
  /**
   * One context per combination of the resource's `Fn::If` branches (just this context when it has
   * none): rules are run on each, so every branch is judged and the worst is reported.
   */
  readonly variants: readonly RuleContext[];
}

export interface Rule {
  /** Stable id, `KMS1` … `KMS14`. */
  readonly id: string;
  /** Short descriptive name, e.g. `wildcard-principal`. */
  readonly name: string;
  /** The highest severity the rule reports. */
  readonly severity: LintSeverity;
  /** Also reports warnings (rules with two levels). */
  readonly alsoWarns?: boolean;
  readonly resourceTypes: readonly string[];
  /** What the rule checks and why, in one line. */
  readonly description: string;
  /** How to fix a finding, in one line. */
  readonly fix: string;
  check(context: RuleContext): Violation[];
}

export function ruleContext(logicalId: string, resource: CfnResource, template: CfnTemplate): RuleContext {
  const isKey = KEY_TYPES.includes(resource.Type);
  const { variants, notJudged } = branchVariants((options) => {
    const resolved = resolveIntrinsics(resource.Properties ?? {}, template, options);
    const properties = isPlainObject(resolved) ? resolved : {};
    return { properties, policy: isKey ? keyPolicyDocument(properties.KeyPolicy, template, options) : undefined };
  });
  const contexts = variants.map(({ branch, value: { properties, policy } }): RuleContext => {
    const statements = isKey ? policyStatements(policy) : [];
    const unresolved = isKey ? [...unresolvedParts(policy), ...(notJudged ? [notJudged] : [])] : [];
    const policyFullyKnown = isKey && unresolved.length === 0;
    return { logicalId, resource, template, properties, statements, policyFullyKnown, unresolved, branch, variants: [] };
  });
  return { ...contexts[0], variants: contexts.map((context) => ({ ...context, variants: [context] })) };
}

export function statementLocation(index: number): string {
  return `Properties.KeyPolicy.Statement.${index}`;
}

/** A violation about one statement, labelled with its Sid or position. */
export function statementViolation(statement: PolicyStatement, index: number, text: string, severity?: LintSeverity): Violation {
  return { message: `${statementLabel(statement, index)} ${text}`, location: statementLocation(index), severity };
}

/** Checks every Allow statement: `check` names the problem of one statement, or returns undefined. */
export function checkAllowStatements(statements: IndexedStatement[], check: (statement: PolicyStatement) => string | undefined): Violation[] {
  return statements.flatMap(({ statement, index }) => {
    const problem = isAllow(statement) ? check(statement) : undefined;
    return problem ? [statementViolation(statement, index, problem)] : [];
  });
}

/** Which of `actions` the statement's Action (or NotAction) covers; opaque actions cover nothing. */
export function coveredActions(statement: PolicyStatement, actions: readonly string[]): string[] {
  const { actions: patterns, not } = statementActions(statement);
  const literal = patterns.filter((pattern): pattern is string => typeof pattern === 'string');
  return actions.filter((action) => literal.some((pattern) => wildcardMatch(pattern, action)) !== not);
}

/** The statement's condition entries whose key is one of `keys` (lower-case). */
export function conditionsOn(statement: PolicyStatement, keys: ReadonlySet<string>): ConditionEntry[] {
  return conditionEntries(statement).filter((entry) => keys.has(entry.key.toLowerCase()));
}

/**
 * True for a condition that only lets through matching requests: not Not*, IfExists or Null, and
 * every value (values are alternatives: one open value opens the condition) pins something. A
 * value does not pin when it is only wildcards (`*`, `?*`), holds a policy variable (the caller's
 * own `${aws:PrincipalAccount}` always equals itself), or, under a *Like operator, puts a wildcard
 * where the account or organization goes (`arn:aws:iam::*:role/app`, `o-*`). Values known only at
 * deploy time (the stack's account, a parameter) count as pinning.
 */
export function isRestricting(entry: ConditionEntry): boolean {
  if (entry.ifExists || /Not/.test(entry.baseOperator) || entry.baseOperator === 'Null') return false;
  const like = /Like$/.test(entry.baseOperator);
  return entry.values.length > 0 && entry.values.every((value) => pins(value, entry.key.toLowerCase(), like));
}

const POLICY_VARIABLE = /\$\{(?![A-Za-z0-9]+::)[^}]*\}/;
const ARN_KEYS = new Set(['aws:principalarn', 'aws:sourcearn']);

function pins(value: unknown, key: string, like: boolean): boolean {
  if (typeof value !== 'string') return value !== undefined && value !== null && typeof value !== 'boolean';
  if (/^[*?]*$/.test(value) || POLICY_VARIABLE.test(value)) return false;
  if (!like || !/[*?]/.test(value)) return true;
  // Under *Like, the part naming the account (5th ARN field) or organization must be literal.
  const owner = ARN_KEYS.has(key) ? value.split(':')[4] ?? '' : value.split('/')[0];
  return owner !== '' && !/[*?]/.test(owner);
}

/** A list for a one-line message: the first three items and how many more. */
export function summarize(items: Iterable<string>): string {
  const list = [...items];
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

/** `true` / `"true"` (YAML and JSON templates spell booleans both ways). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.toLowerCase() === 'false');
}
