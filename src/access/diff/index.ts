/**
 * `diff`: what a change to the templates does to key access, offline, from our evaluator: keys
 * added, removed and replaced, who gains or loses which capability, conditions that widen or narrow,
 * posture, rotation and deletion-protection changes, and new lint findings.
 */
import { ExplainInput } from '../explain';
import { DiffResult } from './changes';
import { diffSnapshots } from './compare';
import { snapshotTemplates } from './snapshot';

export * from './changes';
export * from './allow';
export { diffSnapshots, accessChanges } from './compare';
export { matchKeys } from './match';
export type { KeyPair, KeyMatching, MatchedBy } from './match';
export { snapshotTemplates } from './snapshot';
export type { KeyRef, KeySnapshot, Posture, Snapshot } from './snapshot';

/** Compares two sets of templates (BASE, HEAD), each deploying to one account. */
export function diffTemplates(base: readonly ExplainInput[], head: readonly ExplainInput[]): DiffResult {
  return diffSnapshots(snapshotTemplates(base), snapshotTemplates(head));
}
export * from './verdict';
