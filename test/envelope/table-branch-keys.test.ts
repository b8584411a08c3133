/**
 * The table function with branch keys (the hierarchical keyring): every item's message carries its
 * own encryption context (table, key values, tenant) at no KMS call per item. Everything runs through
 * the real handler on dynalite and the local KMS server; the branch keys are created by the
 * construct's provisioner (provisionBranchKeys), whose one TransactWriteItems per key goes through
 * test/support/dynalite-transactions.ts (dynalite has none). Every read and every encrypt/decrypt
 * path is real dynalite and the local KMS.
 */
import { AttributeValue, DynamoDBClient, GetItemCommand, PutItemCommand, ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as fc from 'fast-check';
import { ACTIONS, expectError, ok, PK, SK } from './table-fixture';
import { provisionBranchKeys } from '../../lambda/envelope/branch-key-provisioner';
import { createCodec } from '../../lambda/envelope/codec';
import { Env, readCodecConfig } from '../../lambda/envelope/config';
import { ErrorCode } from '../../lambda/envelope/errors';
import { Item, ITEM_CONTEXT_KEYS, sealItem, TABLE_CONTEXT_KEY } from '../../lambda/envelope/item-envelope';
import { tableCodec } from '../../lambda/envelope/table-codec';
import { ItemSchema, readTableConfig } from '../../lambda/envelope/table-config';
import { TableHandler } from '../../lambda/envelope/table-handler';
import { AttributeAction } from '../../src/envelope/attribute-action';
import { LocalDynamoDb, startDynalite } from '../support/dynalite';
import { LocalKmsServer } from '../support/kms-server';

const STORE = 'branch-keys';
const TENANTS = ['acme', 'globex', 'toString'];
let kms: LocalKmsServer;
let db: LocalDynamoDb;
let raw: DynamoDBClient;
let envelopeKeyArn: string;
let branchKeyArn: string;

beforeAll(async () => {
  [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  await Promise.all([
    db.createTable('orders', PK, SK),
    db.createTable('invoices', PK, SK),
    db.createTable('accounts', 'tenant', SK),
    db.createTable('ledger', 'account', 'entry', ScalarAttributeType.N),
    db.createTable(STORE, 'branch-key-id', 'type'),
  ]);
  envelopeKeyArn = kms.createKey();
  branchKeyArn = kms.createKey();
  raw = db.client();
  const clients = { kms: kms.client({ maxAttempts: 1 }), ddb: db.client() };
  const props = { TableName: STORE, LogicalStoreName: 'orders-store', KmsKeyArn: branchKeyArn };
  await provisionBranchKeys({ ...props, BranchKeyIds: TENANTS, ContextKey: 'tenant' }, undefined, clients);
  await provisionBranchKeys({ ...props, BranchKeyIds: ['table'], ContextKey: 'table' }, undefined, clients);
});
afterAll(async () => {
  await Promise.all([kms.stop(), db.stop()]);
});

/** The environment EnvelopeEncryptedTable sets (its construct test checks it against the template). */
function env(overrides: Env = {}): Env {
  return {
    ENVELOPE_KEY_ARN: envelopeKeyArn,
    ENVELOPE_TABLE_NAME: 'orders',
    ENVELOPE_PARTITION_KEY: PK,
    ENVELOPE_SORT_KEY: SK,
    ENVELOPE_ATTRIBUTE_ACTIONS: JSON.stringify({ ...ACTIONS, tenant: AttributeAction.SIGN_ONLY }),
    ENVELOPE_BRANCH_KEY_TABLE: STORE,
    ENVELOPE_BRANCH_KEY_STORE_NAME: 'orders-store',
    ENVELOPE_BRANCH_KEY_KMS_ARN: branchKeyArn,
    ENVELOPE_BRANCH_KEY_TENANTS: TENANTS.join(','),
    ENVELOPE_TENANT_ATTRIBUTE: 'tenant',
    ...overrides,
  };
}

const SINGLE: Env = { ENVELOPE_BRANCH_KEY_TENANTS: undefined, ENVELOPE_TENANT_ATTRIBUTE: undefined, ENVELOPE_BRANCH_KEY_ID: 'table' };
const LEGACY: Env = {
  ENVELOPE_BRANCH_KEY_TABLE: undefined,
  ENVELOPE_BRANCH_KEY_STORE_NAME: undefined,
  ENVELOPE_BRANCH_KEY_KMS_ARN: undefined,
  ENVELOPE_BRANCH_KEY_TENANTS: undefined,
  ENVELOPE_TENANT_ATTRIBUTE: undefined,
};

/** A handler as one Lambda container builds it from its environment (its own clients, cold caches). */
function container(overrides: Env = {}): TableHandler {
  const config = readTableConfig(env(overrides));
  return new TableHandler({ config, codec: tableCodec(config, { kms: kms.client({ maxAttempts: 1 }), ddb: db.client() }), dynamodb: raw });
}

const order = (customer: string, id: string, tenant: unknown, extra: Item = {}): Item =>
  ({ [PK]: customer, [SK]: id, tenant, card: `card of ${customer}/${id}`, status: 'PAID', amount: 7, ...extra });
const keyOf = (item: Item) => ({ [PK]: item[PK], [SK]: item[SK] });

async function stored(table: string, key: Item): Promise<Record<string, AttributeValue> | undefined> {
  return (await raw.send(new GetItemCommand({ TableName: table, Key: marshall(key), ConsistentRead: true }))).Item;
}
async function storeRaw(table: string, item: Record<string, AttributeValue>): Promise<void> {
  await raw.send(new PutItemCommand({ TableName: table, Item: item }));
}

describe('configuration (cold start)', () => {
  test('branch keys and tenants parse; the tenant attribute may be a key or SIGN_ONLY', () => {
    const config = readTableConfig(env());
    expect(config.branchKeys?.tenants).toEqual(new Set(TENANTS));
    expect(config.schema.itemContext).toEqual({ tenantAttribute: 'tenant', tenants: new Set(TENANTS) });
    expect(readTableConfig(env({ ENVELOPE_TENANT_ATTRIBUTE: PK })).schema.itemContext?.tenantAttribute).toBe(PK);
    expect(readTableConfig(env(SINGLE)).schema.itemContext).toEqual({});
    expect(readTableConfig(env(LEGACY)).schema.itemContext).toBeUndefined();
  });

  test.each<[string, Env]>([
    ['tenants without a tenant attribute', { ENVELOPE_TENANT_ATTRIBUTE: undefined }],
    ['a tenant attribute without tenants', { ...SINGLE, ENVELOPE_TENANT_ATTRIBUTE: 'tenant' }],
    ['a tenant attribute without branch keys', { ...LEGACY, ENVELOPE_TENANT_ATTRIBUTE: 'tenant' }],
    ['an ENCRYPT_AND_SIGN tenant attribute', { ENVELOPE_TENANT_ATTRIBUTE: 'card' }],
    ['a DO_NOTHING tenant attribute', { ENVELOPE_TENANT_ATTRIBUTE: 'gsi' }],
    ['an unknown tenant attribute (default action)', { ENVELOPE_TENANT_ATTRIBUTE: 'unknown' }],
    ['an inherited name as tenant attribute', { ENVELOPE_TENANT_ATTRIBUTE: 'constructor' }],
    ['__proto__ as tenant attribute, even SIGN_ONLY', { ENVELOPE_TENANT_ATTRIBUTE: '__proto__', ENVELOPE_ATTRIBUTE_ACTIONS: '{"__proto__":"SIGN_ONLY"}' }],
    ['a bad tenant list', { ENVELOPE_BRANCH_KEY_TENANTS: 'acme,../x' }],
    ['no branch key KMS ARN', { ENVELOPE_BRANCH_KEY_KMS_ARN: undefined }],
  ])('%s is Misconfigured', (_name, overrides) => {
    expect(() => readTableConfig(env(overrides))).toThrow(expect.objectContaining({ code: ErrorCode.MISCONFIGURED, retryable: false }));
  });
});

describe('round trips', () => {
  test('one branch key for the table: put, get, batchPut, batchGet, query; per-item context in every message', async () => {
    const table = container(SINGLE);
    const items = Array.from({ length: 25 }, (_, i) => order('c-single', `o${String(i).padStart(2, '0')}`, 'x'));
    ok(await table.handle({ operation: 'put', item: order('c-single', 'first', 'x') }));
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'c-single', [SK]: 'first' } })).item).toEqual(order('c-single', 'first', 'x'));
    ok(await table.handle({ operation: 'batchPut', items }));
    const got = ok(await table.handle({ operation: 'batchGet', keys: [...items].reverse().map(keyOf) })).items!;
    expect(got).toEqual([...items].reverse());
    const queried = ok(await table.handle({ operation: 'query', partitionKey: 'c-single', sortKey: { operator: 'begins_with', value: 'o' } })).items!;
    expect(queried).toEqual(items);

    // The message is bound to its item by its own context: the table-only context does not open it.
    const codec = tableCodec(readTableConfig(env(SINGLE)), { kms: kms.client(), ddb: db.client() });
    const message = (await stored('orders', { [PK]: 'c-single', [SK]: 'o03' }))!.aws_envelope.B!;
    const context = { [ITEM_CONTEXT_KEYS.table]: 'orders', [ITEM_CONTEXT_KEYS.partitionKey]: 'c-single', [ITEM_CONTEXT_KEYS.sortKey]: 'o03' };
    await expect(codec.decrypt(message, context)).resolves.toBeInstanceOf(Buffer);
    await expect(codec.decrypt(message, { [TABLE_CONTEXT_KEY]: 'orders' })).rejects.toMatchObject({ code: ErrorCode.CONTEXT_MISMATCH });
    await expect(codec.decrypt(message, { ...context, [ITEM_CONTEXT_KEYS.sortKey]: 'o04' })).rejects.toMatchObject({ code: ErrorCode.CONTEXT_MISMATCH });
  });

  test('tenants (a SIGN_ONLY attribute): batchGet and query across tenants, each item under its own tenant', async () => {
    const table = container();
    const items = TENANTS.flatMap((tenant) => [1, 2].map((i) => order('shared', `${tenant}-${i}`, tenant)));
    ok(await table.handle({ operation: 'batchPut', items }));
    const got = ok(await table.handle({ operation: 'batchGet', keys: items.map(keyOf) })).items!;
    expect(got).toEqual(items);
    const queried = ok(await table.handle({ operation: 'query', partitionKey: 'shared' })).items!;
    expect(queried).toHaveLength(items.length);
    expect(new Set(queried.map((i) => i!.tenant))).toEqual(new Set(TENANTS));
    // Each message names its tenant in its context.
    const codec = tableCodec(readTableConfig(env()), { kms: kms.client(), ddb: db.client() });
    const message = (await stored('orders', { [PK]: 'shared', [SK]: 'globex-1' }))!.aws_envelope.B!;
    const context = { [ITEM_CONTEXT_KEYS.table]: 'orders', [ITEM_CONTEXT_KEYS.partitionKey]: 'shared', [ITEM_CONTEXT_KEYS.sortKey]: 'globex-1' };
    await expect(codec.decrypt(message, { ...context, [ITEM_CONTEXT_KEYS.tenant]: 'globex' })).resolves.toBeInstanceOf(Buffer);
    await expect(codec.decrypt(message, context)).rejects.toMatchObject({ code: ErrorCode.CONTEXT_MISMATCH });
  });

  test('tenants (the partition key) and numbers as sort keys', async () => {
    const config = readTableConfig(env({
      ENVELOPE_TABLE_NAME: 'accounts', ENVELOPE_PARTITION_KEY: 'tenant', ENVELOPE_TENANT_ATTRIBUTE: 'tenant',
    }));
    const table = new TableHandler({ config, codec: tableCodec(config, { kms: kms.client(), ddb: db.client() }), dynamodb: raw });
    const item = { tenant: 'acme', [SK]: 'profile', card: 'secret', status: 'ok' };
    ok(await table.handle({ operation: 'put', item }));
    expect(ok(await table.handle({ operation: 'get', key: { tenant: 'acme', [SK]: 'profile' } })).item).toEqual(item);
    expect(ok(await table.handle({ operation: 'query', partitionKey: 'acme' })).items).toEqual([item]);
    expectError(await table.handle({ operation: 'put', item: { ...item, tenant: 'initech' } }), ErrorCode.INVALID_REQUEST);
  });
});

