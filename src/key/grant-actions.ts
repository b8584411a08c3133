/**
 * The one check every key class (ManagedKey, ReplicaKey, CustomStoreKey) runs on `grant()`: the
 * action catalogue expands aws-cdk-lib's wildcards for the key, refuses names that are not key
 * actions, and in STRICT refuses power over the key (administration, the policy).
 */
import { IConstruct } from 'constructs';
import { ActionKind, expandActions, KeyFacts, kindOf } from './action-catalogue';
import { assertNoProblems } from '../errors';

/** The explicit actions a grant gives; a synth error naming the construct path and the fix otherwise. */
export function grantActions(scope: IConstruct, actions: string[], key: KeyFacts, strict: boolean): string[] {
  const expanded = expandActions(actions, key);
  const forbidden = strict ? expanded.actions.filter(isPowerOverKey) : [];
  assertNoProblems(scope, [
    ...expanded.problems.map((problem) => `grant: ${problem}`),
    ...(forbidden.length > 0
      ? [`grant: ${forbidden.join(', ')} ${forbidden.length === 1 ? 'gives' : 'give'} power over the key, which in the STRICT posture only administrators ` +
        '(ManagedKeyProps.administrators) and the policy manager hold: pass the principal in administrators, or grant only use (grantDecrypt, grantEncrypt, ...)']
      : []),
  ]);
  return expanded.actions;
}

/** Administration and the policy: what `grant()` may not hand out in STRICT. */
function isPowerOverKey(action: string): boolean {
  const kind = kindOf(action);
  return kind === ActionKind.ADMINISTER || kind === ActionKind.POLICY;
}
