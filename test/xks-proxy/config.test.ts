/**
 * Configuration validation (every problem reported at once, with its JSON path, never echoing a
 * secret), secret references, and the command line (--help, --check, --probe, exit codes).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseConfig, HEALTH_KEY, newCredential, PROXY_BUNDLE, startFixture } from './fixture';
import { createSoftHsmToken } from './softhsm';
import { ConfigError, DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_OPERATION_TIMEOUT_MS, parseConfig } from '../../lambda/xks-proxy/config';

const credential = newCredential();
const valid = () => baseConfig([credential], ['key-1']);

function problems(document: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(JSON.stringify(document), env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [PROXY_BUNDLE, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a minimal configuration gets the documented defaults', () => {
  const document: Record<string, any> = { ...valid(), server: { tls: { certificate: 'C', privateKey: 'K' } }, healthCheck: undefined, health: undefined };
  document.pkcs11 = { ...document.pkcs11, sessionPoolSize: undefined, acquireTimeoutMs: undefined, operationTimeoutMs: undefined };
  const config = parseConfig(JSON.stringify(document), {});
  expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8443, plainHttp: false, maxConnections: 1024, requestTimeoutMs: 5000 });
  expect(config.server.tls).toMatchObject({ certificate: 'C', privateKey: 'K', minVersion: 'TLSv1.2' });
  expect(config.healthCheck).toEqual({ host: '0.0.0.0', port: 8080, path: '/healthz' });
  expect(config.pkcs11).toMatchObject({
    sessionPoolSize: 8, acquireTimeoutMs: DEFAULT_ACQUIRE_TIMEOUT_MS, operationTimeoutMs: DEFAULT_OPERATION_TIMEOUT_MS,
  });
  expect([DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_OPERATION_TIMEOUT_MS]).toEqual([200, 240]); // chosen from bench/xks-proxy-timeouts.ts
  expect(config.health).toEqual({ cacheMs: 5000, degradedLatencyMs: 100 });
  expect(config.reloadIntervalMs).toBe(30_000);
  expect(config.keyStores[0].keys.has('key-1')).toBe(true);
});

test('every problem is reported at once with its JSON path', () => {
  const document = valid();
  document.server = { plainHttp: true, tls: { certificate: 'C', privateKey: 'K' }, prot: 1 };
  document.pkcs11.library = '/nonexistent/libpkcs11.so';
  document.pkcs11.pin = { env: 'XKS_MISSING_PIN' };
  document.keyStores[0].region = 'Europe';
  document.keyStores[0].credentials = [{ accessKeyId: 'lowercase-id', secretAccessKey: 'short' }, credential, newCredential()];
  document.keyStores[0].disabledKeys = ['key-2'];
  document.keyStores[0].authorization = { rules: [{}] };
  document.keyStores.push({ ...valid().keyStores[0], credentials: [newCredential()] });
  const found = problems(document);
  expect(found).toEqual(expect.arrayContaining([
    expect.stringMatching(/^server\.prot: unknown field/),
    expect.stringMatching(/^server: set exactly one of "tls"/),
    expect.stringMatching(/^pkcs11\.library: file \/nonexistent\/libpkcs11\.so does not exist/),
    'pkcs11.pin: environment variable XKS_MISSING_PIN is not set',
    expect.stringMatching(/^keyStores\[0\]\.region: must match/),
    'keyStores[0].credentials: must be an array of 1 to 2 entries',
    'keyStores[0].disabledKeys: "key-2" is not in keys',
    expect.stringMatching(/^keyStores\[0\]\.authorization\.rules\[0\]: must name at least one field/),
    'keyStores[1].uriPathPrefix: "/ks/a" is used twice',
  ]));
});

test('credential formats are checked without echoing the secret', () => {
  const document = valid();
  document.keyStores[0].credentials = [{ accessKeyId: 'lowercase-id', secretAccessKey: 'tooShortSecretValue' }];
  const found = problems(document);
  expect(found).toEqual([
    expect.stringMatching(/^keyStores\[0\]\.credentials\[0\]\.accessKeyId: resolved value must match/),
    expect.stringMatching(/^keyStores\[0\]\.credentials\[0\]\.secretAccessKey: resolved value must match/),
  ]);
  expect(found.join('\n')).not.toContain('tooShortSecretValue');
});

test('an access key id may identify only one secret across key stores', () => {
  const document = valid();
  document.keyStores.push({ ...valid().keyStores[0], uriPathPrefix: '/ks/b' });
  expect(problems(document)).toEqual(['keyStores[1].credentials[0].accessKeyId: is used twice']);
});

test('secrets resolve from environment variables and files (trailing newline removed)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-config-'));
  try {
    fs.writeFileSync(path.join(dir, 'secret'), `${credential.secretAccessKey}\n`);
    const document = valid();
    document.pkcs11.pin = { env: 'HSM_PIN' };
    document.keyStores[0].credentials = [{ accessKeyId: { env: 'XKS_ID' }, secretAccessKey: { file: path.join(dir, 'secret') } }];
    const config = parseConfig(JSON.stringify(document), { HSM_PIN: '9999', XKS_ID: credential.accessKeyId });
    expect(config.pkcs11.pin).toBe('9999');
    expect(config.keyStores[0].credentials).toEqual([credential]);
    expect(problems({ ...document, pkcs11: { ...document.pkcs11, pin: { env: 'A', file: '/b' } } }, { A: 'x', XKS_ID: credential.accessKeyId }))
      .toEqual([expect.stringMatching(/^pkcs11\.pin: must be a string, \{ "env": "NAME" \} or \{ "file": "\/path" \}/)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a document that is not JSON is one clear problem', () => {
  expect(() => parseConfig('{ server: ', {})).toThrow(/not valid JSON/);
});

describe('command line', () => {
  test('--help prints the usage and exits 0', () => {
    const result = cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('node index.js --config <file>');
    expect(result.stdout).toContain('XKS_PROXY_CONFIG_JSON');
  });

  test('no configuration, or an invalid one, exits 2 with the problems', () => {
    expect(cli([])).toMatchObject({ status: 2, stderr: expect.stringContaining('no configuration') });
    const invalid = cli(['--check'], { XKS_PROXY_CONFIG_JSON: JSON.stringify({ ...valid(), keyStores: [] }) });
    expect(invalid).toMatchObject({ status: 2, stderr: expect.stringContaining('keyStores: must be an array of 1 to 50 entries') });
  });

  test('--check accepts a valid configuration from XKS_PROXY_CONFIG_JSON', () => {
    expect(cli(['--check'], { XKS_PROXY_CONFIG_JSON: JSON.stringify(valid()) })).toMatchObject({ status: 0, stdout: 'configuration OK: 1 key store(s)\n' });
  });

  test('a token that is not there, or a wrong PIN, stops the proxy at start-up with the reason', () => {
    const token = createSoftHsmToken([{ label: HEALTH_KEY }]);
    try {
      const run = (pkcs11: Record<string, unknown>) => {
        const document = valid();
        Object.assign(document.pkcs11, pkcs11);
        return cli([], { ...token.env, XKS_PROXY_CONFIG_JSON: JSON.stringify(document) });
      };
      expect(run({ tokenLabel: 'no-such-token' })).toMatchObject({ status: 1, stderr: expect.stringContaining('no PKCS#11 token labelled "no-such-token"') });
      expect(run({ pin: 'wrong-pin' })).toMatchObject({ status: 1, stderr: expect.stringContaining('CKR_PIN_INCORRECT') });
    } finally {
      token.cleanup();
    }
  });

  test('--probe exits 0 against a healthy proxy and 1 when nothing answers', async () => {
    const fixture = await startFixture([{ label: 'key-1' }], (config) => {
      config.keyStores[0].credentials = [credential];
      config.keyStores[0].keys = ['key-1'];
    });
    try {
      expect(cli(['--probe', '--port', String(fixture.healthPort)]).status).toBe(0);
    } finally {
      await fixture.stop();
    }
    expect(cli(['--probe', '--port', String(fixture.healthPort)]).status).toBe(1);
  });
});