test('number keys: the context carries their JavaScript string form, which DynamoDB round-trips', async () => {
  const config = readTableConfig(env({ ...SINGLE, ENVELOPE_TABLE_NAME: 'ledger', ENVELOPE_PARTITION_KEY: 'account', ENVELOPE_SORT_KEY: 'entry' }));
  const table = new TableHandler({ config, codec: tableCodec(config, { kms: kms.client(), ddb: db.client() }), dynamodb: raw });
  const entries = [-3, 0, 1e-7, 0.1, 1.5, 2 ** 53 - 1, 123456.789, -1e-100].map((entry) => ({ account: 1.5, entry, card: `entry ${entry}` }));
  ok(await table.handle({ operation: 'batchPut', items: entries }));
  const got = ok(await table.handle({ operation: 'batchGet', keys: entries.map(({ account, entry }) => ({ account, entry })) })).items!;
  expect(got).toEqual(entries);
  expect(ok(await table.handle({ operation: 'query', partitionKey: 1.5 })).items).toHaveLength(entries.length);
  // Another item's envelope (a neighbouring number) does not open here.
  const a = (await stored('ledger', { account: 1.5, entry: 0.1 }))!;
  const b = (await stored('ledger', { account: 1.5, entry: 1.5 }))!;
  await storeRaw('ledger', { ...b, aws_envelope: a.aws_envelope });
  expectError(await table.handle({ operation: 'get', key: { account: 1.5, entry: 1.5 } }), ErrorCode.CONTEXT_MISMATCH);
});

