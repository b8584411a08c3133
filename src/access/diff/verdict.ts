/** The one answer a reviewer needs, and the exit code behind it. */
import { unacceptedAccess } from './allow';
import { Change, DiffFinding, DiffResult } from './changes';

/** Lowest lint severity that fails the diff; `none` never fails on findings. */
export type FailOn = 'error' | 'warning' | 'none';

/**
 * - `new-access`: someone gains access (or a condition widens) that no `--allow` rule accepts;
 * - `new-findings`: no unaccepted new access, but new lint findings at `--fail-on` severity;
 * - `changed`: key changes that pass the gate (less access, accepted access, settings);
 * - `no-change`: nothing about keys or findings changed.
 */
export type VerdictKind = 'new-access' | 'new-findings' | 'changed' | 'no-change';

export interface Verdict {
  readonly kind: VerdictKind;
  /** True when the pipeline should fail (exit code 1). */
  readonly failing: boolean;
  readonly failOn: FailOn;
  readonly newAccess: readonly Change[];
  readonly acceptedAccess: readonly Change[];
  readonly lessAccess: readonly Change[];
  /** Weaker protection: rotation off, deletion protection lowered, posture widened, key material deleted. */
  readonly weaker: readonly Change[];
  /** New lint findings at or above `failOn`. */
  readonly failingFindings: readonly DiffFinding[];
}

export function atOrAbove(severity: string, failOn: FailOn): boolean {
  return failOn === 'warning' ? severity === 'error' || severity === 'warning' : failOn === 'error' && severity === 'error';
}

export function verdictOf(result: DiffResult, failOn: FailOn): Verdict {
  const all = result.keys.flatMap((key) => key.changes);
  const newAccess = unacceptedAccess(result);
  const failingFindings = result.findingsAdded.filter((f) => atOrAbove(f.severity, failOn));
  const changed = all.length > 0 || result.findingsAdded.length > 0 || result.findingsResolved.length > 0 || result.keys.length > 0;
  const kind: VerdictKind = newAccess.length > 0 ? 'new-access' : failingFindings.length > 0 ? 'new-findings' : changed ? 'changed' : 'no-change';
  return {
    kind,
    failing: kind === 'new-access' || kind === 'new-findings',
    failOn,
    newAccess,
    acceptedAccess: all.filter((c) => c.effect === 'more-access' && c.allowedBy !== undefined),
    lessAccess: all.filter((c) => c.effect === 'less-access'),
    weaker: all.filter((c) => c.effect === 'weaker'),
    failingFindings,
  };
}
