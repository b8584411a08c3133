/**
 * SigV4 verification against requests signed by @smithy/signature-v4: the negatives the spec
 * implies (secret, service, Region, date, headers, body) and credential rotation with reloads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requestMetadata, RequestMutation, SignOptions, TestCredential, xksRequest, XksResponse } from './client';
import { newCredential, ProxyFixture, startFixture } from './fixture';

const [a, b, c] = [newCredential(), newCredential(), newCredential()];
let fixture: ProxyFixture;
const HEALTH = '/ks/a/kms/xks/v1/health';
const body = { requestMetadata: requestMetadata({ kmsOperation: 'KmsHealthCheck' }) };
const send = (sign?: SignOptions, mutate?: RequestMutation): Promise<XksResponse> =>
  xksRequest({ port: fixture.apiPort }, HEALTH, body, { sign, mutate });
const MINUTE = 60_000;

function writeCredentialFiles(name: string, credential: TestCredential): { accessKeyId: { file: string }; secretAccessKey: { file: string } } {
  const dir = fixture?.token.dir ?? fs.mkdtempSync('/tmp/xks-cred-');
  fs.writeFileSync(path.join(dir, `${name}.id`), `${credential.accessKeyId}\n`);
  fs.writeFileSync(path.join(dir, `${name}.secret`), `${credential.secretAccessKey}\n`);
  return { accessKeyId: { file: path.join(dir, `${name}.id`) }, secretAccessKey: { file: path.join(dir, `${name}.secret`) } };
}

beforeAll(async () => {
  fixture = await startFixture([], (config) => {
    // Credential B is given by environment variable references, as ECS injects Secrets Manager values.
    config.keyStores[0].credentials = [a, { accessKeyId: { env: 'XKS_B_ID' }, secretAccessKey: { env: 'XKS_B_SECRET' } }];
    config.keyStores[0].keys = ['unused'];
    config.reloadIntervalMs = 0;
  }, { XKS_B_ID: b.accessKeyId, XKS_B_SECRET: b.secretAccessKey });
});

afterAll(async () => {
  await fixture?.stop();
});

function expectAuthFailure(res: XksResponse, reason: RegExp = /./): void {
  expect(res).toMatchObject({ status: 401, json: { errorName: 'AuthenticationFailedException', errorMessage: expect.stringMatching(reason) } });
}

test('both configured credentials are accepted', async () => {
  expect((await send({ credential: a })).status).toBe(200);
  expect((await send({ credential: b })).status).toBe(200);
});

test('a wrong secret, an unknown access key id, a wrong service or Region fail', async () => {
  expectAuthFailure(await send({ credential: { accessKeyId: a.accessKeyId, secretAccessKey: b.secretAccessKey } }), /signature does not match/);
  expectAuthFailure(await send({ credential: c }), /unknown access key id/);
  expectAuthFailure(await send({ credential: a, service: 'kms' }), /service/);
  expectAuthFailure(await send({ credential: a, region: 'us-east-1' }), /Region/);
});

test('dates more than 5 minutes off fail, within 5 minutes pass', async () => {
  expectAuthFailure(await send({ credential: a, signingDate: new Date(Date.now() - 6 * MINUTE) }), /5 minutes/);
  expectAuthFailure(await send({ credential: a, signingDate: new Date(Date.now() + 6 * MINUTE) }), /5 minutes/);
  expect((await send({ credential: a, signingDate: new Date(Date.now() - 4 * MINUTE) })).status).toBe(200);
});

test('missing headers and a tampered body fail', async () => {
  expectAuthFailure(await send(), /missing Authorization/);
  expectAuthFailure(await send({ credential: a }, (r) => delete r.headers['x-amz-date']), /missing X-Amz-Date/);
  expectAuthFailure(await send({ credential: a }, (r) => (r.headers.authorization = r.headers.authorization.replace('host;', ''))), /host and x-amz-date/);
  expectAuthFailure(await send({ credential: a }, (r) => {
    r.body = r.body.replace('KmsHealthCheck', 'KmsHealthChecK');
    r.headers['content-length'] = String(Buffer.byteLength(r.body));
  }), /signature does not match|X-Amz-Content-Sha256/);
  expectAuthFailure(await send({ credential: a }, (r) => (r.headers.authorization = r.headers.authorization.replace(/Signature=.{8}/, 'Signature=00000000'))));
});

test('credentials rotate by reloading the configuration without a restart', async () => {
  const pid = fixture.process.pid;
  // Step 1: add C (read from files) next to B, drop A.
  const document = JSON.parse(fs.readFileSync(fixture.configFile, 'utf8'));
  document.keyStores[0].credentials = [document.keyStores[0].credentials[1], writeCredentialFiles('c', c)];
  fs.writeFileSync(fixture.configFile, JSON.stringify(document));
  let mark = fixture.logs.length;
  fixture.process.kill('SIGHUP');
  await fixture.waitForLog((l, i) => i >= mark && l.msg === 'config.reloaded');
  expectAuthFailure(await send({ credential: a }));
  expect((await send({ credential: b })).status).toBe(200);
  expect((await send({ credential: c })).status).toBe(200);

  // Step 2: an invalid configuration is rejected and the active one stays.
  fs.writeFileSync(fixture.configFile, JSON.stringify({ ...document, keyStores: [{ ...document.keyStores[0], credentials: [{ accessKeyId: 'lowercase', secretAccessKey: 'x' }] }] }));
  mark = fixture.logs.length;
  fixture.process.kill('SIGHUP');
  const rejected = await fixture.waitForLog((l, i) => i >= mark && l.msg === 'config.reloadRejected');
  expect(rejected.reason).toContain('keyStores[0].credentials[0].accessKeyId');
  expect(rejected.reason).not.toContain(c.secretAccessKey);
  expect((await send({ credential: c })).status).toBe(200);
  expect(fixture.process.pid).toBe(pid);
});

test('the configuration file is also re-read every reloadIntervalMs, without a signal', async () => {
  const periodic = await startFixture([], (config) => {
    config.keyStores[0].credentials = [a];
    config.keyStores[0].keys = ['unused'];
    config.reloadIntervalMs = 200;
  });
  try {
    const sendTo = (credential: TestCredential) => xksRequest({ port: periodic.apiPort }, HEALTH, body, { sign: { credential } });
    expectAuthFailure(await sendTo(c));
    const document = JSON.parse(fs.readFileSync(periodic.configFile, 'utf8'));
    document.keyStores[0].credentials = [a, c];
    fs.writeFileSync(periodic.configFile, JSON.stringify(document));
    const mark = periodic.logs.length;
    await periodic.waitForLog((l, i) => i >= mark && l.msg === 'config.reloaded');
    expect((await sendTo(c)).status).toBe(200);
  } finally {
    await periodic.stop();
  }
});
