/**
 * CloudHSM key stores through the store handler against the local KMS, whose simulated clusters
 * drive the connection state sequences: CONNECTING -> CONNECTED, CONNECTING -> FAILED for every
 * documented code, a connection that never ends (time-out), and the update and delete paths.
 */
import { DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { keyEvent, ProviderDriver, ROOT_POLICY, SecretStandIn, storeEvent } from './provider-driver';
import { connectionErrorCodes, connectionErrorHelp } from '../../lambda/keystore/connection-errors';
import { LocalCustomKeyStores } from '../support/kms-custom-key-stores';
import { LocalKmsServer } from '../support/kms-server';

const TRUST_ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIBlocalTrustAnchor\n-----END CERTIFICATE-----';
const PASSWORD_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kmsuser-AbCdEf';
const PASSWORD = 'kmsuser-Passw0rd';

let server: LocalKmsServer;
let stores: LocalCustomKeyStores;
let kms: KMSClient;
let secrets: SecretStandIn;
let clusterCount = 0;

function newCluster(outcome?: string, connectingPolls = 2): string {
  const id = `cluster-${(++clusterCount).toString().padStart(11, 'a')}`;
  stores.addCloudHsmCluster(id, { trustAnchorCertificate: TRUST_ANCHOR, kmsUserPassword: PASSWORD, outcome, connectingPolls });
  return id;
}

function props(clusterId: string, name = `hsm-store-${clusterId}`): Record<string, unknown> {
  return {
    CustomKeyStoreType: 'AWS_CLOUDHSM',
    CustomKeyStoreName: name,
    CloudHsmClusterId: clusterId,
    TrustAnchorCertificate: TRUST_ANCHOR,
    KeyStorePasswordSecretArn: PASSWORD_ARN,
    TimeoutSeconds: '3600',
  };
}

beforeAll(async () => {
  server = await LocalKmsServer.start({ region: 'eu-west-1' });
  stores = new LocalCustomKeyStores({ region: server.region, account: server.account });
  server.extend(stores);
  kms = server.client();
});

afterAll(async () => {
  kms?.destroy();
  await server?.stop();
});

beforeEach(() => {
  secrets = new SecretStandIn();
  secrets.values.set(PASSWORD_ARN, PASSWORD);
});

test('CONNECTING -> CONNECTED: the store is created, connected, and its id returned', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const result = await driver.run(storeEvent('Create', props(newCluster(undefined, 3))));
  expect(result.physicalId).toMatch(/^cks-/);
  expect(result.data).toMatchObject({ CustomKeyStoreId: result.physicalId, CustomKeyStoreType: 'AWS_CLOUDHSM' });
  // Polled while CONNECTING, then done.
  expect(result.polls).toBe(4);
  expect(stores.stateOf(result.physicalId)?.state).toBe('CONNECTED');
});

describe('CONNECTING -> FAILED fails the deploy with the code, its cause and fix', () => {
  test.each(connectionErrorCodes('AWS_CLOUDHSM'))('%s', async (code) => {
    const driver = new ProviderDriver(kms, secrets, stores);
    const cluster = newCluster(code === 'INVALID_CREDENTIALS' ? undefined : code);
    if (code === 'INVALID_CREDENTIALS') secrets.values.set(PASSWORD_ARN, 'not-the-password');
    const error = await driver.run(storeEvent('Create', props(cluster))).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const help = connectionErrorHelp('AWS_CLOUDHSM', code)!;
    expect((error as Error).message).toContain(`(${code})`);
    expect((error as Error).message).toContain(help.fix);
    expect((error as Error).message).not.toContain('not-the-password');
    expect((error as Error).message).not.toContain(PASSWORD);
  });
});

test('a connection that never ends fails at the time-out with the state, and the store is kept', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const properties: Record<string, unknown> = { ...props(newCluster('NEVER')), TimeoutSeconds: '600' };
  const error = await driver.run(storeEvent('Create', properties), 100, 60_000).catch((e: Error) => e);
  expect((error as Error).message).toMatch(/is still CONNECTING after 600 seconds/);
  const listed = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: properties.CustomKeyStoreName as string }));
  expect(listed.CustomKeyStores?.[0].ConnectionState).toBe('CONNECTING');
});

test('a retry after a time-out adopts the store by name instead of creating a second one', async () => {
  const cluster = newCluster(undefined, 1);
  const first = await new ProviderDriver(kms, secrets, stores).handlers.onEvent(storeEvent('Create', props(cluster)));
  // The first attempt timed out mid-way; the retried create finds the same store.
  const retried = await new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', props(cluster)));
  expect(retried.physicalId).toBe(first.PhysicalResourceId);
  expect(stores.stateOf(retried.physicalId)?.state).toBe('CONNECTED');
});

