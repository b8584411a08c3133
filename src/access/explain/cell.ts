/** One cell of the access matrix: what one principal may do of one capability, conditions left open. */
import {
  AllowedBy,
  ApplicableStatement,
  applicableStatements,
  authorize,
  CallerIdentity,
  conditionTests,
  PolicyDocument,
} from '../evaluator';

/**
 * A cell of the access matrix:
 * - `allowed`: every action of the capability, with no condition;
 * - `conditional`: every action, but only when the listed conditions hold;
 * - `partial`: some of the actions (listed), possibly with conditions;
 * - `denied`: none of them;
 * - `not-applicable`: the key's usage has no such operation.
 */
export type CellStatus = 'allowed' | 'conditional' | 'partial' | 'denied' | 'not-applicable';

export interface Cell {
  readonly status: CellStatus;
  /** Set when allowed in some way: `iam` = only through the account-root delegation ("via IAM"). */
  readonly via?: AllowedBy;
  /** Conditions an allow depends on (`not (...)` for a conditional deny). */
  readonly conditions: readonly string[];
  /** The actions allowed (all of the capability's, except in `partial` cells). */
  readonly allowedActions: readonly string[];
}

/** What a cell is computed from. */
export interface CellInput {
  readonly keyPolicy: PolicyDocument;
  readonly identityPolicies: readonly PolicyDocument[];
  readonly caller: CallerIdentity;
  readonly keyArn: string;
  readonly keyAccount: string;
}

interface ActionResult {
  readonly action: string;
  readonly allowed: boolean;
  readonly via?: AllowedBy;
  readonly conditions: string[];
}

function hasConditions(s: ApplicableStatement): boolean {
  return conditionTests(s.statement.Condition).length > 0;
}

/** Readable form of a statement's conditions, e.g. `StringEquals kms:ViaService = s3.eu-west-1.amazonaws.com`. */
export function describeConditions(s: ApplicableStatement): string {
  return conditionTests(s.statement.Condition)
    .map((test) => `${test.operator} ${test.key} = ${test.values.map(String).join(' | ')}`)
    .join(' AND ');
}

/**
 * One action for one caller, with conditions left open: denied when a deny applies regardless of
 * conditions; allowed outright when an allow path exists without conditions; conditional when the
 * allow needs conditional statements or a conditional deny could apply.
 */
function analyseAction(input: CellInput, action: string): ActionResult {
  const scope = { caller: input.caller, action, resource: input.keyArn };
  const key = applicableStatements([input.keyPolicy], { ...scope, kind: 'key' });
  const identity = input.caller.service ? [] : applicableStatements(input.identityPolicies, { ...scope, kind: 'identity' });
  const denies = [...key, ...identity].filter((s) => s.effect === 'Deny');
  if (denies.some((s) => !hasConditions(s))) return { action, allowed: false, conditions: [] };
  const allows = (list: ApplicableStatement[], withConditions: boolean) =>
    list.filter((s) => s.effect === 'Allow' && (withConditions || !hasConditions(s)));
  const unless = denies.map((s) => `not (${describeConditions(s)})`);
  const decide = (keyWithConditions: boolean, identityWithConditions: boolean) =>
    authorize(allows(key, keyWithConditions), allows(identity, identityWithConditions), input.caller, input.keyAccount);
  const outright = decide(false, false);
  if (outright.decision === 'Allow') return { action, allowed: true, via: outright.allowedBy, conditions: unless };
  const conditional = decide(true, true);
  if (conditional.decision !== 'Allow') return { action, allowed: false, conditions: [] };
  // Each side (key policy, IAM) that cannot allow without conditions needs one of its conditional
  // statements to hold: the sides are listed one after the other, as every listed item must hold.
  const required: string[] = [];
  if (decide(false, true).decision !== 'Allow') required.push(anyOf(allows(key, true).filter(hasConditions)));
  if (decide(true, false).decision !== 'Allow') required.push(anyOf(allows(identity, true).filter(hasConditions)));
  return { action, allowed: true, via: conditional.allowedBy, conditions: [...required, ...unless] };
}

/** One condition, or `any of: (A) OR (B)` for alternatives. */
function anyOf(statements: ApplicableStatement[]): string {
  const conditions = [...new Set(statements.map(describeConditions))];
  return conditions.length === 1 ? conditions[0] : `any of: ${conditions.map((c) => `(${c})`).join(' OR ')}`;
}

const VIA_ORDER: readonly AllowedBy[] = ['key-policy', 'cross-account', 'iam'];

/** The cell for a capability (a set of actions): see `CellStatus`. */
export function analyseCell(input: CellInput, actions: readonly string[]): Cell {
  const results = actions.map((action) => analyseAction(input, action));
  const allowed = results.filter((r) => r.allowed);
  const conditions = [...new Set(allowed.flatMap((r) => r.conditions))];
  if (allowed.length === 0) return { status: 'denied', conditions: [], allowedActions: [] };
  // "via IAM" when any allowed action depends on the account-root delegation.
  const via = [...VIA_ORDER].reverse().find((v) => allowed.some((r) => r.via === v));
  if (allowed.length < results.length) {
    return { status: 'partial', via, conditions, allowedActions: allowed.map((r) => r.action) };
  }
  return { status: conditions.length > 0 ? 'conditional' : 'allowed', via, conditions, allowedActions: allowed.map((r) => r.action) };
}
