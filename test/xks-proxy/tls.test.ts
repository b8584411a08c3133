/**
 * TLS and mutual TLS: the proxy serves HTTPS only, and with client authentication accepts only
 * certificates chained to the configured CA whose subject CN is on the allow-list (KMS presents
 * CN=cks.kms.<region>.amazonaws.com).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCa, makeLeaf, Pem } from './certs';
import { requestMetadata, TestCredential, xksRequest } from './client';
import { newCredential, ProxyFixture, startFixture } from './fixture';

const credential: TestCredential = newCredential();
const HEALTH = '/ks/a/kms/xks/v1/health';
const body = { requestMetadata: requestMetadata({ kmsOperation: 'KmsHealthCheck' }) };
let dir: string;
let ca: Pem;
let server: Pem;
let kms: Pem;
let wrongName: Pem;
let otherCaClient: Pem;
let tlsOnly: ProxyFixture;
let mutual: ProxyFixture;

function configure(clientAuth: boolean, minVersion: string) {
  return (config: Record<string, any>) => {
    config.server = {
      host: '127.0.0.1',
      port: 0,
      tls: {
        certificate: { file: server.certFile },
        privateKey: { env: 'XKS_TLS_KEY' },
        minVersion,
        ...(clientAuth ? { clientAuth: { caCertificates: { file: ca.certFile }, allowedCommonNames: ['cks.kms.eu-west-1.amazonaws.com'] } } : {}),
      },
    };
    config.keyStores[0].credentials = [credential];
    config.keyStores[0].keys = ['unused'];
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-tls-'));
  ca = makeCa(dir, 'ca');
  server = makeLeaf(dir, 'server', 'localhost', ca, true);
  kms = makeLeaf(dir, 'kms', 'cks.kms.eu-west-1.amazonaws.com', ca);
  wrongName = makeLeaf(dir, 'wrong-name', 'cks.kms.eu-west-1.attacker.example', ca);
  otherCaClient = makeLeaf(dir, 'other-ca-client', 'cks.kms.eu-west-1.amazonaws.com', makeCa(dir, 'other-ca'));
  [tlsOnly, mutual] = await Promise.all([
    startFixture([], configure(false, 'TLSv1.3'), { XKS_TLS_KEY: server.key }),
    startFixture([], configure(true, 'TLSv1.2'), { XKS_TLS_KEY: server.key }),
  ]);
});

afterAll(async () => {
  await Promise.all([tlsOnly?.stop(), mutual?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const health = (port: number, client?: Pem) =>
  xksRequest({ port, tls: { ca: ca.cert, cert: client?.cert, key: client?.key } }, HEALTH, body, { sign: { credential } });

test('TLS: the API answers over HTTPS with the configured certificate, and not over plain HTTP', async () => {
  expect((await health(tlsOnly.apiPort)).status).toBe(200);
  await expect(xksRequest({ port: tlsOnly.apiPort }, HEALTH, body, { sign: { credential } })).rejects.toThrow();
});

test('TLS: the configured minimum version is enforced', async () => {
  const tls12 = { ca: ca.cert, maxVersion: 'TLSv1.2' as const };
  await expect(xksRequest({ port: tlsOnly.apiPort, tls: tls12 }, HEALTH, body, { sign: { credential } })).rejects.toThrow();
  const mutualTls12 = { port: mutual.apiPort, tls: { ...tls12, cert: kms.cert, key: kms.key } };
  expect((await xksRequest(mutualTls12, HEALTH, body, { sign: { credential } })).status).toBe(200);
});

test('mutual TLS: the KMS client certificate is accepted', async () => {
  expect((await health(mutual.apiPort, kms)).status).toBe(200);
});

test('mutual TLS: a wrong CN, another CA or no certificate is rejected', async () => {
  await expect(health(mutual.apiPort, wrongName)).rejects.toThrow();
  await expect(health(mutual.apiPort, otherCaClient)).rejects.toThrow();
  await expect(health(mutual.apiPort)).rejects.toThrow();
  const rejected = await mutual.waitForLog((l) => l.msg === 'tls.clientRejected');
  expect(rejected.commonName).toBe('cks.kms.eu-west-1.attacker.example');
});

test('the load-balancer health endpoint stays plain HTTP beside a mutual-TLS API', async () => {
  const res = await fetch(`http://127.0.0.1:${mutual.healthPort}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ACTIVE' });
});
