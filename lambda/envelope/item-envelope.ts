/**
 * Seals and opens DynamoDB items. Per item, one ESDK message (attribute `aws_envelope`) holds a
 * sealed document:
 *
 *   { v: 1, table, key: {pk, sk}, encrypted: {ENCRYPT_AND_SIGN attributes}, signed: {names, digest} }
 *
 * serialized deterministically. The ENCRYPT_AND_SIGN attributes leave the stored item; keys,
 * SIGN_ONLY and DO_NOTHING attributes stay readable. On read the message is decrypted and
 * authenticated, then the item must match what was sealed: same table and key values (else the
 * ciphertext was moved: CONTEXT_MISMATCH) and the same SIGN_ONLY values (SHA-256 over their
 * canonical form, sealed inside the authenticated message: else INTEGRITY_CHECK_FAILED), and no
 * protected attribute may appear that the function did not write.
 *
 * Why the item binding is sealed inside the message rather than put into the KMS encryption
 * context: the data-key cache is keyed by the encryption context, so per-item context values would
 * cost one KMS call per item. The KMS context is { 'envelope:table': <table> } (pinned by the
 * key policy); the ESDK message authenticates the sealed binding with the same strength.
 *
 * With branch keys (schema.itemContext) each data key is derived locally from a branch key, so the
 * message also carries the item's own context at no KMS call per item:
 *
 *   { envelope:table, envelope:partition-key, envelope:sort-key?, envelope:tenant? }
 *
 * (key values as strings, numbers in their JavaScript string form; the tenant names the branch
 * key). On read the expected context is built from the stored item and must match exactly; items
 * written before branch keys (KMS keyring) must carry the table-only context instead. The sealed
 * document is checked either way.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';
import { Codec, EncryptionContext } from './codec';
import { EnvelopeError, ErrorCode } from './errors';
import { checkAttribute, isWellFormed, quoteName } from './item-validation';
import { ownValue, setOwn } from './own';
import { ENVELOPE_ATTRIBUTE, ItemSchema } from './table-config';
import { AttributeAction } from '../../src/envelope/attribute-action';

/** A plain item (JSON values, as callers send them). */
export type Item = Record<string, unknown>;

/** The encryption-context key that names the table (the key policy pins it). */
export const TABLE_CONTEXT_KEY = 'envelope:table';

/** The per-item context keys (with branch keys); the construct exports them as ItemEncryptionContext. */
export const ITEM_CONTEXT_KEYS = {
  table: TABLE_CONTEXT_KEY,
  partitionKey: 'envelope:partition-key',
  sortKey: 'envelope:sort-key',
  tenant: 'envelope:tenant',
} as const;

const FORMAT_VERSION = 1;

interface SealedDocument {
  readonly v: number;
  readonly table: string;
  readonly key: Item;
  readonly encrypted: Item;
  readonly signed: { readonly names: string[]; readonly digest: string };
}

export function tableContext(schema: ItemSchema): EncryptionContext {
  return { [TABLE_CONTEXT_KEY]: schema.tableName };
}

/** A key value as a context value: strings as they are, numbers in their JavaScript string form. */
function contextValue(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * The context of an item's message with branch keys, from the item's own values (`key`: its
 * checked key attributes). Writing, a tenant that is missing or not configured is an
 * InvalidRequest; reading, a stored item without a valid tenant simply gets no tenant member, so
 * no tenant's message matches it.
 */
export function itemContext(schema: ItemSchema, key: Item, item: Item, writing: boolean): EncryptionContext {
  // Fixed member names only: attribute names and values never become keys here.
  const context: Record<string, string> = {
    [ITEM_CONTEXT_KEYS.table]: schema.tableName,
    [ITEM_CONTEXT_KEYS.partitionKey]: contextValue(ownValue(key, schema.partitionKey)),
  };
  if (schema.sortKey !== undefined) context[ITEM_CONTEXT_KEYS.sortKey] = contextValue(ownValue(key, schema.sortKey));
  const { tenantAttribute, tenants } = schema.itemContext ?? {};
  if (tenantAttribute !== undefined && tenants) {
    const tenant = ownValue(item, tenantAttribute);
    if (typeof tenant === 'string' && tenants.has(tenant)) {
      context[ITEM_CONTEXT_KEYS.tenant] = tenant;
    } else if (writing) {
      throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `Attribute ${quoteName(tenantAttribute)} must name a configured tenant`);
    }
  }
  return context;
}

/**
 * The tenant (branch key id) of a message, from its context: a configured tenant, or a
 * CONTEXT_MISMATCH (the message was not made for this table's tenants).
 */
export function tenantOfContext(context: EncryptionContext, tenants: ReadonlySet<string>): string {
  const tenant = ownValue(context, ITEM_CONTEXT_KEYS.tenant);
  if (typeof tenant !== 'string' || !tenants.has(tenant)) {
    throw new EnvelopeError(ErrorCode.CONTEXT_MISMATCH, 'The ciphertext names no tenant of this table');
  }
  return tenant;
}

export function keyNames(schema: ItemSchema): string[] {
  return schema.sortKey === undefined ? [schema.partitionKey] : [schema.partitionKey, schema.sortKey];
}

