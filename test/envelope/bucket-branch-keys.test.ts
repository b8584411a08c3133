/**
 * The bucket functions with branch keys (the hierarchical keyring): the environment the construct
 * sets is validated at cold start, and inline put/get round trips run through the real handler on
 * s3rver, the local KMS server and dynalite, with tenants on their own branch keys. Branch keys are
 * created as the construct's custom resource does (BranchKeyStoreNode.createKey); its one
 * TransactWriteItems goes through test/support/dynalite-transactions.ts, every read is real dynalite.
 */
import { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BucketFixture, exists, LAYOUT, objectCreatedEvent, pattern, putBytes, startBucketFixture } from './bucket-fixture';
import { readBranchKeyConfig, tenantOf } from '../../lambda/envelope/branch-key-config';
import { BranchKeyResourceProps, provisionBranchKeys } from '../../lambda/envelope/branch-key-provisioner';
import { handler as branchKeysHandler } from '../../lambda/envelope/branch-keys.entry';
import { BucketDeps, bucketCodecFromEnv } from '../../lambda/envelope/bucket-env';
import { handleInlineRequest } from '../../lambda/envelope/bucket-inline';
import { Env } from '../../lambda/envelope/config';
import { handleIntakeEvent } from '../../lambda/envelope/object-intake';
import { LocalDynamoDb, startDynalite } from '../support/dynalite';

const KMS_ARN = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
const BASE: Env = {
  ENVELOPE_KEY_ARN: KMS_ARN,
  ENVELOPE_BRANCH_KEY_TABLE: 'branch-keys',
  ENVELOPE_BRANCH_KEY_STORE_NAME: 'docs-store',
  ENVELOPE_BRANCH_KEY_KMS_ARN: KMS_ARN,
};

