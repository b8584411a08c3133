/**
 * Runs the proxy in this process and breaks its HSM on purpose, printing what a caller observes
 * as one JSON object (run by health.test.ts as a child process, because breaking the HSM needs
 * the proxy's own PKCS#11 handle and SoftHSM2 reads SOFTHSM2_CONF from the real environment).
 *
 * argv[2]: the configuration document (JSON). Steps: healthy; every pooled session closed under the
 * proxy's feet; the HSM slower than operationTimeoutMs; the PKCS#11 library finalized (HSM gone).
 */
import { pbkdf2 } from 'node:crypto';
import { requestMetadata, TestCredential, xksRequest } from './client';
import { parseConfig } from '../../lambda/xks-proxy/config';
import { Logger } from '../../lambda/xks-proxy/log';
import { startProxy } from '../../lambda/xks-proxy/server';

async function main(): Promise<void> {
  const document = JSON.parse(process.argv[2]);
  const credential: TestCredential = document.keyStores[0].credentials[0];
  const proxy = await startProxy(parseConfig(process.argv[2], process.env), { log: new Logger('error', (line) => process.stderr.write(line)) });
  const api = '/ks/a/kms/xks/v1';
  const healthStatus = async () => (await xksRequest({ port: proxy.apiPort }, `${api}/health`, { requestMetadata: { kmsRequestId: 'h', kmsOperation: 'KmsHealthCheck' } }, { sign: { credential } })).json.ekmFleetDetails[0].healthStatus;
  const loadBalancer = async () => (await fetch(`http://127.0.0.1:${proxy.healthPort}/healthz`)).status;
  const encrypt = async () => {
    const res = await xksRequest({ port: proxy.apiPort }, `${api}/keys/key-1/encrypt`, { requestMetadata: requestMetadata(), plaintext: 'AAAA', encryptionAlgorithm: 'AES_GCM' }, { sign: { credential } });
    return { status: res.status, errorName: res.json.errorName };
  };
  const observe = async () => ({ health: await healthStatus(), loadBalancer: await loadBalancer(), encrypt: await encrypt() });

  const healthy = await observe();

  proxy.hsm.pkcs11.C_CloseAllSessions(proxy.hsm.slot);
  const sessionsLost = await observe();
  const recovered = [];
  for (let i = 0; i < 6; i++) recovered.push(await healthStatus());

  // Occupy every libuv worker thread (UV_THREADPOOL_SIZE=2), where the PKCS#11 calls run, for longer than the timeout.
  const busy = Array.from({ length: 2 }, () => new Promise((resolve) => pbkdf2('x', 'y', 3_000_000, 32, 'sha512', resolve)));
  const slowHsm = await encrypt();
  await Promise.all(busy);

  proxy.hsm.pkcs11.C_Finalize();
  const hsmGone = await observe();

  await proxy.close();
  process.stdout.write(JSON.stringify({ healthy, sessionsLost, recovered, slowHsm, hsmGone }));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