/** True for a key value DynamoDB and JSON both carry exactly. */
function isKeyValue(value: unknown): value is string | number {
  if (typeof value === 'string') return value !== '' && isWellFormed(value);
  return typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value));
}

/**
 * The key attributes of an item; each must be a non-empty, well-formed string or a number JSON
 * carries exactly. Names are looked up as own members only (see own.ts).
 */
export function keyOf(schema: ItemSchema, item: Item): Item {
  const key: Item = {};
  for (const name of keyNames(schema)) {
    const value = ownValue(item, name);
    if (!isKeyValue(value)) {
      throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `Key attribute ${quoteName(name)} must be a non-empty string or a number (integers within ±2^53)`);
    }
    setOwn(key, name, value);
  }
  return key;
}

/** The action of an attribute: a Map lookup, so no name (`toString`, `__proto__`) can match an inherited member. */
export function actionFor(schema: ItemSchema, name: string): AttributeAction {
  if (keyNames(schema).includes(name)) return AttributeAction.SIGN_ONLY;
  return schema.actions.get(name) ?? schema.defaultAction;
}

/** SHA-256 over the named attributes as stored (an absent attribute is distinct from null). */
function signedDigest(item: Item, names: string[]): string {
  const entries = names.map((name) => (Object.prototype.hasOwnProperty.call(item, name) ? [name, ownValue(item, name)] : [name]));
  return createHash('sha256').update(canonicalJson(entries)).digest('base64');
}

/** The item to store: plaintext keys and SIGN_ONLY / DO_NOTHING attributes, plus the envelope. */
export async function sealItem(codec: Codec, schema: ItemSchema, item: Item): Promise<Item> {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'An item must be a JSON object');
  }
  if (Object.prototype.hasOwnProperty.call(item, ENVELOPE_ATTRIBUTE)) {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, `${ENVELOPE_ATTRIBUTE} is a reserved attribute name`);
  }
  const key = keyOf(schema, item);
  // The tenant is checked before any attribute: an item of no configured tenant writes nothing.
  const context = schema.itemContext ? itemContext(schema, key, item, true) : tableContext(schema);
  const stored: Item = {};
  const encrypted: Item = {};
  const signedNames: string[] = [];
  // Every attribute is checked before anything is sealed: a put that cannot carry one faithfully
  // fails whole (item-validation.ts). Members are added with setOwn, so `__proto__` stays a member.
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    const action = actionFor(schema, name);
    checkAttribute(name, value, action !== AttributeAction.ENCRYPT_AND_SIGN);
    if (action === AttributeAction.ENCRYPT_AND_SIGN) {
      setOwn(encrypted, name, value);
      continue;
    }
    setOwn(stored, name, value);
    if (action === AttributeAction.SIGN_ONLY) signedNames.push(name);
  }
  signedNames.sort();
  const document: SealedDocument = {
    v: FORMAT_VERSION,
    table: schema.tableName,
    key,
    encrypted,
    signed: { names: signedNames, digest: signedDigest(stored, signedNames) },
  };
  const plaintext = Buffer.from(canonicalJson(document));
  try {
    setOwn(stored, ENVELOPE_ATTRIBUTE, await codec.encrypt(plaintext, context));
  } finally {
    plaintext.fill(0);
  }
  return stored;
}

/** The plain item from a stored one, after every check; throws an EnvelopeError otherwise. */
export async function openItem(codec: Codec, schema: ItemSchema, stored: Item): Promise<Item> {
  const { [ENVELOPE_ATTRIBUTE]: message, ...rest } = stored;
  if (!(message instanceof Uint8Array)) {
    throw new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, 'The item has no envelope (written without the crypto function?)');
  }
  const plaintext = schema.itemContext
    ? await codec.decrypt(message, itemContext(schema, keyOf(schema, rest), rest, false), { kmsMessageContext: tableContext(schema) })
    : await codec.decrypt(message, tableContext(schema));
  let document: SealedDocument;
  try {
    document = JSON.parse(plaintext.toString('utf8')) as SealedDocument;
  } finally {
    plaintext.fill(0);
  }
  if (document.v !== FORMAT_VERSION) throw new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, `Unknown envelope format ${document.v}`);
  if (document.table !== schema.tableName || canonicalJson(document.key) !== canonicalJson(keyOf(schema, rest))) {
    throw new EnvelopeError(ErrorCode.CONTEXT_MISMATCH, 'The envelope belongs to another item (it was moved or copied)');
  }
  if (signedDigest(rest, document.signed.names) !== document.signed.digest) {
    throw new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, 'A SIGN_ONLY attribute was changed, added or removed');
  }
  // Every other stored attribute must be DO_NOTHING: a plaintext attribute the configuration
  // protects was added (or moved out of the envelope) behind the function's back.
  const signed = new Set(document.signed.names);
  for (const name of Object.keys(rest)) {
    if (!signed.has(name) && actionFor(schema, name) !== AttributeAction.DO_NOTHING) {
      throw new EnvelopeError(ErrorCode.INTEGRITY_CHECK_FAILED, `Attribute ${quoteName(name)} is protected but was not written by the crypto function`);
    }
  }
  return { ...rest, ...document.encrypted };
}
