/**
 * End to end without AWS: the store and key handlers run against the local KMS, which calls our
 * real XKS proxy (its own process, SigV4, a SoftHSM2 token) as KMS does. The store becomes
 * CONNECTED, a key is created in it, and data encrypted through KMS -> proxy -> HSM decrypts; a
 * wrong credential, a wrong URI path and a stopped proxy each end FAILED with the right code.
 */
import * as net from 'node:net';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { keyEvent, ProviderDriver, ROOT_POLICY, SecretStandIn, storeEvent } from './provider-driver';
import { connectionErrorHelp } from '../../lambda/keystore/connection-errors';
import { LocalCustomKeyStores } from '../support/kms-custom-key-stores';
import { LocalKmsServer } from '../support/kms-server';
import { newCredential, ProxyFixture, startFixture } from '../xks-proxy/fixture';

const REGION = 'eu-west-1';
const SERVICE = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0e2e0e2e0e2e0e2e0';
const CREDENTIAL_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:xks-credential-AbCdEf';
const credential = newCredential();

let proxy: ProxyFixture;
let server: LocalKmsServer;
let stores: LocalCustomKeyStores;
let kms: KMSClient;
let secrets: SecretStandIn;
let storeCount = 0;

function props(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    CustomKeyStoreName: `xks-store-${++storeCount}`,
    XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
    // KMS allows one store per endpoint and URI path.
    XksProxyUriEndpoint: `https://xks${storeCount}.example.com`,
    XksProxyUriPath: '/ks/a/kms/xks/v1',
    XksProxyVpcEndpointServiceName: `${SERVICE}${storeCount}`,
    CredentialSecretArn: CREDENTIAL_ARN,
    ...overrides,
  };
}

/** Each store gets its own endpoint service name (KMS allows one store per service). */
function route(properties: Record<string, unknown>, url = `http://127.0.0.1:${proxy.apiPort}`): Record<string, unknown> {
  stores.routeEndpointService(properties.XksProxyVpcEndpointServiceName as string, url);
  return properties;
}

beforeAll(async () => {
  proxy = await startFixture([{ label: 'app-key-1' }, { label: 'app-key-2' }], (config) => {
    config.keyStores[0].region = REGION;
    config.keyStores[0].credentials = [credential];
    config.keyStores[0].keys = ['app-key-1', 'app-key-2'];
  });
  server = await LocalKmsServer.start({ region: REGION });
  // CI machines are small and shared: allow more than KMS's 250 ms so the test is about behaviour.
  stores = new LocalCustomKeyStores({ region: REGION, account: server.account, xksTimeoutMs: 5000 });
  server.extend(stores);
  kms = server.client();
});

afterAll(async () => {
  kms?.destroy();
  await server?.stop();
  await proxy?.stop();
});

beforeEach(() => {
  secrets = new SecretStandIn();
  secrets.values.set(CREDENTIAL_ARN, JSON.stringify(credential));
});

test('CONNECTED store, a key in it, and data through KMS -> proxy -> HSM', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const store = await driver.run(storeEvent('Create', route(props())));
  expect(store.data).toMatchObject({ CustomKeyStoreId: store.physicalId, CustomKeyStoreType: 'EXTERNAL_KEY_STORE' });
  expect(stores.calls.get('xks:GetHealthStatus')).toBeGreaterThanOrEqual(1);

  const keyProps = { CustomKeyStoreId: store.physicalId, Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'app-key-1', KeyPolicy: ROOT_POLICY, Description: 'orders', Tags: [{ Key: 'team', Value: 'payments' }] };
  const key = await driver.run(keyEvent('Create', keyProps));
  expect(key.data.Arn).toBe(`arn:aws:kms:${REGION}:${server.account}:key/${key.physicalId}`);

  const context = { table: 'orders' };
  const encrypted = await kms.send(new EncryptCommand({ KeyId: key.data.Arn, Plaintext: Buffer.from('card 4111'), EncryptionContext: context }));
  const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }));
  expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('card 4111');
  const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.physicalId, KeySpec: 'AES_256' }));
  const unwrapped = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
  expect(Buffer.from(unwrapped.Plaintext!)).toEqual(Buffer.from(dataKey.Plaintext!));

  // The proxy did the outer encryption and decryption with the HSM key, signed by KMS's credential.
  const proxied = proxy.logs.filter((l) => l.msg === 'access' && l.externalKeyId === 'app-key-1').map((l) => l.operation);
  expect(proxied).toEqual(expect.arrayContaining(['GetKeyMetadata', 'Encrypt', 'Decrypt']));
  // A different encryption context does not decrypt.
  await expect(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { table: 'other' } })))
    .rejects.toThrow(/invalid/i);

  // Update in place: a new policy goes through PutKeyPolicy; same key.
  const newPolicy = { ...ROOT_POLICY, Statement: [...ROOT_POLICY.Statement, { Sid: 'Extra', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/App' }, Action: 'kms:Decrypt', Resource: '*' }] };
  const updated = await driver.run(keyEvent('Update', { ...keyProps, KeyPolicy: newPolicy }, { physicalId: key.physicalId, old: keyProps }));
  expect(updated.physicalId).toBe(key.physicalId);
  const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: key.physicalId }));
  expect(JSON.parse(policy.Policy!).Statement).toHaveLength(2);

  // A retried create (same stack, logical id, store and external key) finds the key, never a second one.
  const retried = await driver.run(keyEvent('Create', keyProps));
  expect(retried.physicalId).toBe(key.physicalId);
  // The store holds a key: deleting it is refused without disconnecting it.
  await expect(driver.run(storeEvent('Delete', props(), { physicalId: store.physicalId }))).rejects.toThrow(/still holds 1 KMS key/);
  expect(stores.stateOf(store.physicalId)?.state).toBe('CONNECTED');
});