describe('configuration', () => {
  test('no table: no branch keys', () => {
    expect(readBranchKeyConfig({ ENVELOPE_KEY_ARN: KMS_ARN })).toBeUndefined();
    expect(readBranchKeyConfig({ ENVELOPE_BRANCH_KEY_TABLE: '' })).toBeUndefined();
  });

  test('one branch key, and tenants', () => {
    expect(readBranchKeyConfig({ ...BASE, ENVELOPE_BRANCH_KEY_ID: 'bucket' })).toEqual({
      tableName: 'branch-keys', logicalStoreName: 'docs-store', kmsKeyArn: KMS_ARN, cacheTtlSeconds: 300, branchKeyId: 'bucket',
    });
    const config = readBranchKeyConfig({ ...BASE, ENVELOPE_BRANCH_KEY_TENANTS: 'acme,globex', ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '60' });
    expect(config?.cacheTtlSeconds).toBe(60);
    expect([...config!.tenants!]).toEqual(['acme', 'globex']);
  });

  test.each<[string, Env]>([
    ['no store name', { ...BASE, ENVELOPE_BRANCH_KEY_STORE_NAME: undefined, ENVELOPE_BRANCH_KEY_ID: 'k' }],
    ['no KMS ARN', { ...BASE, ENVELOPE_BRANCH_KEY_KMS_ARN: undefined, ENVELOPE_BRANCH_KEY_ID: 'k' }],
    ['a KMS alias instead of a key ARN', { ...BASE, ENVELOPE_BRANCH_KEY_KMS_ARN: 'alias/x', ENVELOPE_BRANCH_KEY_ID: 'k' }],
    ['a bad table name', { ...BASE, ENVELOPE_BRANCH_KEY_TABLE: 'a b', ENVELOPE_BRANCH_KEY_ID: 'k' }],
    ['neither id nor tenants', BASE],
    ['both id and tenants', { ...BASE, ENVELOPE_BRANCH_KEY_ID: 'k', ENVELOPE_BRANCH_KEY_TENANTS: 'a' }],
    ['an id with a slash', { ...BASE, ENVELOPE_BRANCH_KEY_ID: 'a/b' }],
    ['an empty tenant', { ...BASE, ENVELOPE_BRANCH_KEY_TENANTS: 'a,,b' }],
    ['a tenant ".."', { ...BASE, ENVELOPE_BRANCH_KEY_TENANTS: 'a,..' }],
    ['a tenant with a space', { ...BASE, ENVELOPE_BRANCH_KEY_TENANTS: 'a b' }],
    ['a tenant of 65 characters', { ...BASE, ENVELOPE_BRANCH_KEY_TENANTS: 'x'.repeat(65) }],
    ['a TTL of 0', { ...BASE, ENVELOPE_BRANCH_KEY_ID: 'k', ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '0' }],
    ['a TTL that is not a number', { ...BASE, ENVELOPE_BRANCH_KEY_ID: 'k', ENVELOPE_BRANCH_KEY_CACHE_TTL_SECONDS: '5m' }],
  ])('%s is Misconfigured', (_name, env) => {
    expect(() => readBranchKeyConfig(env)).toThrow(expect.objectContaining({ code: 'Misconfigured', retryable: false }));
  });

  test('tenant of an object: its first name segment, configured tenants only', () => {
    const tenants = new Set(['acme', 'toString']);
    expect(tenantOf('protected/', tenants, 'protected/acme/q1.pdf')).toBe('acme');
    expect(tenantOf('protected/', tenants, 'protected/toString/x')).toBe('toString');
    for (const key of ['protected/acme', 'protected//acme/x', 'protected/globex/x', 'protected/constructor/x', 'protected/__proto__/x', 'other/acme/x', '']) {
      expect(() => tenantOf('protected/', tenants, key)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
    }
  });
});

describe('inline put/get with branch keys', () => {
  let fx: BucketFixture;
  let db: LocalDynamoDb;
  let ddb: DynamoDBClient;
  let env: Env;

  beforeAll(async () => {
    [fx, db] = await Promise.all([startBucketFixture(), startDynalite()]);
    await db.createTable('branch-keys', 'branch-key-id', 'type');
    ddb = db.client();
    const store = new BranchKeyStoreNode({
      logicalKeyStoreName: 'docs-store',
      storage: { ddbTableName: 'branch-keys', ddbClient: db.client() },
      keyManagement: { kmsClient: fx.kms.client({ maxAttempts: 1 }) },
      kmsConfiguration: { identifier: fx.keyArn },
    });
    for (const tenant of ['acme', 'globex']) await store.createKey({ branchKeyIdentifier: tenant, encryptionContext: { tenant } });
    env = { ...BASE, ENVELOPE_KEY_ARN: fx.keyArn, ENVELOPE_BRANCH_KEY_KMS_ARN: fx.keyArn, ENVELOPE_BRANCH_KEY_TENANTS: 'acme,globex' };
  });
  afterAll(async () => {
    await Promise.all([fx.stop(), db.stop()]);
  });

  const depsFor = (e: Env): BucketDeps => ({
    s3: fx.s3, layout: LAYOUT, crypto: bucketCodecFromEnv(e, LAYOUT, { kms: fx.kms.client({ maxAttempts: 1 }), ddb }),
  });
  const put = (deps: BucketDeps, key: string, text: string) =>
    handleInlineRequest(deps, { operation: 'put', key, data: Buffer.from(text).toString('base64') });
  const get = (deps: BucketDeps, key: string) => handleInlineRequest(deps, { operation: 'get', key });

  test('100 new objects per tenant: one KMS call per tenant, each object bound to its name', async () => {
    const deps = depsFor(env);
    fx.kms.resetCalls();
    for (let i = 0; i < 100; i++) {
      for (const tenant of ['acme', 'globex']) expect(await put(deps, `${tenant}/doc-${i}.txt`, `${tenant} ${i}`)).toMatchObject({ ok: true });
    }
    expect(fx.kms.totalCalls).toBe(2);
    const response = await get(deps, 'globex/doc-42.txt');
    expect(Buffer.from((response as { data: string }).data, 'base64').toString()).toBe('globex 42');
    // Another container (cold cache) reads it: one KMS call for the branch key, none per object.
    const reader = depsFor(env);
    fx.kms.resetCalls();
    for (let i = 0; i < 20; i++) expect(await get(reader, `acme/doc-${i}.txt`)).toMatchObject({ ok: true });
    expect(fx.kms.totalCalls).toBe(1);
  });

  test('names outside a configured tenant are refused before anything is written', async () => {
    const deps = depsFor(env);
    for (const key of ['no-tenant.txt', 'initech/x.txt', '__proto__/x.txt', 'constructor/x.txt']) {
      expect(await put(deps, key, 'x')).toEqual({ ok: false, error: expect.objectContaining({ code: 'InvalidRequest', retryable: false }) });
    }
  });

  test('the intake path: an object of a tenant is encrypted under its branch key; one without a tenant stays in intake', async () => {
    const deps = depsFor(env);
    const plaintext = pattern(2 * 1024 * 1024 + 5, 3);
    await putBytes(fx.s3, 'intake/acme/big.bin', plaintext);
    await handleIntakeEvent(deps, objectCreatedEvent('intake/acme/big.bin'));
    const response = await get(deps, 'acme/big.bin');
    expect(Buffer.from((response as { data: string }).data, 'base64').equals(plaintext)).toBe(true);
    expect(await exists(fx.s3, 'intake/acme/big.bin')).toBe(false);

    await putBytes(fx.s3, 'intake/initech/x.bin', Buffer.from('x'));
    await expect(handleIntakeEvent(deps, objectCreatedEvent('intake/initech/x.bin'))).rejects.toMatchObject({ code: 'Internal' });
    expect(await exists(fx.s3, 'intake/initech/x.bin')).toBe(true);
    expect(await exists(fx.s3, 'protected/initech/x.bin')).toBe(false);
  });

  test('objects written before branch keys were turned on still read (KMS keyring under the envelope key)', async () => {
    expect(await put(fx.deps, 'acme/old.txt', 'written with the KMS keyring')).toMatchObject({ ok: true });
    const response = await get(depsFor(env), 'acme/old.txt');
    expect(Buffer.from((response as { data: string }).data, 'base64').toString()).toBe('written with the KMS keyring');
    // And the other way round a branch-key object is not readable by a codec without the store.
    expect(await put(depsFor(env), 'acme/new.txt', 'branch key')).toMatchObject({ ok: true });
    expect(await get(fx.deps, 'acme/new.txt')).toMatchObject({ ok: false });
  });

  test('one branch key for the whole bucket', async () => {
    const single = depsFor({ ...env, ENVELOPE_BRANCH_KEY_TENANTS: undefined, ENVELOPE_BRANCH_KEY_ID: 'acme' });
    expect(await put(single, 'any/name.txt', 'one key')).toMatchObject({ ok: true });
    expect(await get(single, 'any/name.txt')).toMatchObject({ ok: true });
  });

  test('a branch key missing from the store is Misconfigured, not a server error', async () => {
    const deps = depsFor({ ...env, ENVELOPE_BRANCH_KEY_TENANTS: undefined, ENVELOPE_BRANCH_KEY_ID: 'never-created' });
    expect(await put(deps, 'x.txt', 'x')).toEqual({ ok: false, error: expect.objectContaining({ code: 'Misconfigured', retryable: false }) });
  });
});

describe('the branch key custom resource (provisionBranchKeys)', () => {
  let fx: BucketFixture;
  let db: LocalDynamoDb;

  beforeAll(async () => {
    [fx, db] = await Promise.all([startBucketFixture(), startDynalite()]);
    await db.createTable('store', 'branch-key-id', 'type');
  });
  afterAll(async () => {
    await Promise.all([fx.stop(), db.stop()]);
  });

  test('creates missing keys, keeps existing ones, versions them when the rotation token changes', async () => {
    const clients = { kms: fx.kms.client({ maxAttempts: 1 }), ddb: db.client() };
    const props: BranchKeyResourceProps = {
      TableName: 'store', LogicalStoreName: 'docs-store', KmsKeyArn: fx.keyArn, BranchKeyIds: ['acme'], ContextKey: 'tenant',
    };
    expect(await provisionBranchKeys(props, undefined, clients)).toEqual({ created: ['acme'], versioned: [] });
    // A retried create, and an update that adds a tenant: nothing is made twice.
    expect(await provisionBranchKeys(props, undefined, clients)).toEqual({ created: [], versioned: [] });
    const more = { ...props, BranchKeyIds: ['acme', 'globex'] };
    expect(await provisionBranchKeys(more, props, clients)).toEqual({ created: ['globex'], versioned: [] });
    // Written before rotation, read after it.
    const env = { ...BASE, ENVELOPE_KEY_ARN: fx.keyArn, ENVELOPE_BRANCH_KEY_TABLE: 'store', ENVELOPE_BRANCH_KEY_KMS_ARN: fx.keyArn, ENVELOPE_BRANCH_KEY_TENANTS: 'acme,globex' };
    const deps = (): BucketDeps => ({ s3: fx.s3, layout: LAYOUT, crypto: bucketCodecFromEnv(env, LAYOUT, { kms: clients.kms, ddb: db.client() }) });
    const put = (key: string) => handleInlineRequest(deps(), { operation: 'put', key, data: Buffer.from(key).toString('base64') });
    expect(await put('acme/before.txt')).toMatchObject({ ok: true });
    const rotated = { ...more, RotationToken: '2026-12' };
    expect(await provisionBranchKeys(rotated, more, clients)).toEqual({ created: [], versioned: ['acme', 'globex'] });
    expect(await provisionBranchKeys(rotated, rotated, clients)).toEqual({ created: [], versioned: [] });
    expect(await put('acme/after.txt')).toMatchObject({ ok: true });
    for (const key of ['acme/before.txt', 'acme/after.txt']) {
      const response = await handleInlineRequest(deps(), { operation: 'get', key });
      expect(Buffer.from((response as { data: string }).data, 'base64').toString()).toBe(key);
    }
  });
});

describe('the custom resource entry (its own SDK clients, endpoints from the environment)', () => {
  let fx: BucketFixture;
  let db: LocalDynamoDb;
  const saved = { ...process.env };

  beforeAll(async () => {
    [fx, db] = await Promise.all([startBucketFixture(), startDynalite()]);
    await db.createTable('entry-store', 'branch-key-id', 'type');
    Object.assign(process.env, {
      AWS_REGION: fx.kms.region,
      AWS_ACCESS_KEY_ID: 'AKIDENTRYTEST',
      AWS_SECRET_ACCESS_KEY: 'entry-test',
      AWS_ENDPOINT_URL_KMS: fx.kms.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([fx.stop(), db.stop()]);
  });

  const properties = (ids: string[], rotationToken = '') => ({
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
    TableName: 'entry-store',
    LogicalStoreName: 'entry-store-name',
    KmsKeyArn: fx.keyArn,
    BranchKeyIds: ids,
    ContextKey: 'tenant',
    RotationToken: rotationToken,
  });
  const event = (type: 'Create' | 'Update' | 'Delete', props: object, old?: object) =>
    ({ RequestType: type, PhysicalResourceId: 'entry-store/entry-store-name', ResourceProperties: props, OldResourceProperties: old }) as unknown as CloudFormationCustomResourceEvent;
  const activeVersion = async (id: string) => {
    const store = new BranchKeyStoreNode({
      logicalKeyStoreName: 'entry-store-name',
      storage: { ddbTableName: 'entry-store', ddbClient: db.client() },
      keyManagement: { kmsClient: fx.kms.client() },
      kmsConfiguration: { identifier: fx.keyArn },
    });
    return (await store.getActiveBranchKey(id)).branchKeyVersion.toString('hex');
  };

  test('Create, Update (a tenant added), Update (rotation), Delete', async () => {
    const created = await branchKeysHandler(event('Create', properties(['acme'])));
    expect(created).toEqual({ PhysicalResourceId: 'entry-store/entry-store-name', Data: { Created: 'acme', Versioned: '' } });
    const acmeV1 = await activeVersion('acme');

    const added = await branchKeysHandler(event('Update', properties(['acme', 'globex']), properties(['acme'])));
    expect(added).toMatchObject({ Data: { Created: 'globex', Versioned: '' } });
    expect(await activeVersion('acme')).toBe(acmeV1);

    const rotated = await branchKeysHandler(event('Update', properties(['acme', 'globex'], '2026-12'), properties(['acme', 'globex'])));
    expect(rotated).toMatchObject({ Data: { Created: '', Versioned: 'acme,globex' } });
    expect(await activeVersion('acme')).not.toBe(acmeV1);

    fx.kms.resetCalls();
    await expect(branchKeysHandler(event('Delete', properties(['acme', 'globex'])))).resolves.toEqual({ PhysicalResourceId: 'entry-store/entry-store-name' });
    expect(fx.kms.totalCalls).toBe(0); // branch keys are retained
  });

  test('the TransactWriteItems double refuses a second create of the same branch key and leaves nothing behind, as DynamoDB would', async () => {
    const store = new BranchKeyStoreNode({
      logicalKeyStoreName: 'entry-store-name',
      storage: { ddbTableName: 'entry-store', ddbClient: db.client() },
      keyManagement: { kmsClient: fx.kms.client() },
      kmsConfiguration: { identifier: fx.keyArn },
    });
    await store.createKey({ branchKeyIdentifier: 'twice', encryptionContext: { tenant: 'twice' } });
    await expect(store.createKey({ branchKeyIdentifier: 'twice', encryptionContext: { tenant: 'twice' } })).rejects.toMatchObject({ name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' }] });
    // The new version item the cancelled transaction put first was undone: one version, one ACTIVE, one beacon.
    const items = await db.client().send(new ScanCommand({ TableName: 'entry-store', FilterExpression: '#id = :id', ExpressionAttributeNames: { '#id': 'branch-key-id' }, ExpressionAttributeValues: { ':id': { S: 'twice' } } }));
    expect(items.Items!.map((i) => i.type.S!.replace(/^branch:version:.*/, 'version')).sort()).toEqual(['beacon:ACTIVE', 'branch:ACTIVE', 'version']);
  });
});
