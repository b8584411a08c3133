/** Compares BASE and HEAD: keys added, removed and changed, access per principal and capability, new lint findings. */
import { Cell, ExplainedKey, MatrixRow, RowCandidate } from '../explain';
import { Change, ChangeEffect, ConditionKind, DiffFinding, DiffResult, KeyDiff } from './changes';
import { KeyPair, matchKeys } from './match';
import { KeySnapshot, KeyRef, Snapshot, StackFinding } from './snapshot';

/** Compares two snapshots. */
export function diffSnapshots(base: Snapshot, head: Snapshot): DiffResult {
  const matching = matchKeys(base.keys, head.keys);
  const keys: KeyDiff[] = [];
  for (const pair of matching.pairs) {
    const changes = [...settingChanges(pair), ...accessChanges(pair.base.explained, pair.head.explained, head.capabilities)];
    if (changes.length > 0 || pair.matchedBy === 'alias') {
      keys.push({ base: refOf(pair.base), head: refOf(pair.head), matchedBy: pair.matchedBy, changes });
    }
  }
  for (const key of matching.added) {
    const added: Change = { kind: 'key-added', effect: 'neutral', summary: `new ${key.resourceType}` };
    keys.push({ head: refOf(key), changes: [added, ...accessChanges(undefined, key.explained, head.capabilities)] });
  }
  for (const key of matching.removed) {
    const deletes = deletesMaterial(key.removal.deletionPolicy) && !key.sharesKeyMaterial;
    const summary = deletes
      ? `key removed: DeletionPolicy ${key.removal.deletionPolicy} schedules its key material for deletion in ${key.facts.pendingWindowDays} days; data encrypted under it becomes unreadable`
      : deletesMaterial(key.removal.deletionPolicy)
        ? `key removed: DeletionPolicy ${key.removal.deletionPolicy} deletes this replica; its key material remains in the primary`
        : `key removed from the stack; DeletionPolicy ${key.removal.deletionPolicy} keeps the key in the account`;
    keys.push({ base: refOf(key), changes: [{ kind: 'key-removed', effect: deletes ? 'weaker' : 'less-access', summary, deletesKeyMaterial: deletes }] });
  }
  const { added, resolved } = findingChanges(base.findings, head.findings, matching.pairs);
  return { capabilities: head.capabilities, keysCompared: matching.pairs.length, keys, findingsAdded: added, findingsResolved: resolved };
}

function refOf(key: KeySnapshot): KeyRef {
  const { stackName, logicalId, constructPath, resourceType, aliases } = key;
  return { stackName, logicalId, constructPath, resourceType, aliases };
}

/** CloudFormation keeps the resource only for Retain and RetainExceptOnCreate. */
function deletesMaterial(policy: string): boolean {
  return policy !== 'Retain' && policy !== 'RetainExceptOnCreate';
}

