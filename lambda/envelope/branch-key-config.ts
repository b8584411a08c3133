/**
 * Branch key settings of the bucket and table functions (the hierarchical keyring,
 * CodecOptions.branchKeys), from the environment EnvelopeEncryptedBucket or EnvelopeEncryptedTable
 * sets, validated at cold start like config.ts:
 *
 *   ENVELOPE_BRANCH_KEY_TABLE              the branch key store's DynamoDB table (unset: no branch keys)
 *   ENVELOPE_BRANCH_KEY_STORE_NAME         its logical name (in every branch key's KMS context)
 *   ENVELOPE_BRANCH_KEY_KMS_ARN            the KMS key that wraps the branch keys
 *   ENVELOPE_BRANCH_KEY_ID                 one branch key for every object, or
 *   ENVELOPE_BRANCH_KEY_TENANTS            comma-separated tenants, each naming its branch key: the
 *                                          first segment of an object's name (after the protected
 *                                          prefix), or an item's tenant attribute (table-config.ts)
 *   ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS  seconds a branch key stays cached, default 300
 */
import { BranchKeyStoreNode, getLocalCryptographicMaterialsCache, NodeAlgorithmSuite } from '@aws-crypto/client-node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { BranchKeyCache, BranchKeyOptions, EncryptionContext } from './codec';
import { Env, intEnv, misconfigured, requireEnv } from './config';
import { EnvelopeError, ErrorCode } from './errors';
import { OBJECT_CONTEXT_KEYS } from './object-location';
import { ownValue } from './own';

/** A tenant (and branch key id): what S3, KMS contexts and DynamoDB keys carry as is. */
export const TENANT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export interface BranchKeyConfig {
  readonly tableName: string;
  readonly logicalStoreName: string;
  readonly kmsKeyArn: string;
  readonly cacheTtlSeconds: number;
  /** One branch key for all objects (exclusive with `tenants`). */
  readonly branchKeyId?: string;
  /** Tenants, each its own branch key of the same id. */
  readonly tenants?: ReadonlySet<string>;
}

/** The branch key settings, or undefined when the function does not use branch keys. */
export function readBranchKeyConfig(env: Env): BranchKeyConfig | undefined {
  const tableName = env.ENVELOPE_BRANCH_KEY_TABLE;
  if (tableName === undefined || tableName === '') return undefined;
  if (!TABLE_NAME.test(tableName)) throw misconfigured(`ENVELOPE_BRANCH_KEY_TABLE must be a DynamoDB table name, got '${tableName}'`);
  const logicalStoreName = requireEnv(env, 'ENVELOPE_BRANCH_KEY_STORE_NAME');
  const kmsKeyArn = requireEnv(env, 'ENVELOPE_BRANCH_KEY_KMS_ARN');
  if (!KEY_ARN.test(kmsKeyArn)) throw misconfigured(`ENVELOPE_BRANCH_KEY_KMS_ARN must be a KMS key ARN, got '${kmsKeyArn}'`);
  const cacheTtlSeconds = intEnv(env, 'ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS', 300, 1, 86_400);
  const id = env.ENVELOPE_BRANCH_KEY_ID;
  const list = env.ENVELOPE_BRANCH_KEY_TENANTS;
  const hasId = id !== undefined && id !== '';
  const hasList = list !== undefined && list !== '';
  if (hasId === hasList) throw misconfigured('Exactly one of ENVELOPE_BRANCH_KEY_ID and ENVELOPE_BRANCH_KEY_TENANTS must be set');
  const base = { tableName, logicalStoreName, kmsKeyArn, cacheTtlSeconds };
  if (hasId) {
    if (!TENANT_PATTERN.test(id)) throw misconfigured(`ENVELOPE_BRANCH_KEY_ID must match ${TENANT_PATTERN}, got '${id}'`);
    return { ...base, branchKeyId: id };
  }
  const tenants = new Set<string>();
  for (const tenant of list!.split(',')) {
    if (!TENANT_PATTERN.test(tenant) || tenant === '.' || tenant === '..') {
      throw misconfigured(`ENVELOPE_BRANCH_KEY_TENANTS must be comma-separated names matching ${TENANT_PATTERN}, got '${tenant}'`);
    }
    tenants.add(tenant);
  }
  return { ...base, tenants };
}

/**
 * The tenant of an object: the first segment of its name after the protected prefix. An object
 * outside any listed tenant is an InvalidRequest (it has no branch key).
 */
export function tenantOf(protectedPrefix: string, tenants: ReadonlySet<string>, objectKey: string): string {
  const name = objectKey.startsWith(protectedPrefix) ? objectKey.slice(protectedPrefix.length) : '';
  const slash = name.indexOf('/');
  const tenant = slash > 0 ? name.slice(0, slash) : undefined;
  if (tenant === undefined || !tenants.has(tenant)) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'key must start with a tenant segment (<tenant>/<name>) of a configured tenant');
  }
  return tenant;
}

/**
 * The codec's branch key options: `tenantOfContext` names the tenant of a message from its encryption
 * context (used only with tenants) and throws an EnvelopeError for anything else.
 */
