/**
 * The CloudFormation resource types that are KMS keys, and what explain and diff read from each.
 * Adding a key type (a key in a custom key store created by a custom resource, say) is one entry
 * in KEY_KINDS: the access matrix, the diff and its key matching pick it up from here.
 */
import { CfnResource, isOpaque, isPlainObject, KMS_DEFAULT_KEY_POLICY, Resolved, ResolvedObject } from '../lint/template';

/** A value as the template spells it: text for intrinsics only known at deploy time. */
export type FactValue = string | number | boolean | undefined;

/** What one key resource says about its lifecycle, in resolved template terms. */
export interface KeyFacts {
  /** `SYMMETRIC_DEFAULT`, ..., or `unknown` when the template does not say (a replica has its primary's). */
  readonly keySpec: string;
  readonly keyUsage: string;
  /** Automatic rotation: true / false, or `inherited` (a replica rotates with its primary). */
  readonly rotation: boolean | 'inherited' | string;
  /** Rotation period in days when rotation is on (KMS's default is 365). */
  readonly rotationPeriodDays?: FactValue;
  readonly enabled: FactValue;
  readonly multiRegion: FactValue;
  /** Where the key material lives: AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE. */
  readonly origin: FactValue;
  /** The primary key of a replica. */
  readonly primaryKey?: FactValue;
  /** Days between scheduling deletion and deleting the key material (KMS's default is 30). */
  readonly pendingWindowDays: FactValue;
}

/** One kind of key resource. */
export interface KeyKind {
  readonly type: string;
  /** Properties whose change replaces the key: a new key, new key material, the old one deleted or retained. */
  readonly replacedBy: readonly string[];
  /** A replica shares its key material with its primary: deleting it deletes no material. */
  readonly sharesKeyMaterial?: boolean;
  /** The key policy as written (CloudFormation applies KMS's default policy when there is none). */
  keyPolicy(properties: Readonly<Record<string, unknown>>): unknown;
  /** Lifecycle facts from the resolved properties. */
  facts(properties: ResolvedObject): KeyFacts;
}

/** A resolved property as a fact: opaque values as their text (`${Param}`), objects as JSON. */
export function factOf(value: Resolved): FactValue {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isOpaque(value)) return value.text;
  return JSON.stringify(value);
}

function text(value: Resolved, fallback: string): string {
  const fact = factOf(value);
  return fact === undefined ? fallback : String(fact);
}

function flag(value: Resolved, fallback: boolean): FactValue {
  const fact = factOf(value);
  if (fact === undefined) return fallback;
  if (fact === true || fact === 'true' || fact === 'True') return true;
  if (fact === false || fact === 'false' || fact === 'False') return false;
  return fact;
}

const KEY: KeyKind = {
  type: 'AWS::KMS::Key',
  keyPolicy: (properties) => properties.KeyPolicy ?? KMS_DEFAULT_KEY_POLICY,
  facts: (p) => {
    const rotation = flag(p.EnableKeyRotation, false);
    return {
      keySpec: text(p.KeySpec, 'SYMMETRIC_DEFAULT'),
      keyUsage: text(p.KeyUsage, 'ENCRYPT_DECRYPT'),
      rotation: typeof rotation === 'boolean' ? rotation : String(rotation),
      rotationPeriodDays: rotation === true ? factOf(p.RotationPeriodInDays) ?? 365 : undefined,
      enabled: flag(p.Enabled, true),
      multiRegion: flag(p.MultiRegion, false),
      origin: factOf(p.Origin) ?? 'AWS_KMS',
      pendingWindowDays: factOf(p.PendingWindowInDays) ?? 30,
    };
  },
  replacedBy: ['KeySpec', 'KeyUsage', 'MultiRegion', 'Origin'],
};

const REPLICA_KEY: KeyKind = {
  type: 'AWS::KMS::ReplicaKey',
  keyPolicy: (properties) => properties.KeyPolicy ?? KMS_DEFAULT_KEY_POLICY,
  facts: (p) => ({
    keySpec: 'unknown',
    keyUsage: 'unknown',
    rotation: 'inherited',
    enabled: flag(p.Enabled, true),
    multiRegion: true,
    origin: 'AWS_KMS',
    primaryKey: factOf(p.PrimaryKeyArn),
    pendingWindowDays: factOf(p.PendingWindowInDays) ?? 30,
  }),
  replacedBy: ['PrimaryKeyArn'],
  sharesKeyMaterial: true,
};

/** Every key resource type explain and diff know. */
export const KEY_KINDS: readonly KeyKind[] = [KEY, REPLICA_KEY];

const BY_TYPE = new Map(KEY_KINDS.map((kind) => [kind.type, kind]));

/** The kind of a resource when it is a key. */
export function keyKindOf(resource: CfnResource | undefined): KeyKind | undefined {
  return typeof resource?.Type === 'string' ? BY_TYPE.get(resource.Type) : undefined;
}

/** The resolved Properties of a resource as an object (anything else counts as none). */
export function propertiesOf(resolved: Resolved): ResolvedObject {
  return isPlainObject(resolved) ? resolved : {};
}
