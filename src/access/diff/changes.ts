/**
 * What a diff reports. The JSON output (`--format json`) is this model under a versioned envelope;
 * schemas/diff-report.v1.json describes it.
 */
import { Cell, RowSource } from '../explain';
import { KeyRef } from './snapshot';

export type ChangeKind =
  | 'key-added'
  | 'key-removed'
  | 'key-replaced'
  | 'access-gained'
  | 'access-lost'
  | 'conditions-widened'
  | 'conditions-narrowed'
  | 'posture-changed'
  | 'rotation-changed'
  | 'deletion-protection-changed'
  | 'enabled-changed';

/**
 * - `more-access`: someone may do something they could not (the gate: exit 1 unless `--allow`ed);
 * - `less-access`: someone may no longer do something;
 * - `weaker` / `stronger`: protection of the key or its material changes (rotation, deletion, posture);
 * - `neutral`: worth knowing, neither.
 */
export type ChangeEffect = 'more-access' | 'less-access' | 'weaker' | 'stronger' | 'neutral';

/** What kind of condition a widening or narrowing touches. */
export type ConditionKind = 'encryption-context' | 'via-service' | 'caller-account' | 'grant-for-aws-resource' | 'source' | 'other';

export interface Change {
  readonly kind: ChangeKind;
  readonly effect: ChangeEffect;
  /** One line for people, e.g. `Platform/AppRole gains decrypt`. */
  readonly summary: string;
  /** Access changes: the principal as explain names it (construct path, ARN, `service ...`, ...). */
  readonly principal?: string;
  readonly principalSource?: RowSource;
  /** Access changes: the capability id (`decrypt`, `create-grant`, ...). */
  readonly capability?: string;
  /** Access changes: the actions gained or lost, or whose conditions changed. */
  readonly actions?: readonly string[];
  /** Access changes: the cell in BASE and in HEAD (absent: the principal had no row, so no access). */
  readonly before?: Cell;
  readonly after?: Cell;
  readonly conditionsRemoved?: readonly string[];
  readonly conditionsAdded?: readonly string[];
  readonly conditionKinds?: readonly ConditionKind[];
  /** The access goes to (or came from) another account. */
  readonly crossAccount?: boolean;
  /** The access is only through an AWS service (`kms:ViaService`). */
  readonly viaService?: boolean;
  /** Setting changes: which setting and its values. */
  readonly setting?: string;
  readonly from?: string | number | boolean;
  readonly to?: string | number | boolean;
  /** Removal and replacement: whether KMS will delete the key material (after the pending window). */
  readonly deletesKeyMaterial?: boolean;
  /** Set on `more-access` changes that an `--allow` rule accepts. */
  readonly allowedBy?: string;
}

export interface KeyDiff {
  readonly base?: KeyRef;
  readonly head?: KeyRef;
  readonly matchedBy?: 'logical-id' | 'alias';
  readonly changes: readonly Change[];
}

/** A lint finding of one side, with its stack. */
export interface DiffFinding {
  readonly stackName: string;
  readonly logicalId: string;
  readonly path?: string;
  readonly resourceType: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
  readonly fix: string;
  readonly location?: string;
}

export interface DiffResult {
  readonly capabilities: readonly { readonly id: string; readonly label: string }[];
  /** Keys in BASE and HEAD that were compared (matched pairs). */
  readonly keysCompared: number;
  /** Only keys with at least one change. */
  readonly keys: readonly KeyDiff[];
  /** Lint findings in HEAD that BASE does not have. */
  readonly findingsAdded: readonly DiffFinding[];
  /** Lint findings of BASE that HEAD no longer has. */
  readonly findingsResolved: readonly DiffFinding[];
}
