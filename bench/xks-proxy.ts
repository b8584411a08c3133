/**
 * XKS proxy throughput and latency over loopback: Encrypt requests (32-byte data key, 64-byte AAD,
 * like GenerateDataKey) signed with @smithy/signature-v4, through the bundled proxy (its own
 * process, TLS with keep-alive) to a SoftHSM2 token, at concurrency 1, 8 and 32. Prints
 * requests/s, p50 and p99 beside the baseline measured in the same run: the raw PKCS#11
 * AES-GCM encrypt rate of the same token (one session, no HTTP, no SigV4).
 * Target on a 2-core machine: >= 1,800 requests/s with p99 <= 35 ms (KMS allows the proxy 250 ms).
 *
 *   npx projen bundle && npx tsx bench/xks-proxy.ts [--seconds 5] [--plain-http]
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import * as pkcs11js from 'pkcs11js';
import { startProxy } from './support/proxy-process';
import { makeCa, makeLeaf } from '../test/xks-proxy/certs';
import { requestMetadata, xksRequest } from '../test/xks-proxy/client';
import { baseConfig, HEALTH_KEY, newCredential } from '../test/xks-proxy/fixture';
import { createSoftHsmToken, SOFTHSM_LIBRARY, TOKEN_LABEL, USER_PIN } from '../test/xks-proxy/softhsm';

const CONCURRENCY = [1, 8, 32];
const MAX_REQUESTS_PER_LEVEL = 60_000;
const TARGET_RPS = 1800;
const TARGET_P99_MS = 35;

const secondsIndex = process.argv.indexOf('--seconds');
const SECONDS = secondsIndex >= 0 ? Number(process.argv[secondsIndex + 1]) : 5;
const PLAIN_HTTP = process.argv.includes('--plain-http');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The baseline: single-session synchronous C_Encrypt calls, as fast as the token goes. */
function rawPkcs11Rate(seconds: number): number {
  const pkcs11 = new pkcs11js.PKCS11();
  pkcs11.load(SOFTHSM_LIBRARY);
  pkcs11.C_Initialize();
  try {
    const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === TOKEN_LABEL)!;
    const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    pkcs11.C_Login(session, pkcs11js.CKU_USER, USER_PIN);
    pkcs11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: 'bench-key' }]);
    const [key] = pkcs11.C_FindObjects(session, 1);
    pkcs11.C_FindObjectsFinal(session);
    const plaintext = randomBytes(32);
    const aad = randomBytes(67);
    let count = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const parameter = { type: pkcs11js.CK_PARAMS_AES_GCM, iv: randomBytes(12), aad, ivBits: 96, tagBits: 128 };
      pkcs11.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_GCM, parameter }, key);
      pkcs11.C_Encrypt(session, plaintext, Buffer.alloc(48));
      count++;
    }
    pkcs11.C_Logout(session);
    return count / seconds;
  } finally {
    pkcs11.C_Finalize();
  }
}

async function main(): Promise<void> {
  const token = createSoftHsmToken([{ label: 'bench-key' }, { label: HEALTH_KEY }]);
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  const credential = newCredential();
  const config = baseConfig([credential], ['bench-key']);
  config.pkcs11.sessionPoolSize = 8;
  let tls: https.RequestOptions | undefined;
  if (!PLAIN_HTTP) {
    const ca = makeCa(token.dir, 'ca');
    const server = makeLeaf(token.dir, 'server', 'localhost', ca, true);
    config.server = { host: '127.0.0.1', port: 0, tls: { certificate: { file: server.certFile }, privateKey: { file: server.keyFile } } };
    tls = { ca: ca.cert };
  }
  const configFile = path.join(token.dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));

  console.log(`Baseline: raw PKCS#11 AES-GCM encrypt on SoftHSM2 (one session, ${SECONDS} s)...`);
  const raw = rawPkcs11Rate(SECONDS);
  console.log(`  ${raw.toFixed(0)} encryptions/s`);

  const proxy = await startProxy(token.env, configFile, path.join(token.dir, 'proxy.log'));
  const body = {
    requestMetadata: requestMetadata({ kmsOperation: 'GenerateDataKey' }),
    plaintext: randomBytes(32).toString('base64'),
    additionalAuthenticatedData: randomBytes(64).toString('base64'),
    encryptionAlgorithm: 'AES_GCM',
  };
  const target = { port: proxy.apiPort, tls };
  const rows: string[] = [];
  let met = true;
  try {
    for (const concurrency of CONCURRENCY) {
      const agent = tls
        ? new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: tls.ca })
        : new http.Agent({ keepAlive: true, maxSockets: concurrency });
      const errors = new Map<string, number>();
      const send = async () => {
        const res = await xksRequest(target, '/ks/a/kms/xks/v1/keys/bench-key/encrypt', body, { sign: { credential }, agent });
        if (res.status !== 200) errors.set(res.json.errorName, (errors.get(res.json.errorName) ?? 0) + 1);
      };
      // Warm up connections and key handles.
      await Promise.all(Array.from({ length: concurrency }, send));
      const latencies: number[] = [];
      const started = performance.now();
      const end = started + SECONDS * 1000;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < end && latencies.length < MAX_REQUESTS_PER_LEVEL) {
          const t0 = performance.now();
          await send();
          latencies.push(performance.now() - t0);
        }
      }));
      const elapsed = (performance.now() - started) / 1000;
      agent.destroy();
      latencies.sort((x, y) => x - y);
      const rps = latencies.length / elapsed;
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const ok = rps >= TARGET_RPS && p99 <= TARGET_P99_MS && errors.size === 0;
      if (concurrency >= 8) met &&= ok;
      rows.push(`${String(concurrency).padStart(11)} | ${rps.toFixed(0).padStart(10)} | ${p50.toFixed(2).padStart(8)} | ${p99.toFixed(2).padStart(8)} | ${(rps / raw).toFixed(2).padStart(14)}${errors.size ? ` | errors: ${JSON.stringify(Object.fromEntries(errors))}` : ''}`);
    }
  } finally {
    await proxy.stop();
    token.cleanup();
  }

  console.log(`\nXKS proxy Encrypt over loopback (${tls ? 'TLS' : 'plain HTTP'}, keep-alive, SigV4 by @smithy/signature-v4, SoftHSM2, ${SECONDS} s per level)`);
  console.log('concurrency | requests/s | p50 (ms) | p99 (ms) | ratio to raw PKCS#11');
  for (const row of rows) console.log(row);
  console.log(`raw PKCS#11 encrypt baseline: ${raw.toFixed(0)}/s`);
  console.log(`target >= ${TARGET_RPS} requests/s with p99 <= ${TARGET_P99_MS} ms at concurrency 8 and 32: ${met ? 'met' : 'NOT met'}`);
  console.log('(client and proxy share the same cores: the client signs every request and parses every answer)');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
