/**
 * The codec with the hierarchical keyring (CodecOptions.branchKeys), on the local KMS server and
 * dynalite: per-message encryption context without a KMS call per message, one KMS call per branch
 * key per cache period (per process), tenants on their own branch keys, branch key rotation
 * (versionKey), and typed errors. Branch keys are created with the ESDK's own BranchKeyStoreNode;
 * its one TransactWriteItems call goes through test/support/dynalite-transactions.ts (dynalite has
 * none), every read (GetItem) and every encrypt/decrypt path is real dynalite and the local KMS.
 */
import { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Codec, createCodec, EncryptionContext } from '../../lambda/envelope/codec';
import { ErrorCode } from '../../lambda/envelope/errors';
import { LocalDynamoDb, startDynalite } from '../support/dynalite';
import { LocalKmsServer } from '../support/kms-server';

const TABLE = 'branch-keys';
let kms: LocalKmsServer;
let db: LocalDynamoDb;
let keyArn: string;
let ddb: DynamoDBClient;
let keyStore: BranchKeyStoreNode;
const tenantKeys = new Map<string, string>();

/** A key store as a Lambda function would build one: its own clients (a "container"). */
function newKeyStore(): BranchKeyStoreNode {
  return new BranchKeyStoreNode({
    logicalKeyStoreName: TABLE,
    storage: { ddbTableName: TABLE, ddbClient: db.client() },
    keyManagement: { kmsClient: kms.client({ maxAttempts: 1 }) },
    kmsConfiguration: { identifier: keyArn },
  });
}

function newCodec(store = newKeyStore(), cacheTtlSeconds = 300): Codec {
  return createCodec({
    keyArn,
    kms: kms.client({ maxAttempts: 1 }),
    branchKeys: { keyStore: store, cacheTtlSeconds, branchKeyIdFor: (context: EncryptionContext) => tenantKeys.get(context.tenant)! },
  });
}

