/**
 * Custom key stores against the local KMS and our XKS proxy (its own process, SoftHSM2 token):
 *
 *  1. lifecycle: create + connect an external key store (until CONNECTED), then create a key in it,
 *     through the real store/key handlers; wall and CPU time per round (this process only).
 *  2. Encrypt latency, sequential: KMS -> proxy -> HSM (the local KMS's Encrypt on an XKS key) beside
 *     a direct, signed proxy Encrypt of the same size (the baseline: what the HSM hop costs without
 *     KMS in front). Windows alternate (direct, KMS, direct, KMS, ...) so load drifts hit both.
 *
 * Figures are from one run; the ratio is KMS-path / direct in that run. The local KMS adds a
 * loopback hop, SigV4 and its own AES-GCM layer; real KMS adds a network round trip instead.
 *
 *   npx projen bundle && npx tsx bench/keystore.ts [--ops 300] [--windows 3] [--rounds 5]
 */
import { performance } from 'node:perf_hooks';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { keyEvent, ProviderDriver, ROOT_POLICY, SecretStandIn, storeEvent } from '../test/keystore/provider-driver';
import { LocalCustomKeyStores } from '../test/support/kms-custom-key-stores';
import { LocalKmsServer } from '../test/support/kms-server';
import { requestMetadata, xksRequest } from '../test/xks-proxy/client';
import { newCredential, startFixture } from '../test/xks-proxy/fixture';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const OPS = arg('ops', 300);
const WINDOWS = arg('windows', 3);
const ROUNDS = arg('rounds', 5);
const REGION = 'eu-west-1';
const CREDENTIAL_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-xks-AbCdEf';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(samples: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

async function timed(run: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  const credential = newCredential();
  const keyLabels = Array.from({ length: ROUNDS }, (_, i) => `bench-key-${i}`);
  const proxy = await startFixture(keyLabels.map((label) => ({ label })), (config) => {
    config.keyStores[0].region = REGION;
    config.keyStores[0].credentials = [credential];
    config.keyStores[0].keys = keyLabels;
  });
  const server = await LocalKmsServer.start({ region: REGION });
  const stores = new LocalCustomKeyStores({ region: REGION, account: server.account });
  server.extend(stores);
  const kms = server.client();
  const secrets = new SecretStandIn();
  secrets.values.set(CREDENTIAL_ARN, JSON.stringify(credential));
  const proxyUrl = `http://127.0.0.1:${proxy.apiPort}`;

  try {
    // 1. Lifecycle.
    const lifecycle: Array<{ store: { wallMs: number; cpuMs: number }; key: { wallMs: number; cpuMs: number } }> = [];
    let keyArn = '';
    for (let round = 0; round < ROUNDS; round++) {
      const service = `com.amazonaws.vpce.eu-west-1.vpce-svc-bench${round}`;
      stores.routeEndpointService(service, proxyUrl);
      const driver = new ProviderDriver(kms, secrets, stores);
      let storeId = '';
      const store = await timed(async () => {
        storeId = (await driver.run(storeEvent('Create', {
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          CustomKeyStoreName: `bench-${round}`,
          XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
          XksProxyUriEndpoint: `https://xks${round}.example.com`,
          XksProxyUriPath: '/ks/a/kms/xks/v1',
          XksProxyVpcEndpointServiceName: service,
          CredentialSecretArn: CREDENTIAL_ARN,
        }))).physicalId;
      });
      const key = await timed(async () => {
        keyArn = (await driver.run(keyEvent('Create', { CustomKeyStoreId: storeId, Origin: 'EXTERNAL_KEY_STORE', XksKeyId: keyLabels[round], KeyPolicy: ROOT_POLICY }))).data.Arn;
      });
      lifecycle.push({ store, key });
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`lifecycle, ${ROUNDS} rounds (local KMS polls answered at once; real KMS connects in minutes):`);
    console.log(`  create + connect store: wall ${mean(lifecycle.map((l) => l.store.wallMs)).toFixed(1)} ms, CPU ${mean(lifecycle.map((l) => l.store.cpuMs)).toFixed(1)} ms`);
    console.log(`  create key in store:    wall ${mean(lifecycle.map((l) => l.key.wallMs)).toFixed(1)} ms, CPU ${mean(lifecycle.map((l) => l.key.cpuMs)).toFixed(1)} ms`);

    // 2. Encrypt latency, interleaved windows.
    const plaintext = Buffer.alloc(32, 7);
    const direct: number[] = [];
    const viaKms: number[] = [];
    const cpu = { direct: 0, kms: 0 };
    const lastLabel = keyLabels[ROUNDS - 1];
    const directCall = () => xksRequest({ port: proxy.apiPort }, `/ks/a/kms/xks/v1/keys/${lastLabel}/encrypt`, {
      requestMetadata: requestMetadata(),
      plaintext: plaintext.toString('base64'),
      additionalAuthenticatedData: Buffer.alloc(32, 1).toString('base64'),
      encryptionAlgorithm: 'AES_GCM',
    }, { sign: { credential, region: REGION } });
    const kmsCall = () => kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: { bench: 'keystore' } }));
    for (let i = 0; i < 20; i++) {
      await directCall();
      await kmsCall();
    }
    for (let window = 0; window < WINDOWS; window++) {
      for (const [samples, call, which] of [[direct, directCall, 'direct'], [viaKms, kmsCall, 'kms']] as const) {
        const started = process.cpuUsage();
        for (let i = 0; i < OPS; i++) {
          const t = performance.now();
          await call();
          samples.push(performance.now() - t);
        }
        const used = process.cpuUsage(started);
        cpu[which] += (used.user + used.system) / 1000;
      }
    }
    const d = summary(direct);
    const k = summary(viaKms);
    console.log(`Encrypt, sequential, ${WINDOWS} interleaved windows x ${OPS} ops (32-byte plaintext):`);
    console.log(`  direct proxy (baseline): p50 ${d.p50.toFixed(2)} ms  p99 ${d.p99.toFixed(2)} ms  CPU/op (this process) ${(cpu.direct / direct.length).toFixed(3)} ms`);
    console.log(`  KMS -> proxy -> HSM:     p50 ${k.p50.toFixed(2)} ms  p99 ${k.p99.toFixed(2)} ms  CPU/op (this process) ${(cpu.kms / viaKms.length).toFixed(3)} ms`);
    console.log(`  ratio KMS path / direct: p50 ${(k.p50 / d.p50).toFixed(2)}x  p99 ${(k.p99 / d.p99).toFixed(2)}x  (KMS allows the proxy 250 ms)`);
  } finally {
    kms.destroy();
    await server.stop();
    await proxy.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
