/**
 * Pairs the keys of BASE and HEAD: by stack and logical id first, then a key whose logical id
 * changed is still the same key when it keeps one of its aliases (alias names are unique in an
 * account and Region, and the key behind an alias is what applications use).
 */
import { KeySnapshot } from './snapshot';

export type MatchedBy = 'logical-id' | 'alias';

export interface KeyPair {
  readonly base: KeySnapshot;
  readonly head: KeySnapshot;
  readonly matchedBy: MatchedBy;
}

export interface KeyMatching {
  readonly pairs: readonly KeyPair[];
  /** HEAD keys with no BASE key. */
  readonly added: readonly KeySnapshot[];
  /** BASE keys with no HEAD key. */
  readonly removed: readonly KeySnapshot[];
}

const idOf = (key: KeySnapshot) => `${key.stackName}\u0000${key.logicalId}`;

export function matchKeys(base: readonly KeySnapshot[], head: readonly KeySnapshot[]): KeyMatching {
  const baseById = new Map(base.map((key) => [idOf(key), key]));
  const pairs: KeyPair[] = [];
  const unmatchedHead: KeySnapshot[] = [];
  const matchedBase = new Set<KeySnapshot>();
  for (const key of head) {
    const partner = baseById.get(idOf(key));
    if (partner && partner.resourceType === key.resourceType) {
      pairs.push({ base: partner, head: key, matchedBy: 'logical-id' });
      matchedBase.add(partner);
    } else {
      unmatchedHead.push(key);
    }
  }
  // Aliases of BASE keys still unmatched; an alias on two BASE keys (two Regions, say) is ambiguous.
  const baseByAlias = new Map<string, KeySnapshot | null>();
  for (const key of base.filter((k) => !matchedBase.has(k))) {
    for (const alias of key.aliases) baseByAlias.set(alias, baseByAlias.has(alias) ? null : key);
  }
  const added: KeySnapshot[] = [];
  for (const key of unmatchedHead) {
    const candidates = key.aliases.map((alias) => baseByAlias.get(alias)).filter((k): k is KeySnapshot => !!k && !matchedBase.has(k));
    // Prefer a key of the same stack, then the first alias's.
    const partner = candidates.find((k) => k.stackName === key.stackName) ?? candidates[0];
    if (partner) {
      pairs.push({ base: partner, head: key, matchedBy: 'alias' });
      matchedBase.add(partner);
    } else {
      added.push(key);
    }
  }
  return { pairs, added, removed: base.filter((key) => !matchedBase.has(key)) };
}