beforeAll(async () => {
  [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  await db.createTable(TABLE, 'branch-key-id', 'type');
  keyArn = kms.createKey();
  ddb = db.client();
  keyStore = newKeyStore();
  for (const tenant of ['a', 'b']) {
    const { branchKeyIdentifier } = await keyStore.createKey({ branchKeyIdentifier: `tenant-${tenant}`, encryptionContext: { tenant } });
    tenantKeys.set(tenant, branchKeyIdentifier);
  }
});
afterAll(async () => {
  ddb.destroy();
  await Promise.all([kms.stop(), db.stop()]);
});

const objectContext = (tenant: string, i: number): EncryptionContext => ({ tenant, 'bucket': 'docs', 'object-key': `protected/${tenant}/${i}.bin` });

test('1,000 new objects, each with its own context: one KMS call per tenant to encrypt, one to decrypt', async () => {
  const codec = newCodec();
  kms.resetCalls();
  const messages: Array<[EncryptionContext, Buffer]> = [];
  for (let i = 0; i < 500; i++) {
    for (const tenant of ['a', 'b']) {
      const context = objectContext(tenant, i);
      messages.push([context, await codec.encrypt(Buffer.from(`object ${tenant}/${i}`), context)]);
    }
  }
  expect(kms.calls.Decrypt).toBe(2); // one branch key unwrap per tenant
  expect(kms.totalCalls).toBe(2);
  // Decryption reads the branch key version named in each message: cached apart from the active
  // key, so one more unwrap per tenant.
  for (const [context, message] of messages.slice(0, 50)) {
    expect((await codec.decrypt(message, context)).toString()).toBe(`object ${context.tenant}/${context['object-key'].split('/')[2].replace('.bin', '')}`);
  }
  // Moved to another object: the context sealed in the message no longer matches.
  await expect(codec.decrypt(messages[0][1], objectContext('a', 1))).rejects.toMatchObject({ code: ErrorCode.CONTEXT_MISMATCH });
  expect(kms.totalCalls).toBe(4);
});

test('several containers (cold caches): one KMS call per branch key per container, never per object', async () => {
  kms.resetCalls();
  const containers = Array.from({ length: 4 }, () => newCodec());
  for (const [c, codec] of containers.entries()) {
    for (let i = 0; i < 100; i++) await codec.encrypt(Buffer.from('x'), objectContext('a', c * 1000 + i));
  }
  expect(kms.totalCalls).toBe(4);
});

test('a message written by one container decrypts in another (cold cache: one KMS call)', async () => {
  const writer = newCodec();
  const message = await writer.encrypt(Buffer.from('shared'), objectContext('b', 1));
  kms.resetCalls();
  const reader = newCodec();
  expect((await reader.decrypt(message, objectContext('b', 1))).toString()).toBe('shared');
  expect(kms.totalCalls).toBe(1);
});

test('a key policy condition on the branch key id keeps a role to its tenant', async () => {
  const codec = newCodec();
  const messageOfB = await codec.encrypt(Buffer.from('b-secret'), objectContext('b', 7));
  // As `kms:EncryptionContext:branch-key-id = tenant-a` in a role's key-policy statement would.
  kms.setContextPolicy(keyArn, (_operation, context) => context['branch-key-id'] === 'tenant-a');
  try {
    const roleOfA = newCodec();
    expect((await roleOfA.decrypt(await roleOfA.encrypt(Buffer.from('a'), objectContext('a', 7)), objectContext('a', 7))).toString()).toBe('a');
    await expect(roleOfA.decrypt(messageOfB, objectContext('b', 7))).rejects.toMatchObject({ code: ErrorCode.ACCESS_DENIED });
    await expect(roleOfA.encrypt(Buffer.from('b'), objectContext('b', 8))).rejects.toMatchObject({ code: ErrorCode.ACCESS_DENIED });
  } finally {
    kms.setContextPolicy(keyArn, undefined);
  }
});

test('rotation (versionKey): new messages use the new version, old messages still decrypt', async () => {
  const before = newCodec();
  const old = await before.encrypt(Buffer.from('v1'), objectContext('a', 100));
  await keyStore.versionKey({ branchKeyIdentifier: tenantKeys.get('a')! });
  const after = newCodec();
  const fresh = await after.encrypt(Buffer.from('v2'), objectContext('a', 101));
  expect((await after.decrypt(old, objectContext('a', 100))).toString()).toBe('v1');
  expect((await after.decrypt(fresh, objectContext('a', 101))).toString()).toBe('v2');
  // The branch key version is named in the message, so the two messages carry different versions.
  expect(fresh.equals(old)).toBe(false);
});

test('streams: a large object in frames, per-object context, through the hierarchical keyring', async () => {
  const codec = newCodec();
  const plaintext = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  const context = objectContext('b', 9000);
  const chunks: Buffer[] = [];
  const encrypt = codec.encryptStream(context);
  encrypt.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve, reject) => encrypt.on('end', resolve).on('error', reject));
  encrypt.end(plaintext);
  await done;
  const out: Buffer[] = [];
  const decrypt = codec.decryptStream(context);
  decrypt.on('data', (c: Buffer) => out.push(c));
  const read = new Promise((resolve, reject) => decrypt.on('end', resolve).on('error', reject));
  decrypt.end(Buffer.concat(chunks));
  await read;
  expect(Buffer.concat(out).equals(plaintext)).toBe(true);
});

test('typed errors: an unknown branch key is Misconfigured; a disabled KMS key is KeyDisabled', async () => {
  const codec = createCodec({
    keyArn,
    kms: kms.client({ maxAttempts: 1 }),
    branchKeys: { keyStore: newKeyStore(), cacheTtlSeconds: 60, branchKeyIdFor: () => 'no-such-branch-key' },
  });
  await expect(codec.encrypt(Buffer.from('x'), objectContext('a', 1))).rejects.toMatchObject({ code: ErrorCode.MISCONFIGURED, retryable: false });
  kms.disableKey(keyArn);
  try {
    await expect(newCodec().encrypt(Buffer.from('x'), objectContext('a', 2))).rejects.toMatchObject({ code: ErrorCode.KEY_DISABLED });
  } finally {
    kms.enableKey(keyArn);
  }
});
