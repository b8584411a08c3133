/**
 * The catalogue of KMS key actions: every action that applies to a key, what it does to the key
 * (its kind) and which keys it applies to. One table decides three things:
 * - how the wildcard action names aws-cdk-lib passes (`kms:ReEncrypt*`, `kms:GenerateDataKey*`,
 *   `kms:Describe*`, `kms:List*`, ..., `kms:*`) expand into the explicit actions they cover for
 *   one key: names are matched case-insensitively, as IAM does, against this table only, so a
 *   wildcard can never reach an action the table does not list;
 * - which names are not KMS key actions at all (`kms:Bogus`, `s3:GetObject`, `kms:CreateKey`);
 * - which actions `grant()` may hand out in the STRICT posture (use and read-only metadata; grant
 *   management only for AWS resources; never administration or the policy).
 * Module-internal to the library (not exported from the package): KeyActions holds the named lists.
 */
import * as kms from 'aws-cdk-lib/aws-kms';

/** What an action does to a key. */
export enum ActionKind {
  /** Cryptographic use. */
  USE = 'USE',
  /** Read-only metadata. */
  READ = 'READ',
  /** CreateGrant, ListGrants, RevokeGrant: the ones `kms:GrantIsForAWSResource` can limit. */
  GRANTS = 'GRANTS',
  /** Key lifecycle and configuration. */
  ADMINISTER = 'ADMINISTER',
  /** Changing the key policy. */
  POLICY = 'POLICY',
}

/** The facts about a key that decide which actions apply to it. */
export interface KeyFacts {
  readonly keySpec: kms.KeySpec;
  readonly keyUsage: kms.KeyUsage;
  readonly multiRegion: boolean;
  readonly importedMaterial: boolean;
}

type Applies = (key: KeyFacts) => boolean;

const always: Applies = () => true;
const usage = (...usages: kms.KeyUsage[]): Applies => (key) => usages.includes(key.keyUsage);
const symmetricEncryption: Applies = (key) => key.keySpec === kms.KeySpec.SYMMETRIC_DEFAULT && key.keyUsage === kms.KeyUsage.ENCRYPT_DECRYPT;
const asymmetric: Applies = (key) => key.keySpec !== kms.KeySpec.SYMMETRIC_DEFAULT && !String(key.keySpec).startsWith('HMAC_');
const multiRegion: Applies = (key) => key.multiRegion;
const importedMaterial: Applies = (key) => key.importedMaterial;

/** Every action that applies to a KMS key resource (account-level actions such as CreateKey are not here). */
const CATALOGUE: ReadonlyArray<readonly [string, ActionKind, Applies]> = [
  ['Encrypt', ActionKind.USE, usage(kms.KeyUsage.ENCRYPT_DECRYPT)],
  ['Decrypt', ActionKind.USE, usage(kms.KeyUsage.ENCRYPT_DECRYPT)],
  ['ReEncryptFrom', ActionKind.USE, usage(kms.KeyUsage.ENCRYPT_DECRYPT)],
  ['ReEncryptTo', ActionKind.USE, usage(kms.KeyUsage.ENCRYPT_DECRYPT)],
  ['GenerateDataKey', ActionKind.USE, symmetricEncryption],
  ['GenerateDataKeyWithoutPlaintext', ActionKind.USE, symmetricEncryption],
  ['GenerateDataKeyPair', ActionKind.USE, symmetricEncryption],
  ['GenerateDataKeyPairWithoutPlaintext', ActionKind.USE, symmetricEncryption],
  ['Sign', ActionKind.USE, usage(kms.KeyUsage.SIGN_VERIFY)],
  ['Verify', ActionKind.USE, usage(kms.KeyUsage.SIGN_VERIFY)],
  ['GenerateMac', ActionKind.USE, usage(kms.KeyUsage.GENERATE_VERIFY_MAC)],
  ['VerifyMac', ActionKind.USE, usage(kms.KeyUsage.GENERATE_VERIFY_MAC)],
  ['DeriveSharedSecret', ActionKind.USE, usage(kms.KeyUsage.KEY_AGREEMENT)],
  ['DescribeKey', ActionKind.READ, always],
  ['GetPublicKey', ActionKind.READ, asymmetric],
  ['GetKeyPolicy', ActionKind.READ, always],
  ['GetKeyRotationStatus', ActionKind.READ, always],
  ['ListKeyPolicies', ActionKind.READ, always],
  ['ListKeyRotations', ActionKind.READ, always],
  ['ListResourceTags', ActionKind.READ, always],
  ['CreateGrant', ActionKind.GRANTS, always],
  ['ListGrants', ActionKind.GRANTS, always],
  ['RevokeGrant', ActionKind.GRANTS, always],
  ['RetireGrant', ActionKind.ADMINISTER, always],
  ['EnableKey', ActionKind.ADMINISTER, always],
  ['DisableKey', ActionKind.ADMINISTER, always],
  ['EnableKeyRotation', ActionKind.ADMINISTER, always],
  ['DisableKeyRotation', ActionKind.ADMINISTER, always],
  ['RotateKeyOnDemand', ActionKind.ADMINISTER, always],
  ['TagResource', ActionKind.ADMINISTER, always],
  ['UntagResource', ActionKind.ADMINISTER, always],
  ['UpdateKeyDescription', ActionKind.ADMINISTER, always],
  ['CreateAlias', ActionKind.ADMINISTER, always],
  ['UpdateAlias', ActionKind.ADMINISTER, always],
  ['DeleteAlias', ActionKind.ADMINISTER, always],
  ['ScheduleKeyDeletion', ActionKind.ADMINISTER, always],
  ['CancelKeyDeletion', ActionKind.ADMINISTER, always],
  ['ReplicateKey', ActionKind.ADMINISTER, multiRegion],
  ['UpdatePrimaryRegion', ActionKind.ADMINISTER, multiRegion],
  ['SynchronizeMultiRegionKey', ActionKind.ADMINISTER, multiRegion],
  ['GetParametersForImport', ActionKind.ADMINISTER, importedMaterial],
  ['ImportKeyMaterial', ActionKind.ADMINISTER, importedMaterial],
  ['DeleteImportedKeyMaterial', ActionKind.ADMINISTER, importedMaterial],
  ['PutKeyPolicy', ActionKind.POLICY, always],
];