describe('KMS calls', () => {
  test('1,000 new items over three tenants: one KMS call per tenant per container, none per item', async () => {
    const writer = container();
    kms.resetCalls();
    for (let i = 0; i < 40; i++) {
      const items = Array.from({ length: 25 }, (_, j) => order(`bulk-${i}`, `o${j}`, TENANTS[(i * 25 + j) % 3]));
      ok(await writer.handle({ operation: 'batchPut', items }));
    }
    expect(kms.calls.Decrypt).toBe(3); // one branch key unwrap per tenant
    expect(kms.totalCalls).toBe(3);
  });

  test('several containers (cold caches): each at most one KMS call per branch key, whatever the item count', async () => {
    const containers = Array.from({ length: 4 }, () => container());
    kms.resetCalls();
    for (const [c, table] of containers.entries()) {
      for (let i = 0; i < 50; i++) ok(await table.handle({ operation: 'put', item: order(`multi-${c}`, `o${i}`, 'acme') }));
    }
    expect(kms.totalCalls).toBe(4);
    // A cold reader container reads 200 items written by the four others: one unwrap for the tenant.
    const reader = container({ ENVELOPE_ACCESS: 'READ' });
    kms.resetCalls();
    for (let c = 0; c < 4; c++) {
      const items = ok(await reader.handle({ operation: 'query', partitionKey: `multi-${c}` })).items!;
      expect(items).toHaveLength(50);
    }
    expect(kms.totalCalls).toBe(1);
  });

  test('a container that writes and reads the same tenants: still one KMS call per branch key', async () => {
    const table = container();
    kms.resetCalls();
    const items = TENANTS.flatMap((tenant) => Array.from({ length: 8 }, (_, i) => order('both', `${tenant}-${i}`, tenant)));
    ok(await table.handle({ operation: 'batchPut', items }));
    expect(ok(await table.handle({ operation: 'query', partitionKey: 'both' })).items).toHaveLength(items.length);
    expect(ok(await table.handle({ operation: 'batchGet', keys: items.map(keyOf) })).items).toEqual(items);
    expect(kms.totalCalls).toBe(TENANTS.length);
  });

  test('a short cache period: the branch keys are unwrapped again after it, and still read', async () => {
    const table = container({ ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '1' });
    ok(await table.handle({ operation: 'put', item: order('ttl', 'a', 'acme') }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    kms.resetCalls();
    ok(await table.handle({ operation: 'put', item: order('ttl', 'b', 'acme') }));
    expect(ok(await table.handle({ operation: 'query', partitionKey: 'ttl' })).items).toHaveLength(2);
    expect(kms.totalCalls).toBe(1);
  });
});

describe('items written before branch keys were turned on', () => {
  test('still read (KMS keyring, table-only context), next to new items; no new item uses the envelope key', async () => {
    const before = container(LEGACY);
    const legacy = order('legacy', 'old', 'acme');
    ok(await before.handle({ operation: 'put', item: legacy }));
    ok(await before.handle({ operation: 'put', item: order('legacy', 'no-tenant', undefined) }));
    const after = container();
    ok(await after.handle({ operation: 'put', item: order('legacy', 'new', 'globex') }));
    expect(ok(await after.handle({ operation: 'get', key: keyOf(legacy) })).item).toEqual(legacy);
    // A legacy item without a tenant attribute still reads; its envelope is bound by its sealed key.
    expect(ok(await after.handle({ operation: 'get', key: { [PK]: 'legacy', [SK]: 'no-tenant' } })).item).toMatchObject({ card: 'card of legacy/no-tenant' });
    expect(ok(await after.handle({ operation: 'query', partitionKey: 'legacy' })).items).toHaveLength(3);
    // A new item is not readable without the branch key store.
    expectError(await before.handle({ operation: 'get', key: { [PK]: 'legacy', [SK]: 'new' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('a legacy envelope moved to another item still fails (the sealed key binding)', async () => {
    const before = container(LEGACY);
    ok(await before.handle({ operation: 'put', item: order('legacy-move', 'a', 'acme') }));
    ok(await before.handle({ operation: 'put', item: order('legacy-move', 'b', 'acme') }));
    const a = (await stored('orders', { [PK]: 'legacy-move', [SK]: 'a' }))!;
    const b = (await stored('orders', { [PK]: 'legacy-move', [SK]: 'b' }))!;
    await storeRaw('orders', { ...b, aws_envelope: a.aws_envelope });
    expectError(await container().handle({ operation: 'get', key: { [PK]: 'legacy-move', [SK]: 'b' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('the table-only context is accepted only from the KMS keyring, the item context only from branch keys', async () => {
    const config = readTableConfig(env(SINGLE));
    const item = order('cross', 'x', 'acme');
    const branchCodec = tableCodec(config, { kms: kms.client(), ddb: db.client() });
    const kmsCodec = createCodec({ keyArn: envelopeKeyArn, kms: kms.client() });
    const legacySchema: ItemSchema = { ...config.schema, itemContext: undefined };
    // A branch key message with the table-only context, and a KMS message with the item context.
    for (const sealed of [await sealItem(branchCodec, legacySchema, item), await sealItem(kmsCodec, config.schema, item)]) {
      await storeRaw('orders', marshall(sealed));
      expectError(await container(SINGLE).handle({ operation: 'get', key: keyOf(item) }), ErrorCode.CONTEXT_MISMATCH);
    }
  });
});

describe('moved and tampered items', () => {
  const table = () => container();
  async function moveEnvelope(fromTable: string, from: Item, toTable: string, to: Item): Promise<void> {
    const source = (await stored(fromTable, from))!;
    const target = (await stored(toTable, to))!;
    await storeRaw(toTable, { ...target, aws_envelope: source.aws_envelope });
  }

  test('an envelope moved to another item of the same tenant: ContextMismatch', async () => {
    ok(await table().handle({ operation: 'batchPut', items: [order('move', 'a', 'acme'), order('move', 'b', 'acme')] }));
    await moveEnvelope('orders', { [PK]: 'move', [SK]: 'a' }, 'orders', { [PK]: 'move', [SK]: 'b' });
    expectError(await table().handle({ operation: 'get', key: { [PK]: 'move', [SK]: 'b' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test("an envelope moved from tenant A's item to tenant B's: ContextMismatch", async () => {
    ok(await table().handle({ operation: 'batchPut', items: [order('tenants', 'a', 'acme'), order('tenants', 'g', 'globex')] }));
    await moveEnvelope('orders', { [PK]: 'tenants', [SK]: 'a' }, 'orders', { [PK]: 'tenants', [SK]: 'g' });
    expectError(await table().handle({ operation: 'get', key: { [PK]: 'tenants', [SK]: 'g' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test("an item's tenant attribute changed in the table (a whole item moved to another tenant): ContextMismatch", async () => {
    ok(await table().handle({ operation: 'put', item: order('retenant', 'a', 'acme') }));
    const item = (await stored('orders', { [PK]: 'retenant', [SK]: 'a' }))!;
    for (const tenant of [{ S: 'globex' }, { S: 'initech' }, { N: '1' }]) {
      await storeRaw('orders', { ...item, tenant });
      expectError(await table().handle({ operation: 'get', key: { [PK]: 'retenant', [SK]: 'a' } }), ErrorCode.CONTEXT_MISMATCH);
    }
    const { tenant: _removed, ...withoutTenant } = item;
    await storeRaw('orders', withoutTenant);
    expectError(await table().handle({ operation: 'get', key: { [PK]: 'retenant', [SK]: 'a' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('an envelope moved to the same key in another table: ContextMismatch', async () => {
    const invoices = container({ ENVELOPE_TABLE_NAME: 'invoices' });
    ok(await table().handle({ operation: 'put', item: order('tables', 'a', 'acme') }));
    ok(await invoices.handle({ operation: 'put', item: order('tables', 'a', 'acme') }));
    await moveEnvelope('orders', { [PK]: 'tables', [SK]: 'a' }, 'invoices', { [PK]: 'tables', [SK]: 'a' });
    expectError(await invoices.handle({ operation: 'get', key: { [PK]: 'tables', [SK]: 'a' } }), ErrorCode.CONTEXT_MISMATCH);
  });

  test('a flipped byte in the envelope, or a changed SIGN_ONLY value: IntegrityCheckFailed', async () => {
    ok(await table().handle({ operation: 'put', item: order('tamper', 'a', 'acme') }));
    const item = (await stored('orders', { [PK]: 'tamper', [SK]: 'a' }))!;
    const envelope = Buffer.from(item.aws_envelope.B!);
    envelope[envelope.length - 40] ^= 1;
    await storeRaw('orders', { ...item, aws_envelope: { B: envelope } });
    expectError(await table().handle({ operation: 'get', key: { [PK]: 'tamper', [SK]: 'a' } }), ErrorCode.INTEGRITY_CHECK_FAILED);
    await storeRaw('orders', { ...item, status: { S: 'REFUNDED' } });
    expectError(await table().handle({ operation: 'get', key: { [PK]: 'tamper', [SK]: 'a' } }), ErrorCode.INTEGRITY_CHECK_FAILED);
  });
});

describe('tenants an attacker picks', () => {
  test('a missing, non-string or unknown tenant is InvalidRequest, and nothing of the batch is written', async () => {
    const table = container();
    for (const tenant of [undefined, null, 42, ['acme'], { acme: true }, 'ACME', 'acme ', 'initech', '']) {
      const response = await table.handle({ operation: 'batchPut', items: [order('refused', 'good', 'acme'), order('refused', 'bad', tenant)] });
      expect(response).toEqual({ ok: false, error: expect.objectContaining({ code: ErrorCode.INVALID_REQUEST, retryable: false }) });
    }
    expect(await stored('orders', { [PK]: 'refused', [SK]: 'good' })).toBeUndefined();
  });

  test('every string that is not a configured tenant (inherited names, paths, long, unicode) is refused cleanly', async () => {
    const table = container();
    const hostile = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'valueOf', '..', '.', '../acme', 'acme/..', 'acme,globex', 'x'.repeat(100_000), 'acme\u0000', 'ａｃｍｅ', 'Acme'),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.string({ maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (tenant) => {
        fc.pre(!TENANTS.includes(tenant));
        const response = await table.handle({ operation: 'put', item: order('hostile', 'x', tenant) });
        expect(response).toEqual({ ok: false, error: expect.objectContaining({ code: ErrorCode.INVALID_REQUEST, retryable: false }) });
      }),
      { numRuns: 150 },
    );
    expect(await stored('orders', { [PK]: 'hostile', [SK]: 'x' })).toBeUndefined();
    // `toString` is a real tenant here: an inherited name is a name like any other.
    ok(await table.handle({ operation: 'put', item: order('hostile', 'y', 'toString') }));
    expect(ok(await table.handle({ operation: 'get', key: { [PK]: 'hostile', [SK]: 'y' } })).item).toMatchObject({ tenant: 'toString' });
  });
});

describe('a role limited to one tenant', () => {
  afterEach(() => kms.setContextPolicy(branchKeyArn, undefined));

  test("with `kms:EncryptionContext:branch-key-id = acme`, globex's items can be neither read nor written", async () => {
    ok(await container().handle({ operation: 'batchPut', items: [order('limited', 'a', 'acme'), order('limited', 'g', 'globex')] }));
    // As the key-policy statement of the README example would (the construct test checks the statement).
    kms.setContextPolicy(branchKeyArn, (_operation, context) => context['branch-key-id'] === 'acme');
    const acmeOnly = container();
    expect(ok(await acmeOnly.handle({ operation: 'get', key: { [PK]: 'limited', [SK]: 'a' } })).item).toMatchObject({ tenant: 'acme' });
    expectError(await acmeOnly.handle({ operation: 'get', key: { [PK]: 'limited', [SK]: 'g' } }), ErrorCode.ACCESS_DENIED);
    expectError(await acmeOnly.handle({ operation: 'put', item: order('limited', 'g2', 'globex') }), ErrorCode.ACCESS_DENIED);
    expect(await stored('orders', { [PK]: 'limited', [SK]: 'g2' })).toBeUndefined();
  });
});

describe('the table function entry (wired by its environment only)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  /** Loads the entry afresh, as a cold start does. */
  function load(extra: Env): (event: unknown, context: never) => Promise<unknown> {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'LOCAL',
      AWS_SECRET_ACCESS_KEY: 'LOCAL',
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...env(),
      ...extra,
    });
    let entry!: { handler: (event: unknown, context: never) => Promise<unknown> };
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      entry = require('../../lambda/envelope/table.entry');
    });
    return entry.handler;
  }
  const context = { functionName: 'f', awsRequestId: 'r' } as never;

  test('put and get under a tenant branch key, then one KMS call per tenant', async () => {
    const handler = load({});
    kms.resetCalls();
    const item = order('entry', 'a', 'globex');
    expect(await handler({ operation: 'put', item }, context)).toEqual({ ok: true });
    expect(await handler({ operation: 'get', key: keyOf(item) }, context)).toEqual({ ok: true, item });
    expect(kms.totalCalls).toBeLessThanOrEqual(2); // the active branch key, and its version for decryption
  });

  test('a bad branch key variable is Misconfigured on every invocation', async () => {
    const handler = load({ ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: 'soon' });
    for (let i = 0; i < 2; i++) {
      expect(await handler({ operation: 'get', key: { [PK]: 'a', [SK]: 'b' } }, context))
        .toEqual({ ok: false, error: expect.objectContaining({ code: ErrorCode.MISCONFIGURED, retryable: false }) });
    }
  });
});

test('the codec config the table reads is the shared one', () => {
  expect(readTableConfig(env()).codec).toEqual(readCodecConfig(env()));
});
