/**
 * Synth-time checks of ManagedKey props. Each returns the problems it finds as sentences that say
 * what is wrong and how to fix it; ManagedKey prefixes them with the construct path.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { isSymmetricEncryption, usageOfCapability, usagesOfSpec, KeyCapability } from './capability';

const ALIAS_PREFIX = 'alias/';
const ALIAS_MAX_LENGTH = 256;

/** Normalises `orders` to `alias/orders`. */
export function aliasName(alias: string): string {
  return alias.startsWith(ALIAS_PREFIX) ? alias : `${ALIAS_PREFIX}${alias}`;
}

/** Problems with a list of aliases (names as given by the user). */
export function aliasProblems(aliases: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const alias of aliases) {
    if (Token.isUnresolved(alias)) continue;
    const name = aliasName(alias);
    const bare = name.slice(ALIAS_PREFIX.length);
    if (bare.length === 0) {
      problems.push(`alias '${alias}' has no name: give a name such as 'orders' (becomes alias/orders)`);
    } else if (name.startsWith('alias/aws/')) {
      problems.push(`alias '${alias}' uses the prefix alias/aws/, which is reserved for AWS managed keys: choose another name`);
    } else if (!/^[a-zA-Z0-9/_-]+$/.test(bare)) {
      problems.push(`alias '${alias}' has characters KMS does not allow: use only letters, digits, '/', '_' and '-'`);
    } else if (name.length > ALIAS_MAX_LENGTH) {
      problems.push(`alias '${alias}' is ${name.length} characters long with its alias/ prefix; KMS allows ${ALIAS_MAX_LENGTH}: shorten it`);
    }
    if (seen.has(name)) problems.push(`alias '${name}' is given twice: remove the duplicate`);
    seen.add(name);
  }
  return problems;
}

/** What decides whether a key can rotate automatically. */
export interface RotationFacts {
  readonly keySpec: kms.KeySpec;
  readonly importedMaterial: boolean;
  readonly customKeyStore: boolean;
}

/** Why a key cannot rotate automatically, or undefined when it can. */
export function whyRotationImpossible(facts: RotationFacts): string | undefined {
  if (!isSymmetricEncryption(facts.keySpec)) return `a ${facts.keySpec} key cannot rotate automatically (only SYMMETRIC_DEFAULT keys can)`;
  if (facts.importedMaterial) return 'a key with imported key material (origin EXTERNAL) cannot rotate automatically';
  if (facts.customKeyStore) return 'a key in a custom key store cannot rotate automatically';
  return undefined;
}

/** Problems with an explicit rotation request. */
export function rotationProblems(facts: RotationFacts, enabled: boolean | undefined, period: Duration | undefined): string[] {
  const impossible = whyRotationImpossible(facts);
  if (impossible && (enabled === true || period !== undefined)) {
    return [`${impossible}: remove the rotation settings`];
  }
  if (period !== undefined && !period.isUnresolved()) {
    const days = period.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 90 || days > 2560) {
      return [`rotation period ${period.toHumanString()} is outside what KMS allows: give a whole number of days from 90 to 2560`];
    }
  }
  if (enabled === false && period !== undefined) {
    return ['a rotation period is given but rotation is disabled: remove the period or enable rotation'];
  }
  return [];
}

/** Problems with the pending window of key deletion. */
export function pendingWindowProblems(pendingWindow: Duration): string[] {
  if (pendingWindow.isUnresolved()) return [];
  const days = pendingWindow.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 7 || days > 30) {
    return [`pending window ${pendingWindow.toHumanString()} is outside what KMS allows: give a whole number of days from 7 to 30`];
  }
  return [];
}

/** Problems with a key usage for a key spec. */
export function keyUsageProblems(keySpec: kms.KeySpec, keyUsage: kms.KeyUsage): string[] {
  const supported = usagesOfSpec(keySpec);
  if (supported.length === 0) return [`key spec ${keySpec} is unknown: use one of kms.KeySpec`];
  if (!supported.includes(keyUsage)) {
    return [`key spec ${keySpec} does not support key usage ${keyUsage}: use ${supported.join(' or ')}`];
  }
  return [];
}

/** Problems with a capability on a key of this usage. */
export function capabilityProblems(capability: KeyCapability, keySpec: kms.KeySpec, keyUsage: kms.KeyUsage): string[] {
  const needed = usageOfCapability(capability);
  if (needed === undefined || needed === keyUsage) return [];
  return [`a ${keySpec} key with usage ${keyUsage} cannot ${capability.toLowerCase().replace(/_/g, ' ')} (that needs usage ${needed}): choose a capability of this key, or another key spec/usage`];
}