interface Entry {
  readonly action: string;
  readonly kind: ActionKind;
  readonly applies: Applies;
}

/** Lower-cased name without the `kms:` prefix → entry (a Map: the names are user input). */
const BY_NAME = new Map<string, Entry>(CATALOGUE.map(([name, kind, applies]) => [name.toLowerCase(), { action: `kms:${name}`, kind, applies }]));

/** Every KMS key action of the catalogue, `kms:`-prefixed. */
export function allKeyActions(): string[] {
  return [...BY_NAME.values()].map((entry) => entry.action);
}

/** The kind of a catalogued action (`kms:`-prefixed, any case), or undefined. */
export function kindOf(action: string): ActionKind | undefined {
  return entryOf(action)?.kind;
}

/** The actions of the catalogue that apply to this key. */
export function actionsForKey(key: KeyFacts): string[] {
  return [...BY_NAME.values()].filter((entry) => entry.applies(key)).map((entry) => entry.action);
}

/** Actions expanded for one key, and what was wrong with the names given. */
export interface ExpandedActions {
  /** Explicit, canonical action names, sorted and without duplicates. */
  readonly actions: string[];
  /** Sentences naming each bad action name; empty when every name was fine. */
  readonly problems: string[];
}

/**
 * Expands action names (explicit or with IAM's `*` and `?` wildcards) into the explicit catalogue
 * actions they cover for this key. A wildcard that covers catalogued actions, none of which apply
 * to this key (`kms:GenerateDataKey*` on an RSA key), expands to nothing; a name outside the
 * catalogue, or an explicit action this key cannot do, is a problem.
 */
export function expandActions(names: string[], key: KeyFacts): ExpandedActions {
  const actions = new Set<string>();
  const unknown: string[] = [];
  const inapplicable: string[] = [];
  for (const name of names) {
    const match = /^kms:(.+)$/i.exec(String(name));
    if (!match) {
      unknown.push(String(name));
      continue;
    }
    if (/[*?]/.test(match[1])) {
      const pattern = globToRegExp(match[1]);
      const covered = [...BY_NAME.values()].filter((entry) => pattern.test(entry.action.slice('kms:'.length)));
      if (covered.length === 0) unknown.push(name);
      covered.filter((entry) => entry.applies(key)).forEach((entry) => actions.add(entry.action));
      continue;
    }
    const entry = entryOf(name);
    if (!entry) unknown.push(name);
    else if (!entry.applies(key)) inapplicable.push(entry.action);
    else actions.add(entry.action);
  }
  const problems: string[] = [];
  const valid = () => `the actions of this key are ${actionsForKey(key).join(', ')}`;
  if (unknown.length > 0) {
    problems.push(`${unknown.map(quote).join(', ')} ${unknown.length === 1 ? 'is not a KMS key action' : 'are not KMS key actions'}: ${valid()}`);
  }
  if (inapplicable.length > 0) {
    const facts = `${key.keySpec}, usage ${key.keyUsage}, ${key.multiRegion ? 'multi-Region' : 'single-Region'}, ` +
      `key material ${key.importedMaterial ? 'imported' : 'from KMS'}`;
    problems.push(`this key (${facts}) cannot do ${inapplicable.join(', ')}: ${valid()}`);
  }
  return { actions: [...actions].sort(), problems };
}

function entryOf(action: string): Entry | undefined {
  const match = /^kms:(.+)$/i.exec(action);
  return match ? BY_NAME.get(match[1].toLowerCase()) : undefined;
}

/** IAM's action wildcards: `*` any run of characters, `?` one character; case-insensitive. */
function globToRegExp(glob: string): RegExp {
  const body = glob.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/** Shows a user-given name safely in a message (control characters escaped, long names cut). */
function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}
