/**
 * The table function's settings from its environment (set by EnvelopeEncryptedTable), validated
 * at cold start. Besides the codec variables (config.ts):
 *
 *   ENVELOPE_TABLE_NAME          the table
 *   ENVELOPE_PARTITION_KEY       partition key attribute name
 *   ENVELOPE_SORT_KEY            sort key attribute name (optional)
 *   ENVELOPE_ATTRIBUTE_ACTIONS   JSON object: attribute name -> ENCRYPT_AND_SIGN | SIGN_ONLY | DO_NOTHING
 *   ENVELOPE_DEFAULT_ACTION      action for attributes not listed (default ENCRYPT_AND_SIGN)
 *   ENVELOPE_ACCESS              READ_WRITE (default) | READ: a READ function refuses writes
 *   ENVELOPE_TENANT_ATTRIBUTE    with ENVELOPE_BRANCH_KEY_TENANTS: the attribute naming each item's
 *                                tenant (the partition key, the sort key or a SIGN_ONLY attribute)
 *
 * and the branch key variables (ENVELOPE_BRANCH_KEY_*, branch-key-config.ts): with them each item's
 * message carries its own encryption context (item-envelope.ts).
 */
import { BranchKeyConfig, readBranchKeyConfig } from './branch-key-config';
import { CodecConfig, Env, misconfigured, readCodecConfig, requireEnv } from './config';
import { AttributeAction } from '../../src/envelope/attribute-action';

/** The attribute that holds each item's ESDK message. */
export const ENVELOPE_ATTRIBUTE = 'aws_envelope';

export type TableAccess = 'READ_WRITE' | 'READ';

export interface ItemSchema {
  readonly tableName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute name -> action. A Map: attribute names are client data and may be any string. */
  readonly actions: ReadonlyMap<string, AttributeAction>;
  readonly defaultAction: AttributeAction;
  /** Set with branch keys: each message carries its item's own encryption context. */
  readonly itemContext?: ItemContextConfig;
}

/** The per-item encryption context of a table with branch keys. */
export interface ItemContextConfig {
  /** The attribute naming each item's tenant, and the configured tenants (both or neither). */
  readonly tenantAttribute?: string;
  readonly tenants?: ReadonlySet<string>;
}

export interface TableConfig {
  readonly schema: ItemSchema;
  readonly access: TableAccess;
  readonly codec: CodecConfig;
  /** The branch key store settings, when the table uses branch keys. */
  readonly branchKeys?: BranchKeyConfig;
}

const ACTIONS = new Set<string>(Object.values(AttributeAction));

function parseAction(value: unknown, where: string): AttributeAction {
  if (typeof value !== 'string' || !ACTIONS.has(value)) {
    throw misconfigured(`${where} must be one of ${[...ACTIONS].join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as AttributeAction;
}

function parseActions(raw: string | undefined): Map<string, AttributeAction> {
  if (raw === undefined || raw === '') return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw misconfigured('ENVELOPE_ATTRIBUTE_ACTIONS must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw misconfigured('ENVELOPE_ATTRIBUTE_ACTIONS must be a JSON object');
  }
  // JSON.parse keeps `__proto__` as an own member and Object.entries lists it; the Map keeps it too.
  const actions = new Map<string, AttributeAction>();
  for (const [name, action] of Object.entries(parsed)) {
    actions.set(name, parseAction(action, `ENVELOPE_ATTRIBUTE_ACTIONS[${JSON.stringify(name)}]`));
  }
  return actions;
}

export function readTableConfig(env: Env): TableConfig {
  const codec = readCodecConfig(env);
  const partitionKey = requireEnv(env, 'ENVELOPE_PARTITION_KEY');
  const sortKey = env.ENVELOPE_SORT_KEY || undefined;
  const actions = parseActions(env.ENVELOPE_ATTRIBUTE_ACTIONS);
  for (const key of [partitionKey, sortKey]) {
    if (key !== undefined && actions.get(key) === AttributeAction.ENCRYPT_AND_SIGN) {
      throw misconfigured(`Key attribute ${key} cannot be ENCRYPT_AND_SIGN: keys stay plaintext (they are bound to the ciphertext)`);
    }
  }
  if (actions.has(ENVELOPE_ATTRIBUTE) || [partitionKey, sortKey].includes(ENVELOPE_ATTRIBUTE)) {
    throw misconfigured(`${ENVELOPE_ATTRIBUTE} is reserved for the envelope`);
  }
  const defaultAction = env.ENVELOPE_DEFAULT_ACTION
    ? parseAction(env.ENVELOPE_DEFAULT_ACTION, 'ENVELOPE_DEFAULT_ACTION')
    : AttributeAction.ENCRYPT_AND_SIGN;
  const branchKeys = readBranchKeyConfig(env);
  const itemContext = branchKeys && readItemContext(env, branchKeys, [partitionKey, sortKey], actions);
  if (!branchKeys && env.ENVELOPE_TENANT_ATTRIBUTE) throw misconfigured('ENVELOPE_TENANT_ATTRIBUTE needs the branch key variables (ENVELOPE_BRANCH_KEY_*)');
  const access = env.ENVELOPE_ACCESS ?? 'READ_WRITE';
  if (access !== 'READ_WRITE' && access !== 'READ') throw misconfigured(`ENVELOPE_ACCESS must be READ_WRITE or READ, got '${access}'`);
  return {
    codec,
    access,
    ...(branchKeys ? { branchKeys } : {}),
    schema: {
      tableName: requireEnv(env, 'ENVELOPE_TABLE_NAME'),
      partitionKey,
      sortKey,
      actions,
      defaultAction,
      ...(itemContext ? { itemContext } : {}),
    },
  };
}

/** Tenants come with a tenant attribute bound to the item: a key, or SIGN_ONLY by name. */
function readItemContext(
  env: Env,
  branchKeys: BranchKeyConfig,
  keys: Array<string | undefined>,
  actions: ReadonlyMap<string, AttributeAction>,
): ItemContextConfig {
  const tenantAttribute = env.ENVELOPE_TENANT_ATTRIBUTE || undefined;
  if (!branchKeys.tenants) {
    if (tenantAttribute !== undefined) throw misconfigured('ENVELOPE_TENANT_ATTRIBUTE needs ENVELOPE_BRANCH_KEY_TENANTS');
    return {};
  }
  if (tenantAttribute === undefined) throw misconfigured('ENVELOPE_BRANCH_KEY_TENANTS needs ENVELOPE_TENANT_ATTRIBUTE (the attribute naming each item\'s tenant)');
  if (tenantAttribute === '__proto__' || (!keys.includes(tenantAttribute) && actions.get(tenantAttribute) !== AttributeAction.SIGN_ONLY)) {
    throw misconfigured(`ENVELOPE_TENANT_ATTRIBUTE ${JSON.stringify(tenantAttribute)} must be the partition key, the sort key or a SIGN_ONLY attribute`);
  }
  return { tenantAttribute, tenants: branchKeys.tenants };
}