export function codecBranchKeys(
  config: BranchKeyConfig,
  clients: { kms: KMSClient; ddb: DynamoDBClient },
  tenantOfContext: (context: EncryptionContext, tenants: ReadonlySet<string>) => string,
): BranchKeyOptions {
  const keyStore = new BranchKeyStoreNode({
    logicalKeyStoreName: config.logicalStoreName,
    storage: { ddbTableName: config.tableName, ddbClient: clients.ddb },
    keyManagement: { kmsClient: clients.kms },
    kmsConfiguration: { identifier: config.kmsKeyArn },
  });
  const { branchKeyId, tenants } = config;
  return {
    keyStore: shareBranchKeyReads(keyStore, config.cacheTtlSeconds),
    cacheTtlSeconds: config.cacheTtlSeconds,
    cache: keepLiveEntries(1000, config.cacheTtlSeconds),
    decryptKmsMessages: true, // objects and items written before branch keys were turned on
    branchKeyIdFor: (context: EncryptionContext) => branchKeyId ?? tenantOfContext(context, tenants!),
  };
}

/** The codec's branch key options for a bucket function. */
export function bucketBranchKeys(
  config: BranchKeyConfig,
  protectedPrefix: string,
  clients: { kms: KMSClient; ddb: DynamoDBClient },
): BranchKeyOptions {
  return codecBranchKeys(config, clients, (context, tenants) =>
    tenantOf(protectedPrefix, tenants, ownValue(context, OBJECT_CONTEXT_KEYS.objectKey) as string | undefined ?? ''));
}

type BranchKeyMaterials = Awaited<ReturnType<BranchKeyStoreNode['getActiveBranchKey']>>;

/** A copy that owns its key bytes (the keyring's cache zeroes the materials it evicts). */
function copyOf(materials: BranchKeyMaterials): BranchKeyMaterials {
  // NodeBranchKeyMaterial, which @aws-crypto/client-node does not export; its constructor copies the key.
  const Materials = materials.constructor as new (key: Buffer, id: string, version: string, context: object) => BranchKeyMaterials;
  return new Materials(materials.branchKey(), materials.branchKeyIdentifier, materials.branchKeyVersion.toString('utf8'), materials.encryptionContext);
}

/**
 * The store, with the reads a container makes cut to one KMS call per branch key per `ttlSeconds`:
 *
 * - concurrent reads of the same branch key (version) share one read: the keyring caches a branch
 *   key only once it has one, so a batch sealed or opened in parallel on a cold container would
 *   otherwise read (and have KMS unwrap) the same branch key once per item;
 * - a version read for the version that was just read as the active one (a container decrypting
 *   what it encrypted) is served from a private copy of it: the keyring caches the two apart.
 *
 * An object whose prototype is the store, as the keyring accepts only a BranchKeyStoreNode.
 */
export function shareBranchKeyReads(store: BranchKeyStoreNode, ttlSeconds: number): BranchKeyStoreNode {
  const pending = new Map<string, Promise<BranchKeyMaterials>>();
  const active = new Map<string, { readonly materials: BranchKeyMaterials; readonly at: number }>();
  const shared = (id: string, read: () => Promise<BranchKeyMaterials>): Promise<BranchKeyMaterials> => {
    let promise = pending.get(id);
    if (!promise) {
      promise = read().finally(() => pending.delete(id));
      pending.set(id, promise);
    }
    return promise;
  };
  const readActive = async (branchKeyId: string): Promise<BranchKeyMaterials> => {
    const materials = await store.getActiveBranchKey(branchKeyId);
    active.get(branchKeyId)?.materials.zeroUnencryptedDataKey();
    active.set(branchKeyId, { materials: copyOf(materials), at: Date.now() });
    return materials;
  };
  const readVersion = async (branchKeyId: string, version: string): Promise<BranchKeyMaterials> => {
    const known = active.get(branchKeyId);
    if (known && Date.now() - known.at < ttlSeconds * 1000 && known.materials.branchKeyVersion.toString('utf8') === version) {
      return copyOf(known.materials);
    }
    return store.getBranchKeyVersion(branchKeyId, version);
  };
  return Object.create(store, {
    getActiveBranchKey: {
      value: (branchKeyId: string) => shared(`active\n${branchKeyId}`, () => readActive(branchKeyId)),
    },
    getBranchKeyVersion: {
      value: (branchKeyId: string, version: string) => shared(`version\n${branchKeyId}\n${version}`, () => readVersion(branchKeyId, version)),
    },
  }) as BranchKeyStoreNode;
}

/**
 * The keyring's branch key cache, keeping a live entry when the same materials are put again: the
 * callers that shared one read (shareBranchKeyReads) each put what they got, and replacing an entry
 * zeroes its materials while another operation may still be using them.
 */
export function keepLiveEntries(capacity: number, ttlSeconds: number): BranchKeyCache {
  const cache = getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>(capacity);
  return {
    ...cache,
    putBranchKeyMaterial(key, material, maxAge) {
      const live = cache.getBranchKeyMaterial(key);
      if (live && live.response === material && Date.now() - live.now <= ttlSeconds * 1000) return;
      cache.putBranchKeyMaterial(key, material, maxAge);
    },
  };
}
