/**
 * The container entrypoint's SoftHSM2 demo mode, run as a plain script (no Docker here): it makes a
 * token with the demo keys and the health key, and the proxy it starts serves them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requestMetadata, xksRequest } from './client';
import { baseConfig, newCredential, ProxyFixture, startProxyProcess } from './fixture';

const ENTRYPOINT = path.join(__dirname, '..', '..', 'lambda', 'xks-proxy', 'docker-entrypoint.sh');
const credential = newCredential();
let dir: string;
let proxy: ProxyFixture;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-entrypoint-'));
  const config = baseConfig([credential], ['demo-key-1', 'demo-key-2']);
  config.pkcs11.tokenLabel = 'xks';
  config.pkcs11.pin = { env: 'XKS_HSM_PIN' };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const env = { ...process.env, XKS_SOFTHSM_DEMO_KEYS: 'demo-key-1 demo-key-2', XKS_HSM_PIN: '2468-demo', XKS_SOFTHSM_DIR: dir };
  proxy = await startProxyProcess({ dir, env, cleanup: () => undefined }, configFile, {}, ['/bin/sh', ENTRYPOINT]);
});

afterAll(async () => {
  await proxy?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('demo mode creates the token and keys, and the proxy serves them with a healthy HSM', async () => {
  expect(proxy.logs.find((l) => l.msg === 'demo.softhsmToken')).toMatchObject({ tokenLabel: 'xks' });
  const target = { port: proxy.apiPort };
  const metadata = await xksRequest(target, '/ks/a/kms/xks/v1/keys/demo-key-2/metadata', { requestMetadata: requestMetadata() }, { sign: { credential } });
  expect(metadata.json).toEqual({ keySpec: 'AES_256', keyUsage: expect.arrayContaining(['ENCRYPT', 'DECRYPT']), keyStatus: 'ENABLED' });
  const health = await xksRequest(target, '/ks/a/kms/xks/v1/health', { requestMetadata: { kmsRequestId: 'r', kmsOperation: 'KmsHealthCheck' } }, { sign: { credential } });
  expect(health.json.ekmFleetDetails[0].healthStatus).toBe('ACTIVE');
});