describe('a FAILED connection fails the deploy with the right code, cause and fix', () => {
  const cases: Array<[string, string, () => Record<string, unknown>]> = [
    ['a wrong credential', 'INVALID_CREDENTIALS', () => {
      secrets.values.set(CREDENTIAL_ARN, JSON.stringify(newCredential()));
      return route(props());
    }],
    ['a wrong URI path', 'XKS_PROXY_INVALID_CONFIGURATION', () => route(props({ XksProxyUriPath: '/ks/wrong/kms/xks/v1' }))],
    ['a stopped proxy', 'XKS_PROXY_NOT_REACHABLE', () => route(props(), `http://127.0.0.1:${closedPort}`)],
  ];
  test.each(cases)('%s: %s', async (_, code, setup) => {
    const properties = setup();
    const driver = new ProviderDriver(kms, secrets, stores);
    const error = await driver.run(storeEvent('Create', properties)).catch((e: Error) => e);
    expect((error as Error).message).toContain(`(${code})`);
    expect((error as Error).message).toContain(connectionErrorHelp('EXTERNAL_KEY_STORE', code)!.fix);
    expect((error as Error).message).not.toContain(credential.secretAccessKey);
  });

  test('a VPC endpoint service that went away: XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND (and one missing at create fails there)', async () => {
    const driver = new ProviderDriver(kms, secrets, stores);
    await expect(driver.run(storeEvent('Create', props()))).rejects.toThrow(/XksProxyVpcEndpointServiceNotFoundException: no VPC endpoint service has this name/);
    const before = route(props());
    const store = await driver.run(storeEvent('Create', before));
    stores.routeEndpointService(before.XksProxyVpcEndpointServiceName as string, undefined);
    // A change that needs a reconnect: the endpoint service is looked up again.
    const after = { ...before, XksProxyUriEndpoint: 'https://xks-moved.example.com' };
    const error = await driver.run(storeEvent('Update', after, { physicalId: store.physicalId, old: before })).catch((e: Error) => e);
    expect((error as Error).message).toContain('(XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND)');
    expect((error as Error).message).toContain(connectionErrorHelp('EXTERNAL_KEY_STORE', 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND')!.fix);
  });

  test('a proxy that does not answer in time: XKS_PROXY_TIMED_OUT', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const saved = stores.xksTimeoutMs;
    stores.xksTimeoutMs = 200;
    try {
      const properties = route(props(), `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
      const error = await new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', properties)).catch((e: Error) => e);
      expect((error as Error).message).toContain('(XKS_PROXY_TIMED_OUT)');
    } finally {
      stores.xksTimeoutMs = saved;
      silent.close();
    }
  });
});

test('a stopped-proxy failure is repaired by the next deploy once the proxy is back', async () => {
  const properties = route(props(), `http://127.0.0.1:${closedPort}`);
  await expect(new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', properties))).rejects.toThrow(/XKS_PROXY_NOT_REACHABLE/);
  route(properties);
  const repaired = await new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', properties));
  expect(stores.stateOf(repaired.physicalId)?.state).toBe('CONNECTED');
});

test('a new URI path: disconnect, update, reconnect; a new name and credential: in place', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const wrong = route(props({ XksProxyUriPath: '/ks/wrong/kms/xks/v1' }));
  await expect(driver.run(storeEvent('Create', wrong))).rejects.toThrow(/XKS_PROXY_INVALID_CONFIGURATION/);
  const id = (await driver.handlers.onEvent(storeEvent('Create', wrong))).PhysicalResourceId;
  const fixed: Record<string, unknown> = { ...wrong, XksProxyUriPath: '/ks/a/kms/xks/v1' };
  const updated = await driver.run(storeEvent('Update', fixed, { physicalId: id, old: wrong }));
  expect(stores.stateOf(updated.physicalId)?.state).toBe('CONNECTED');

  const renamed: Record<string, unknown> = { ...fixed, CustomKeyStoreName: `${String(fixed.CustomKeyStoreName)}-renamed` };
  const inPlace = await driver.run(storeEvent('Update', renamed, { physicalId: id, old: fixed }));
  expect(inPlace.polls).toBe(1);
  expect(inPlace.data.CustomKeyStoreName).toBe(renamed.CustomKeyStoreName);

  // Delete: disconnect, then delete.
  await driver.run(storeEvent('Delete', renamed, { physicalId: id }));
  expect(stores.stateOf(id)).toBeUndefined();
});

test('keys: an XKS key id the proxy does not have, and one already in use, fail with the fix', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const store = await driver.run(storeEvent('Create', route(props())));
  const base = { CustomKeyStoreId: store.physicalId, Origin: 'EXTERNAL_KEY_STORE', KeyPolicy: ROOT_POLICY };
  await expect(driver.run(keyEvent('Create', { ...base, XksKeyId: 'not-on-hsm' }))).rejects.toThrow(/XksKeyNotFoundException: .*xks-proxy keys create/);
  await driver.run(keyEvent('Create', { ...base, XksKeyId: 'app-key-2' }, { logicalId: 'First' }));
  await expect(driver.run(keyEvent('Create', { ...base, XksKeyId: 'app-key-2' }, { logicalId: 'Second' }))).rejects.toThrow(/XksKeyAlreadyInUseException/);
});

let closedPort = 1;
beforeAll(async () => {
  // A port that was just free: nothing listens there.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
