/**
 * A key resource's policy as lint and explain both see it: one function for the policy written
 * as JSON or YAML, as a JSON string (CloudFormation accepts both) or left out (KMS's default
 * policy); every combination of the `Fn::If` branches it contains, each judged on its own; and
 * the parts no branch resolves offline, named so that neither command passes them silently.
 */
import {
  CfnTemplate,
  isOpaque,
  isPlainObject,
  KMS_DEFAULT_KEY_POLICY,
  nestsDeeperThan,
  Opaque,
  Resolved,
  resolveIntrinsics,
  ResolveOptions,
  statementLabel,
  PolicyStatement,
  toArray,
  MAX_NESTING_DEPTH,
} from './template';

/**
 * Most combinations of `Fn::If` branches judged per resource. Each condition doubles them, so
 * they are bounded: beyond this the rest is reported as not judged (never skipped silently).
 */
export const MAX_BRANCH_COMBINATIONS = 16;

/** One combination of `Fn::If` branches and what the value resolves to under it. */
export interface BranchVariant<T> {
  /** `when IsProd is true and Audit is false`; undefined when no `Fn::If` was met. */
  readonly branch?: string;
  readonly value: T;
}

export interface BranchVariants<T> {
  readonly variants: BranchVariant<T>[];
  /** Set when there were more combinations than `MAX_BRANCH_COMBINATIONS`: what was left out. */
  readonly notJudged?: string;
}

/**
 * Resolves with every combination of the `Fn::If` branches that `resolve` meets (a branch may hold
 * further `Fn::If`s, which are then split in turn). Past `MAX_BRANCH_COMBINATIONS`, a condition met
 * takes its first branch only, and `notJudged` names it: every variant is still complete.
 */
export function branchVariants<T>(resolve: (options: ResolveOptions) => T): BranchVariants<T> {
  const variants: BranchVariant<T>[] = [];
  const pending: Map<string, boolean>[] = [new Map()];
  const firstBranchOnly = new Set<string>();
  while (pending.length > 0) {
    const choices = pending.shift()!;
    for (;;) {
      const undecided = new Set<string>();
      const value = resolve({ choices, undecided });
      const [next] = undecided;
      if (next === undefined) {
        variants.push({ branch: branchLabel(choices), value });
        break;
      }
      if (variants.length + pending.length + 1 < MAX_BRANCH_COMBINATIONS) pending.push(new Map([...choices, [next, false]]));
      else firstBranchOnly.add(next);
      choices.set(next, true);
    }
  }
  const notJudged = firstBranchOnly.size > 0
    ? `more than ${MAX_BRANCH_COMBINATIONS} combinations of Fn::If conditions: ${variants.length} were judged, `
      + `in which ${summarizeNames(firstBranchOnly)} took only their first branch`
    : undefined;
  return { variants, notJudged };
}

function summarizeNames(names: ReadonlySet<string>): string {
  const sorted = [...names].sort();
  return sorted.length <= 5 ? sorted.join(', ') : `${sorted.slice(0, 5).join(', ')} and ${sorted.length - 5} more`;
}

function branchLabel(choices: ReadonlyMap<string, boolean>): string | undefined {
  if (choices.size === 0) return undefined;
  return 'when ' + [...choices].map(([condition, value]) => `${condition} is ${value}`).join(' and ');
}

/**
 * The key policy document from a key's resolved `KeyPolicy` property: KMS's default policy when it
 * is absent, a JSON string parsed (and resolved like the rest of the template), anything else as is.
 */
export function keyPolicyDocument(written: Resolved, template: CfnTemplate, options: ResolveOptions = {}): Resolved {
  if (written === undefined || written === null) return KMS_DEFAULT_KEY_POLICY;
  if (typeof written !== 'string') return written;
  let parsed: unknown;
  try {
    parsed = JSON.parse(written);
  } catch {
    return new Opaque('a JSON string that does not parse');
  }
  if (nestsDeeperThan(parsed)) return new Opaque(`a JSON string nested deeper than ${MAX_NESTING_DEPTH} levels`);
  return resolveIntrinsics(parsed, template, options);
}

/**
 * The parts of a resolved key policy that stay unknown offline and change what it allows: the
 * whole document, a statement, or a statement's Effect, Action, NotAction or Condition.
 * (Unresolved principals are not listed: explain shows them as their own rows, and rules treat
 * them as named principals, never as `*`.)
 */
export function unresolvedParts(policy: Resolved): string[] {
  if (isOpaque(policy)) return [`the key policy (${policy.text})`];
  if (!isPlainObject(policy)) return [`the key policy (${Array.isArray(policy) ? 'a list' : typeof policy}, not a JSON object)`];
  if (isOpaque(policy.Statement)) return [`the Statement list (${policy.Statement.text})`];
  return toArray(policy.Statement).flatMap((statement, index) => {
    if (!isPlainObject(statement)) return [`statement #${index + 1} (${isOpaque(statement) ? statement.text : 'not a JSON object'})`];
    const label = statementLabel(statement as PolicyStatement, index);
    return (['Effect', 'Action', 'NotAction', 'Condition'] as const).flatMap((element) => {
      const opaque = toArray(statement[element]).find(isOpaque);
      return opaque ? [`${label}: ${element} (${opaque.text})`] : [];
    });
  });
}
