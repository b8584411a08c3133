/**
 * What a lint rule is and what it receives. A rule is a pure function from one CloudFormation
 * resource (with its template, for intrinsic resolution) to violations.
 */
import { LintSeverity } from './finding';
import {
  CfnResource,
  CfnTemplate,
  ConditionEntry,
  IndexedStatement,
  Opaque,
  PolicyStatement,
  Resolved,
  ResolvedObject,
  conditionEntries,
  isAllow,
  isOpaque,
  isPlainObject,
  KMS_DEFAULT_KEY_POLICY,
  policyStatements,
  resolveIntrinsics,
  statementActions,
  statementLabel,
  toArray,
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
}

export interface Rule {
  /** Stable id, `KMS1` … `KMS12`. */
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
  const resolved = resolveIntrinsics(resource.Properties ?? {}, template);
  const properties = isPlainObject(resolved) ? resolved : {};
  const isKey = KEY_TYPES.includes(resource.Type);
  const policy = isKey ? parsePolicy(properties.KeyPolicy ?? KMS_DEFAULT_KEY_POLICY, template) : undefined;
  const statements = isKey ? policyStatements(policy) : [];
  const rawStatements = isPlainObject(policy) ? toArray(policy.Statement) : [];
  const policyFullyKnown = isKey && !isOpaque(policy) && statements.length === rawStatements.length;
  return { logicalId, resource, template, properties, statements, policyFullyKnown };
}

/** A key policy given as a JSON string (allowed by CloudFormation) is parsed; an unparsable one stays opaque. */
function parsePolicy(policy: Resolved, template: CfnTemplate): Resolved {
  if (typeof policy !== 'string') return policy;
  try {
    return resolveIntrinsics(JSON.parse(policy), template);
  } catch {
    return new Opaque(policy);
  }
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

/** True for a condition that only lets through matching requests (not Not*, not IfExists, not `*`). */
export function isRestricting(entry: ConditionEntry): boolean {
  if (entry.ifExists || /Not/.test(entry.baseOperator) || entry.baseOperator === 'Null') return false;
  return entry.values.length > 0 && entry.values.some((value) => value !== '*');
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