test('a FAILED store is fixed by the next deploy: disconnect, update the password, reconnect', async () => {
  const cluster = newCluster();
  secrets.values.set(PASSWORD_ARN, 'old-password');
  const failed = await new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', props(cluster))).catch((e: Error) => e);
  expect((failed as Error).message).toContain('INVALID_CREDENTIALS');
  secrets.values.set(PASSWORD_ARN, PASSWORD);
  // The rollback kept the store (RETAIN); the next deploy's create adopts and repairs it.
  const repaired = await new ProviderDriver(kms, secrets, stores).run(storeEvent('Create', props(cluster)));
  expect(stores.stateOf(repaired.physicalId)?.state).toBe('CONNECTED');
});

test('rename while connected, no disconnect', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const cluster = newCluster(undefined, 0);
  const before = props(cluster);
  const created = await driver.run(storeEvent('Create', before));
  const after = { ...before, CustomKeyStoreName: `${before.CustomKeyStoreName}-renamed` };
  const updated = await driver.run(storeEvent('Update', after, { physicalId: created.physicalId, old: before }));
  expect(updated.physicalId).toBe(created.physicalId);
  expect(updated.polls).toBe(1);
  expect(updated.data.CustomKeyStoreName).toBe(after.CustomKeyStoreName);
});

test('a new cluster id: disconnect, update, reconnect', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const before = props(newCluster(undefined, 0));
  const created = await driver.run(storeEvent('Create', before));
  const after = { ...before, CloudHsmClusterId: newCluster(undefined, 1) };
  const updated = await driver.run(storeEvent('Update', after, { physicalId: created.physicalId, old: before }));
  expect(updated.physicalId).toBe(created.physicalId);
  const described = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: created.physicalId }));
  expect(described.CustomKeyStores?.[0]).toMatchObject({ CloudHsmClusterId: after.CloudHsmClusterId, ConnectionState: 'CONNECTED' });
});

test('a wrong trust anchor fails at create with the fix', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const error = await driver.run(storeEvent('Create', { ...props(newCluster()), TrustAnchorCertificate: 'other' })).catch((e: Error) => e);
  expect((error as Error).message).toMatch(/IncorrectTrustAnchorException: the trust anchor certificate is not the one that initialized this cluster/);
});

test('delete: refused while the store holds a key (pending deletion too), then disconnect and delete', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const properties = props(newCluster(undefined, 0));
  const store = await driver.run(storeEvent('Create', properties));
  const key = await driver.run(keyEvent('Create', {
    CustomKeyStoreId: store.physicalId, Origin: 'AWS_CLOUDHSM', KeyPolicy: ROOT_POLICY, PendingWindowInDays: '7',
  }));
  const refused = await driver.run(storeEvent('Delete', properties, { physicalId: store.physicalId })).catch((e: Error) => e);
  expect((refused as Error).message).toMatch(/still holds 1 KMS key\(s\) \(.*\), keys pending deletion included, so it is not deleted/);
  // Refused before disconnecting: the key stays usable.
  expect(stores.stateOf(store.physicalId)?.state).toBe('CONNECTED');
  await driver.run(keyEvent('Delete', { CustomKeyStoreId: store.physicalId, Origin: 'AWS_CLOUDHSM', KeyPolicy: ROOT_POLICY, PendingWindowInDays: '7' }, { physicalId: key.physicalId }));
  const stillRefused = await driver.run(storeEvent('Delete', properties, { physicalId: store.physicalId })).catch((e: Error) => e);
  expect((stillRefused as Error).message).toMatch(/still holds 1 KMS key/);
});

test('rollback of a store still CONNECTING or FAILED: disconnected and deleted', async () => {
  for (const outcome of ['NEVER', 'INSUFFICIENT_CLOUDHSM_HSMS']) {
    const driver = new ProviderDriver(kms, secrets, stores);
    const properties = props(newCluster(outcome, 0));
    const started = await driver.handlers.onEvent(storeEvent('Create', properties));
    await driver.handlers.isComplete({ ...storeEvent('Create', properties), PhysicalResourceId: started.PhysicalResourceId, Data: started.Data }).catch(() => undefined);
    const deleted = await driver.run(storeEvent('Delete', properties, { physicalId: started.PhysicalResourceId }));
    expect(deleted.physicalId).toBe(started.PhysicalResourceId);
    expect(stores.stateOf(started.PhysicalResourceId)).toBeUndefined();
  }
});

test('deleting a store that is already gone succeeds (a retried delete)', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  const result = await driver.run(storeEvent('Delete', props(newCluster()), { physicalId: 'cks-00000000000000000' }));
  expect(result.physicalId).toBe('cks-00000000000000000');
});

test('the password is read only by the handler and never logged', async () => {
  const driver = new ProviderDriver(kms, secrets, stores);
  await driver.run(storeEvent('Create', props(newCluster(undefined, 0))));
  expect(secrets.reads).toContain(PASSWORD_ARN);
  expect(JSON.stringify(driver.logs)).not.toContain(PASSWORD);
});
