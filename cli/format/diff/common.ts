/** What every `diff` format shows, and the wording they share. */
import { DiffResult, KeyDiff, KeyRef, Verdict } from '../../../src/access/diff';
import type { LoadedTemplate } from '../../load';

/** Everything a format may show. */
export interface DiffOutput {
  readonly result: DiffResult;
  readonly verdict: Verdict;
  readonly base: readonly LoadedTemplate[];
  readonly head: readonly LoadedTemplate[];
  /** The `--allow` rules as given. */
  readonly allow: readonly string[];
}

/** The key as HEAD names it (BASE for a removed key). */
export function keyRefOf(key: KeyDiff): KeyRef {
  return (key.head ?? key.base)!;
}

/** `Stack / construct path` (or logical id). */
export function keyTitle(ref: KeyRef): string {
  return `${ref.stackName} / ${ref.constructPath ?? ref.logicalId}`;
}

/** `AWS::KMS::Key OrdersKey, alias/orders` and how it was matched when renamed. */
export function keyDetail(key: KeyDiff): string {
  const ref = keyRefOf(key);
  const aliases = ref.aliases.length > 0 ? `, ${ref.aliases.join(', ')}` : '';
  const renamed = key.matchedBy === 'alias' && key.base ? `, was ${key.base.stackName}/${key.base.logicalId} (matched by alias)` : '';
  const state = !key.base ? ', added' : !key.head ? ', removed' : '';
  return `${ref.resourceType} ${ref.logicalId}${aliases}${renamed}${state}`;
}

/** One line that answers "does this change let anyone new use or manage a key?". */
export function headline(verdict: Verdict): string {
  const parts: string[] = [];
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (verdict.newAccess.length > 0) parts.push(count(verdict.newAccess.length, 'change gives new access', 'changes give new access'));
  if (verdict.acceptedAccess.length > 0) parts.push(`${count(verdict.acceptedAccess.length, 'accepted change', 'accepted changes')} (--allow)`);
  if (verdict.failingFindings.length > 0) parts.push(count(verdict.failingFindings.length, `new lint finding at ${verdict.failOn}`, `new lint findings at ${verdict.failOn} or above`));
  if (verdict.weaker.length > 0) parts.push(count(verdict.weaker.length, 'change weakens protection', 'changes weaken protection'));
  if (verdict.lessAccess.length > 0) parts.push(count(verdict.lessAccess.length, 'change removes access', 'changes remove access'));
  const answer = {
    'new-access': 'New key access',
    'new-findings': 'No new key access, but new lint findings',
    'changed': 'No new key access',
    'no-change': 'No change to KMS keys',
  }[verdict.kind];
  return parts.length > 0 ? `${answer}: ${parts.join('; ')}` : answer;
}

/** `3 keys compared, 1 with changes`. */
export function keysLine(result: DiffResult): string {
  return `${result.keysCompared} ${result.keysCompared === 1 ? 'key' : 'keys'} compared, ${result.keys.length} with changes`;
}
