/**
 * Conformance of the four XKS operations against a proxy on loopback with a SoftHSM2 token:
 * responses, the spec's AAD construction, CDIV, IV sizes, limits, every error name and status,
 * interoperability with Node's AES-256-GCM, secondary authorization, quotas and access logs.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { requestMetadata, xksRequest, XksResponse } from './client';
import { newCredential, ProxyFixture, startFixture } from './fixture';
import { buildAad } from '../../lambda/xks-proxy/operations';

const KEY_BYTES = randomBytes(32);
const credential = newCredential();
const otherStoreCredential = newCredential();
let fixture: ProxyFixture;

const API = '/ks/a/kms/xks/v1';
const target = () => ({ port: fixture.apiPort });
const call = (path: string, body: unknown, method?: string): Promise<XksResponse> =>
  xksRequest(target(), path, body, { method, sign: { credential } });
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

function nodeEncrypt(plaintext: Buffer, aad: Buffer, metadata: Buffer | undefined, ivBytes: number) {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', KEY_BYTES, iv);
  cipher.setAAD(buildAad(aad, metadata));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

beforeAll(async () => {
  fixture = await startFixture(
    [
      { label: 'key-1', bytes: KEY_BYTES },
      { label: 'generic', keyType: 'GENERIC' },
      { label: 'encrypt-only', decrypt: false },
      { label: 'disabled-key' },
      { label: 'other-store-key' },
    ],
    (config) => {
      config.keyStores[0].credentials = [credential];
      config.keyStores[0].keys = ['key-1', 'generic', 'encrypt-only', 'disabled-key', 'not-on-hsm'];
      config.keyStores[0].disabledKeys = ['disabled-key'];
      config.keyStores.push({
        uriPathPrefix: '/ks/limited',
        region: 'eu-west-1',
        credentials: [otherStoreCredential],
        keys: ['other-store-key'],
        quota: { requestsPerSecond: 1, burst: 2 },
        authorization: { rules: [{ awsPrincipalArn: ['arn:aws:iam::111122223333:role/App*'], kmsOperation: ['Encrypt', 'DescribeKey'] }] },
      });
    },
  );
});

afterAll(async () => {
  await fixture?.stop();
});

describe('GetKeyMetadata', () => {
  test('reports an AES-256 key with its usages, enabled', async () => {
    const res = await call(`${API}/keys/key-1/metadata`, { requestMetadata: requestMetadata({ kmsOperation: 'CreateKey' }) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ keySpec: 'AES_256', keyUsage: expect.arrayContaining(['ENCRYPT', 'DECRYPT']), keyStatus: 'ENABLED' });
    expect(res.json.keyUsage.length).toBeLessThanOrEqual(10);
  });

  test('reports a key listed in disabledKeys as DISABLED', async () => {
    const res = await call(`${API}/keys/disabled-key/metadata`, { requestMetadata: requestMetadata() });
    expect(res.json.keyStatus).toBe('DISABLED');
  });
});

describe('Encrypt and Decrypt', () => {
  test('round-trips with AAD and returns the spec fields', async () => {
    const plaintext = b64('Hello World!');
    const aad = b64('project=nile,department=marketing');
    const enc = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext, additionalAuthenticatedData: aad, encryptionAlgorithm: 'AES_GCM' });
    expect(enc.status).toBe(200);
    expect(Buffer.from(enc.json.ciphertext, 'base64')).toHaveLength(12);
    expect(Buffer.from(enc.json.initializationVector, 'base64')).toHaveLength(12);
    expect(Buffer.from(enc.json.authenticationTag, 'base64')).toHaveLength(16);
    expect(Buffer.from(enc.json.ciphertextMetadata, 'base64').length).toBeLessThanOrEqual(20);
    expect(enc.json.ciphertextDataIntegrityValue).toBeUndefined();

    const dec = await call(`${API}/keys/key-1/decrypt`, {
      requestMetadata: requestMetadata({ kmsOperation: 'Decrypt' }),
      encryptionAlgorithm: 'AES_GCM',
      additionalAuthenticatedData: aad,
      ciphertext: enc.json.ciphertext,
      ciphertextMetadata: enc.json.ciphertextMetadata,
      initializationVector: enc.json.initializationVector,
      authenticationTag: enc.json.authenticationTag,
    });
    expect(dec).toMatchObject({ status: 200, json: { plaintext } });
  });

  test('returns the ciphertext data integrity value of Appendix C when asked', async () => {
    const aad = Buffer.from('aad bytes');
    const enc = await call(`${API}/keys/key-1/encrypt`, {
      requestMetadata: requestMetadata({ kmsOperation: 'GenerateDataKey' }),
      plaintext: b64(randomBytes(32)),
      additionalAuthenticatedData: b64(aad),
      encryptionAlgorithm: 'AES_GCM',
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
    });
    const parts = [aad, ...['ciphertextMetadata', 'initializationVector', 'ciphertext', 'authenticationTag'].map((f) => Buffer.from(enc.json[f], 'base64'))];
    expect(enc.json.ciphertextDataIntegrityValue).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('base64'));
  });

  test('HSM ciphertext decrypts in Node with the same key bytes and the spec AAD construction', async () => {
    const plaintext = randomBytes(100);
    const aad = randomBytes(50);
    const enc = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: b64(plaintext), additionalAuthenticatedData: b64(aad), encryptionAlgorithm: 'AES_GCM' });
    const decipher = createDecipheriv('aes-256-gcm', KEY_BYTES, Buffer.from(enc.json.initializationVector, 'base64'));
    decipher.setAAD(Buffer.concat([Buffer.from([0, 50]), aad, Buffer.from([1]), Buffer.from(enc.json.ciphertextMetadata, 'base64')]));
    decipher.setAuthTag(Buffer.from(enc.json.authenticationTag, 'base64'));
    expect(Buffer.concat([decipher.update(Buffer.from(enc.json.ciphertext, 'base64')), decipher.final()])).toEqual(plaintext);
  });

  test.each([12, 16])('Node ciphertext with a %i-byte IV decrypts on the HSM', async (ivBytes) => {
    const plaintext = randomBytes(64);
    const aad = Buffer.from('context');
    const metadata = Buffer.from('vendor-v7');
    const { ciphertext, iv, tag } = nodeEncrypt(plaintext, aad, metadata, ivBytes);
    const dec = await call(`${API}/keys/key-1/decrypt`, {
      requestMetadata: requestMetadata({ kmsOperation: 'Decrypt' }),
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: b64(ciphertext),
      ciphertextMetadata: b64(metadata),
      additionalAuthenticatedData: b64(aad),
      initializationVector: b64(iv),
      authenticationTag: b64(tag),
    });
    expect(dec).toMatchObject({ status: 200, json: { plaintext: b64(plaintext) } });
  });

  test('without AAD and metadata the AAD is the two zero lengths', async () => {
    const plaintext = randomBytes(16);
    const { ciphertext, iv, tag } = nodeEncrypt(plaintext, Buffer.alloc(0), undefined, 12);
    const body = { requestMetadata: requestMetadata(), encryptionAlgorithm: 'AES_GCM', ciphertext: b64(ciphertext), initializationVector: b64(iv), authenticationTag: b64(tag) };
    expect((await call(`${API}/keys/key-1/decrypt`, body)).json).toEqual({ plaintext: b64(plaintext) });
  });

  test('the maximum sizes of the spec are accepted and one byte more is a ValidationException', async () => {
    const ok = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: b64(randomBytes(4300)), additionalAuthenticatedData: b64(randomBytes(8192)), encryptionAlgorithm: 'AES_GCM' });
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.json.ciphertext, 'base64')).toHaveLength(4300);
    const bigPlaintext = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: b64(randomBytes(4301)), encryptionAlgorithm: 'AES_GCM' });
    expect(bigPlaintext).toMatchObject({ status: 400, json: { errorName: 'ValidationException' } });
    const bigAad = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: b64('x'), additionalAuthenticatedData: b64(randomBytes(8193)), encryptionAlgorithm: 'AES_GCM' });
    expect(bigAad).toMatchObject({ status: 400, json: { errorName: 'ValidationException' } });
    const hugeBody = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: b64(randomBytes(70_000)), encryptionAlgorithm: 'AES_GCM' });
    expect(hugeBody).toMatchObject({ status: 400, json: { errorName: 'ValidationException' } });
  });
});

describe('error names and statuses', () => {
  const encryptBody = (overrides: Record<string, unknown> = {}) => ({ requestMetadata: requestMetadata(), plaintext: b64('data'), encryptionAlgorithm: 'AES_GCM', ...overrides });

  test('a modified ciphertextMetadata, AAD or tag is an InvalidCiphertextException', async () => {
    const aad = b64('bound');
    const enc = (await call(`${API}/keys/key-1/encrypt`, encryptBody({ additionalAuthenticatedData: aad }))).json;
    const good = { requestMetadata: requestMetadata(), encryptionAlgorithm: 'AES_GCM', additionalAuthenticatedData: aad, ciphertext: enc.ciphertext, ciphertextMetadata: enc.ciphertextMetadata, initializationVector: enc.initializationVector, authenticationTag: enc.authenticationTag };
    const variants = [
      { ...good, ciphertextMetadata: b64('other') },
      // Metadata passed as AAD instead: the length prefixes keep this from decrypting.
      { ...good, additionalAuthenticatedData: enc.ciphertextMetadata, ciphertextMetadata: undefined },
      { ...good, additionalAuthenticatedData: b64('unbound') },
      { ...good, authenticationTag: b64(randomBytes(16)) },
    ];
    for (const body of variants) {
      expect(await call(`${API}/keys/key-1/decrypt`, body)).toMatchObject({ status: 400, json: { errorName: 'InvalidCiphertextException' } });
    }
    // The session that saw the failures keeps working.
    expect((await call(`${API}/keys/key-1/decrypt`, good)).status).toBe(200);
  });

  test.each([
    ['a missing plaintext', { plaintext: undefined }],
    ['an empty plaintext', { plaintext: '' }],
    ['plaintext that is not Base64', { plaintext: 'not base64!' }],
    ['a missing encryptionAlgorithm', { encryptionAlgorithm: undefined }],
    ['a missing requestMetadata', { requestMetadata: undefined }],
    ['a missing kmsRequestId', { requestMetadata: { ...requestMetadata(), kmsRequestId: undefined } }],
    ['a missing awsPrincipalArn', { requestMetadata: { ...requestMetadata(), awsPrincipalArn: undefined } }],
  ])('%s is a ValidationException (400)', async (_, overrides) => {
    const res = await call(`${API}/keys/key-1/encrypt`, encryptBody(overrides));
    expect(res).toMatchObject({ status: 400, json: { errorName: 'ValidationException', errorMessage: expect.any(String) } });
  });

  test('a body that is not JSON is a ValidationException', async () => {
    expect(await call(`${API}/keys/key-1/encrypt`, '{not json')).toMatchObject({ status: 400, json: { errorName: 'ValidationException' } });
  });

  test('an IV of 13 bytes, a short tag or 21 bytes of metadata is a ValidationException', async () => {
    const base = {
      requestMetadata: requestMetadata(),
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: b64('abc'),
      initializationVector: b64(randomBytes(12)),
      authenticationTag: b64(randomBytes(16)),
    };
    const variants = [
      { ...base, initializationVector: b64(randomBytes(13)) },
      { ...base, authenticationTag: b64(randomBytes(12)) },
      { ...base, ciphertextMetadata: b64(randomBytes(21)) },
    ];
    for (const body of variants) {
      expect(await call(`${API}/keys/key-1/decrypt`, body)).toMatchObject({ status: 400, json: { errorName: 'ValidationException' } });
    }
  });

  test('another algorithm is an UnsupportedOperationException (501)', async () => {
    expect(await call(`${API}/keys/key-1/encrypt`, encryptBody({ encryptionAlgorithm: 'AES_CBC' }))).toMatchObject({ status: 501, json: { errorName: 'UnsupportedOperationException' } });
    expect(await call(`${API}/keys/key-1/encrypt`, encryptBody({ ciphertextDataIntegrityValueAlgorithm: 'SHA_512' }))).toMatchObject({ status: 501, json: { errorName: 'UnsupportedOperationException' } });
  });

  test('keys outside the allow-list or missing on the HSM are KeyNotFoundException (404)', async () => {
    expect(await call(`${API}/keys/other-store-key/encrypt`, encryptBody())).toMatchObject({ status: 404, json: { errorName: 'KeyNotFoundException' } });
    expect(await call(`${API}/keys/not-on-hsm/metadata`, { requestMetadata: requestMetadata() })).toMatchObject({ status: 404, json: { errorName: 'KeyNotFoundException' } });
  });

  test('a non-AES key, or a key without CKA_DECRYPT, is an InvalidKeyUsageException (400)', async () => {
    expect(await call(`${API}/keys/generic/encrypt`, encryptBody())).toMatchObject({ status: 400, json: { errorName: 'InvalidKeyUsageException' } });
    const enc = await call(`${API}/keys/encrypt-only/encrypt`, encryptBody());
    expect(enc.status).toBe(200);
    const dec = await call(`${API}/keys/encrypt-only/decrypt`, { requestMetadata: requestMetadata(), encryptionAlgorithm: 'AES_GCM', ciphertext: enc.json.ciphertext, ciphertextMetadata: enc.json.ciphertextMetadata, initializationVector: enc.json.initializationVector, authenticationTag: enc.json.authenticationTag });
    expect(dec).toMatchObject({ status: 400, json: { errorName: 'InvalidKeyUsageException' } });
  });

  test('a disabled key is an InvalidStateException (400)', async () => {
    expect(await call(`${API}/keys/disabled-key/encrypt`, encryptBody())).toMatchObject({ status: 400, json: { errorName: 'InvalidStateException' } });
  });

  test('GET on an API path is 405 and unknown paths are InvalidUriPathException (404)', async () => {
    const get = await call(`${API}/keys/key-1/encrypt`, undefined, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await call(`${API}/health`, undefined, 'GET')).status).toBe(405);
    for (const path of ['/ks/unknown/kms/xks/v1/health', `${API}/keys/key-1/sign`, `${API}/keys/bad%20id/encrypt`, '/', `${API}/health/extra`]) {
      expect(await call(path, encryptBody())).toMatchObject({ status: 404, json: { errorName: 'InvalidUriPathException' } });
    }
  });

  test('error messages are printable ASCII under 512 characters', async () => {
    const res = await call(`${API}/keys/key-1/encrypt`, encryptBody({ plaintext: 'é'.repeat(600) }));
    expect(res.json.errorMessage).toMatch(/^[\x20-\x7e]{1,511}$/);
  });
});

describe('per key store: secondary authorization and quota', () => {
  const limited = '/ks/limited/kms/xks/v1';
  const send = (path: string, body: unknown) => xksRequest(target(), path, body, { sign: { credential: otherStoreCredential } });

  test('credentials of one key store do not open another', async () => {
    const res = await xksRequest(target(), `${limited}/health`, { requestMetadata: requestMetadata() }, { sign: { credential } });
    expect(res).toMatchObject({ status: 401, json: { errorName: 'AuthenticationFailedException' } });
  });

  test('authorization rules deny other principals and operations, never health; the quota throttles', async () => {
    const encryptAs = (awsPrincipalArn: string) => send(`${limited}/keys/other-store-key/encrypt`, { requestMetadata: requestMetadata({ awsPrincipalArn }), plaintext: b64('x'), encryptionAlgorithm: 'AES_GCM' });
    const refill = () => new Promise((r) => setTimeout(r, 1100));
    // The bucket holds 2 requests and refills one per second.
    expect((await encryptAs('arn:aws:iam::111122223333:role/AppWriter')).status).toBe(200);
    expect(await encryptAs('arn:aws:iam::999999999999:role/App')).toMatchObject({ status: 403, json: { errorName: 'AccessDeniedException' } });
    expect(await encryptAs('arn:aws:iam::111122223333:role/AppWriter')).toMatchObject({ status: 429, json: { errorName: 'ThrottlingException' } });
    await refill();
    const createKey = await send(`${limited}/keys/other-store-key/metadata`, { requestMetadata: requestMetadata({ kmsOperation: 'CreateKey' }) });
    expect(createKey).toMatchObject({ status: 403, json: { errorName: 'AccessDeniedException' } });
    await refill();
    // Health carries no principal and is never subject to secondary authorization.
    const health = await send(`${limited}/health`, { requestMetadata: { kmsRequestId: 'h-1', kmsOperation: 'KmsHealthCheck' } });
    expect(health.status).toBe(200);
    const denial = fixture.logs.find((l) => l.errorName === 'AccessDeniedException');
    expect(denial).toMatchObject({ keyStore: '/ks/limited', kmsRequestId: expect.any(String), principal: 'arn:aws:iam::999999999999:role/App', status: 403 });
  });
});

test('keys that are missing or unusable on the HSM are reported at start-up', async () => {
  const line = await fixture.waitForLog((l) => l.msg === 'startup.keyProblems');
  expect(line.problems).toEqual({ 'not-on-hsm': 'KeyNotFoundException', 'generic': 'InvalidKeyUsageException', 'encrypt-only': expect.stringMatching(/^usage is /) });
});

describe('GetHealthStatus', () => {
  test('answers the spec fields with the deep-check status', async () => {
    const res = await call(`${API}/health`, { requestMetadata: { kmsRequestId: 'r-1', kmsOperation: 'KmsHealthCheck' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      xksProxyFleetSize: 1,
      xksProxyVendor: 'cdk-kms-patterns',
      xksProxyModel: expect.stringContaining('cdk-kms-patterns'),
      ekmVendor: 'SoftHSM',
      ekmFleetDetails: [{ id: expect.any(String), model: expect.stringContaining('SoftHSM'), healthStatus: 'ACTIVE' }],
    });
  });
});

describe('access logs', () => {
  test('record operation, key, principal, outcome, latency and kmsRequestId, never plaintext or secrets', async () => {
    const secretPlaintext = randomBytes(48);
    const kmsRequestId = `log-check-${os.hostname()}`;
    const enc = await call(`${API}/keys/key-1/encrypt`, { requestMetadata: requestMetadata({ kmsRequestId }), plaintext: b64(secretPlaintext), encryptionAlgorithm: 'AES_GCM' });
    const line = await fixture.waitForLog((l) => l.kmsRequestId === kmsRequestId);
    const all = JSON.stringify(fixture.logs);
    expect(line).toMatchObject({ msg: 'access', operation: 'Encrypt', externalKeyId: 'key-1', principal: 'arn:aws:iam::111122223333:role/App', outcome: 'ok', status: 200, latencyMs: expect.any(Number) });
    for (const secret of [b64(secretPlaintext), secretPlaintext.toString('hex'), enc.json.ciphertext, credential.secretAccessKey, '1234-test-pin', KEY_BYTES.toString('base64')]) {
      expect(all).not.toContain(secret);
    }
  });
});
