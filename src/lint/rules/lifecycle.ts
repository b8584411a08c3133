/**
 * Rules about the key's lifecycle: rotation (KMS4) and deletion protection (KMS11).
 */
import { LintSeverity } from '../finding';
import { KEY_TYPES, KMS_KEY, Rule, Violation, isTrue } from '../rule';
import { isOpaque, numberOf, textOf } from '../template';

const MAX_ROTATION_DAYS = 365;
const MIN_PENDING_WINDOW_DAYS = 30;

/** Only symmetric encryption keys with KMS-generated material in the standard key store can rotate automatically. */
function canRotate(keySpec: unknown, origin: unknown): boolean {
  return (keySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT' && (origin ?? 'AWS_KMS') === 'AWS_KMS';
}

export const rotation: Rule = {
  id: 'KMS4',
  name: 'rotation',
  severity: LintSeverity.ERROR,
  alsoWarns: true,
  resourceTypes: [KMS_KEY],
  description: 'A symmetric encryption key without automatic rotation keeps using the same key material forever; a rotation period over 365 days is weaker than the default.',
  fix: 'Set EnableKeyRotation: true (ManagedKey does by default) and a RotationPeriodInDays of at most 365.',
  check: ({ properties }) => {
    const { KeySpec, Origin, EnableKeyRotation, RotationPeriodInDays } = properties;
    if (isOpaque(KeySpec) || isOpaque(Origin) || !canRotate(KeySpec, Origin) || isOpaque(EnableKeyRotation)) return [];
    if (!isTrue(EnableKeyRotation)) {
      return [{ message: 'symmetric encryption key without automatic rotation', location: 'Properties.EnableKeyRotation' }];
    }
    const days = numberOf(RotationPeriodInDays);
    if (typeof RotationPeriodInDays !== 'undefined' && !isOpaque(RotationPeriodInDays) && days > MAX_ROTATION_DAYS) {
      return [{ message: `rotation period of ${days} days is over ${MAX_ROTATION_DAYS} days`, severity: LintSeverity.WARNING, location: 'Properties.RotationPeriodInDays' }];
    }
    return [];
  },
};

export const deletionProtection: Rule = {
  id: 'KMS11',
  name: 'deletion-protection',
  severity: LintSeverity.WARNING,
  resourceTypes: KEY_TYPES,
  description: 'A key whose DeletionPolicy is not Retain is scheduled for deletion when its stack or resource is removed, and data encrypted under it becomes unreadable; a pending window under 30 days leaves little time to notice.',
  fix: 'Set DeletionPolicy and UpdateReplacePolicy to Retain (RemovalPolicy.RETAIN) and keep PendingWindowInDays at 30.',
  check: ({ resource, properties }) => {
    const violations: Violation[] = [];
    const policy = resource.DeletionPolicy;
    if (policy !== 'Retain' && policy !== 'RetainExceptOnCreate' && typeof policy !== 'object') {
      violations.push({ message: `DeletionPolicy is ${policy ?? 'Delete (the default)'}, not Retain`, location: 'DeletionPolicy' });
    }
    const window = properties.PendingWindowInDays;
    const days = numberOf(window);
    if (window !== undefined && !isOpaque(window) && days < MIN_PENDING_WINDOW_DAYS) {
      violations.push({ message: `PendingWindowInDays is ${textOf(window)}, under ${MIN_PENDING_WINDOW_DAYS} days`, location: 'Properties.PendingWindowInDays' });
    }
    return violations;
  },
};