function settingChanges({ base, head }: KeyPair): Change[] {
  const changes: Change[] = [];
  const add = (setting: string, from: Change['from'], to: Change['to'], effect: ChangeEffect, summary: string, extra: Partial<Change> = {}) =>
    changes.push({ kind: extra.kind ?? 'deletion-protection-changed', effect, summary, setting, from, to, ...extra });

  const replacedBy = Object.keys(head.replacementProperties).filter((name) => base.replacementProperties[name] !== head.replacementProperties[name]);
  if (replacedBy.length > 0) {
    const deletes = deletesMaterial(base.removal.updateReplacePolicy) && !base.sharesKeyMaterial;
    const what = replacedBy.map((name) => `${name} ${base.replacementProperties[name] ?? '(unset)'} → ${head.replacementProperties[name] ?? '(unset)'}`).join(', ');
    changes.push({
      kind: 'key-replaced',
      effect: deletes ? 'weaker' : 'neutral',
      summary: `${what} replaces the key: new key material; ${deletes
        ? `UpdateReplacePolicy ${base.removal.updateReplacePolicy} schedules the old key for deletion, and data encrypted under it becomes unreadable`
        : base.sharesKeyMaterial ? 'the old key material remains in its primary' : `UpdateReplacePolicy ${base.removal.updateReplacePolicy} keeps the old key`}`,
      setting: replacedBy.join(', '),
      deletesKeyMaterial: deletes,
    });
  }
  if (base.posture !== head.posture) {
    const widened = head.posture === 'IAM_DELEGATED';
    add('posture', base.posture, head.posture, widened ? 'weaker' : 'stronger', widened
      ? 'posture STRICT → IAM_DELEGATED: IAM policies of the account can now grant use of the key'
      : 'posture IAM_DELEGATED → STRICT: only principals the key policy names can use the key', { kind: 'posture-changed' });
  }
  const [rotationBefore, rotationAfter] = [base.facts.rotation, head.facts.rotation];
  if (rotationBefore !== rotationAfter) {
    const effect = rotationAfter === false ? 'weaker' : rotationAfter === true ? 'stronger' : 'neutral';
    add('rotation', rotationBefore, rotationAfter, effect, `automatic rotation ${onOff(rotationBefore)} → ${onOff(rotationAfter)}`, { kind: 'rotation-changed' });
  } else if (base.facts.rotationPeriodDays !== head.facts.rotationPeriodDays) {
    const [from, to] = [base.facts.rotationPeriodDays, head.facts.rotationPeriodDays];
    const effect = typeof from === 'number' && typeof to === 'number' ? (to > from ? 'weaker' : 'stronger') : 'neutral';
    add('rotationPeriodDays', from, to, effect, `rotation period ${from} → ${to} days`, { kind: 'rotation-changed' });
  }
  for (const [setting, from, to] of [
    ['DeletionPolicy', base.removal.deletionPolicy, head.removal.deletionPolicy],
    ['UpdateReplacePolicy', base.removal.updateReplacePolicy, head.removal.updateReplacePolicy],
  ] as const) {
    if (from === to) continue;
    const effect = deletesMaterial(to) && !deletesMaterial(from) ? 'weaker' : !deletesMaterial(to) && deletesMaterial(from) ? 'stronger' : 'neutral';
    add(setting, from, to, effect, `${setting} ${from} → ${to}${effect === 'weaker' ? ': removing the key from the stack would delete its key material' : ''}`);
  }
  const [windowBefore, windowAfter] = [base.facts.pendingWindowDays, head.facts.pendingWindowDays];
  if (windowBefore !== windowAfter) {
    const effect = typeof windowBefore === 'number' && typeof windowAfter === 'number' ? (windowAfter < windowBefore ? 'weaker' : 'stronger') : 'neutral';
    add('PendingWindowInDays', windowBefore, windowAfter, effect, `deletion pending window ${windowBefore} → ${windowAfter} days`);
  }
  if (base.facts.enabled !== head.facts.enabled) {
    const disabled = head.facts.enabled === false;
    add('Enabled', base.facts.enabled, head.facts.enabled, disabled ? 'less-access' : 'neutral', disabled ? 'key disabled: every use fails' : `key Enabled ${base.facts.enabled} → ${head.facts.enabled}`, { kind: 'enabled-changed' });
  }
  return changes;
}

function onOff(value: unknown): string {
  return value === true ? 'on' : value === false ? 'off' : String(value);
}

const CONDITION_KINDS: readonly [RegExp, ConditionKind][] = [
  [/kms:EncryptionContext/i, 'encryption-context'],
  [/kms:ViaService/i, 'via-service'],
  [/kms:CallerAccount/i, 'caller-account'],
  [/kms:GrantIsForAWSResource/i, 'grant-for-aws-resource'],
  [/aws:Source(Account|Arn|OrgID|OrgPaths)/i, 'source'],
];

function conditionKinds(conditions: readonly string[]): ConditionKind[] {
  const kinds = new Set<ConditionKind>();
  for (const condition of conditions) {
    const matched = CONDITION_KINDS.filter(([pattern]) => pattern.test(condition)).map(([, kind]) => kind);
    (matched.length > 0 ? matched : ['other' as const]).forEach((kind) => kinds.add(kind));
  }
  return [...kinds];
}

const KIND_TEXT: Record<ConditionKind, string> = {
  'encryption-context': 'encryption context',
  'via-service': 'kms:ViaService',
  'caller-account': 'kms:CallerAccount',
  'grant-for-aws-resource': 'grants only for AWS resources',
  'source': 'aws:Source*',
  'other': 'condition',
};

/**
 * Compares the matrices cell by cell. A principal with a row on one side only is evaluated on the
 * other side too: it may have had access there through a row of its own, `*`, NotPrincipal or IAM.
 * Without a BASE key (a new key), it had none.
 */
