/**
 * The proxy's `keys` subcommand on a fresh SoftHSM2 token, run as the bundled command with the
 * proxy's own configuration file: create an AES-256 key, list keys and attributes, check one.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseConfig, newCredential, PROXY_BUNDLE } from './fixture';
import { createSoftHsmToken, SoftHsmToken, USER_PIN } from './softhsm';

let token: SoftHsmToken;
let configFile: string;

function keys(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [PROXY_BUNDLE, 'keys', ...args, '--config', configFile], { env: token.env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  token = createSoftHsmToken([{ label: 'extractable-key' }, { label: 'generic', keyType: 'GENERIC' }, { label: 'encrypt-only', decrypt: false }]);
  const config = baseConfig([newCredential()], ['app-key-1']);
  config.pkcs11.pin = { env: 'TEST_HSM_PIN' };
  configFile = path.join(token.dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  token.env.TEST_HSM_PIN = USER_PIN;
});

afterAll(() => token?.cleanup());

test('create makes a non-extractable AES-256 encrypt/decrypt key; check passes it; list shows it', () => {
  const created = keys('create', 'app-key-1');
  expect(created.status).toBe(0);
  expect(created.stdout).toContain('created AES-256 key app-key-1');
  const checked = keys('check', 'app-key-1');
  expect(checked.status).toBe(0);
  expect(checked.stdout).toContain('app-key-1: usable as an XksKeyId');
  const listed = JSON.parse(keys('list', '--json').stdout);
  expect(listed).toContainEqual({ label: 'app-key-1', keyType: 'AES', bits: 256, encrypt: true, decrypt: true, sensitive: true, extractable: false, token: true });
  // The PIN never appears in output.
  expect(created.stdout + checked.stdout + checked.stderr).not.toContain(USER_PIN);
});

test('create refuses a label in use; a label outside the XKS alphabet is a usage error', () => {
  keys('create', 'twice');
  const again = keys('create', 'twice');
  expect(again.status).toBe(1);
  expect(again.stderr).toContain('already exists');
  for (const bad of ['a/b', 'with space', 'k'.repeat(129)]) {
    const result = keys('create', bad);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('1 to 128 characters');
  }
});

test('check explains why a key is not usable, and notes a key missing from the configuration', () => {
  expect(keys('check', 'nowhere').stderr).toContain('no secret key labelled nowhere');
  expect(keys('check', 'generic').stderr).toMatch(/not AES-256/);
  expect(keys('check', 'encrypt-only').stderr).toMatch(/must allow both encrypt and decrypt/);
  const unconfigured = keys('create', 'not-configured');
  expect(unconfigured.stdout).toContain('add "not-configured" to keyStores[].keys');
  expect(keys('check', 'not-configured').stdout).toContain('is not in keyStores[].keys of the configuration yet');
  const json = JSON.parse(keys('check', 'generic', '--json').stdout);
  expect(json).toMatchObject({ label: 'generic', usable: false, configured: false });
});