export function accessChanges(baseKey: ExplainedKey | undefined, headKey: ExplainedKey, capabilities: DiffResult['capabilities']): Change[] {
  const rowsOf = (key: ExplainedKey | undefined) => new Map((key?.matrix.rows ?? []).map((row) => [row.principal, row]));
  const [baseByPrincipal, headByPrincipal] = [rowsOf(baseKey), rowsOf(headKey)];
  const principals = [...new Set([...headByPrincipal.keys(), ...baseByPrincipal.keys()])];
  const changes: Change[] = [];
  for (const principal of principals) {
    const baseRow = baseByPrincipal.get(principal) ?? rowOn(baseKey, headKey.candidates.get(principal));
    const headRow = headByPrincipal.get(principal) ?? rowOn(headKey, baseKey?.candidates.get(principal));
    const principalSource = (headByPrincipal.get(principal) ?? baseByPrincipal.get(principal))!.source;
    for (const { id: capability, label } of capabilities) {
      const before = baseRow?.cells[capability];
      const after = headRow?.cells[capability];
      const beforeActions = new Set(before?.allowedActions ?? []);
      const afterActions = new Set(after?.allowedActions ?? []);
      const gained = [...afterActions].filter((a) => !beforeActions.has(a));
      const lost = [...beforeActions].filter((a) => !afterActions.has(a));
      const common = [...afterActions].filter((a) => beforeActions.has(a));
      const base = { principal, principalSource, capability, before, after };
      const tags = (cell: Cell | undefined) => ({
        crossAccount: cell?.via === 'cross-account',
        viaService: (cell?.conditions ?? []).some((c) => /kms:ViaService/i.test(c)),
      });
      if (gained.length > 0) {
        const partly = after?.status === 'partial' || beforeActions.size > 0;
        const conditional = (after?.conditions.length ?? 0) > 0 ? ' (under conditions)' : '';
        changes.push({
          kind: 'access-gained',
          effect: 'more-access',
          ...base,
          actions: gained,
          ...tags(after),
          summary: `${principal} gains ${label}${partly ? ` (${gained.join(', ')})` : ''}${conditional}${tags(after).crossAccount ? ', cross-account' : ''}`,
        });
      }
      if (lost.length > 0) {
        const partly = afterActions.size > 0 || before?.status === 'partial';
        changes.push({
          kind: 'access-lost',
          effect: 'less-access',
          ...base,
          actions: lost,
          ...tags(before),
          summary: `${principal} loses ${label}${partly ? ` (${lost.join(', ')})` : ''}`,
        });
      }
      if (common.length === 0 || !before || !after) continue;
      const removed = before.conditions.filter((c) => !after.conditions.includes(c));
      const added = after.conditions.filter((c) => !before.conditions.includes(c));
      if (removed.length > 0) {
        // Any condition that no longer holds the same way may let requests through that were refused:
        // a changed value or a dropped alternative counts as a widening too (a reviewer should look).
        const kinds = conditionKinds(removed);
        changes.push({
          kind: 'conditions-widened',
          effect: 'more-access',
          ...base,
          actions: common,
          ...tags(after),
          conditionsRemoved: removed,
          conditionsAdded: added,
          conditionKinds: kinds,
          summary: `${principal}: ${label} ${added.length > 0 ? 'conditions changed' : 'no longer requires'} ${kinds.map((k) => KIND_TEXT[k]).join(', ')}`,
        });
      } else if (added.length > 0) {
        const kinds = conditionKinds(added);
        changes.push({
          kind: 'conditions-narrowed',
          effect: 'less-access',
          ...base,
          actions: common,
          ...tags(after),
          conditionsRemoved: [],
          conditionsAdded: added,
          conditionKinds: kinds,
          summary: `${principal}: ${label} now requires ${kinds.map((k) => KIND_TEXT[k]).join(', ')}`,
        });
      }
    }
  }
  return changes;
}

/** A principal's row on a key, when there is a key and a principal. */
function rowOn(key: ExplainedKey | undefined, candidate: RowCandidate | undefined): MatrixRow | undefined {
  return key && candidate ? key.rowFor(candidate) : undefined;
}

/**
 * Lint findings of HEAD that BASE does not have, and the reverse. A finding is the same when its
 * rule, stack, resource (renamed keys through their match) and message are, with statement numbers
 * left out (adding a statement renumbers the ones after it); duplicates are counted.
 */
function findingChanges(base: readonly StackFinding[], head: readonly StackFinding[], pairs: readonly KeyPair[]) {
  const renamed = new Map(pairs.map((p) => [`${p.head.stackName}\u0000${p.head.logicalId}`, `${p.base.stackName}\u0000${p.base.logicalId}`]));
  const identity = (f: StackFinding, side: 'base' | 'head') => {
    const resource = `${f.stackName}\u0000${f.logicalId}`;
    const key = side === 'head' ? renamed.get(resource) ?? resource : resource;
    return [key, f.ruleId, f.message.replace(/statement #\d+/g, 'statement #')].join('\u0000');
  };
  const subtract = (from: readonly StackFinding[], fromSide: 'base' | 'head', other: readonly StackFinding[], otherSide: 'base' | 'head') => {
    const counts = new Map<string, number>();
    for (const f of other) counts.set(identity(f, otherSide), (counts.get(identity(f, otherSide)) ?? 0) + 1);
    return from.filter((f) => {
      const id = identity(f, fromSide);
      const left = counts.get(id) ?? 0;
      if (left > 0) counts.set(id, left - 1);
      return left === 0;
    }).map(toDiffFinding);
  };
  return { added: subtract(head, 'head', base, 'base'), resolved: subtract(base, 'base', head, 'head') };
}

function toDiffFinding(f: StackFinding): DiffFinding {
  return {
    stackName: f.stackName,
    logicalId: f.logicalId,
    path: f.path,
    resourceType: f.resourceType,
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    location: f.location,
  };
}
