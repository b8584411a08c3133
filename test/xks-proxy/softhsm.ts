/**
 * A throwaway SoftHSM2 token in a temporary directory, with AES-256 keys imported from known bytes
 * (CKA_EXTRACTABLE false), so tests can check HSM ciphertext against Node's own AES-GCM.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The SoftHSM2 PKCS#11 module; override with SOFTHSM2_LIB. */
export const SOFTHSM_LIBRARY = process.env.SOFTHSM2_LIB ?? '/usr/lib/softhsm/libsofthsm2.so';
export const TOKEN_LABEL = 'xks-test';
export const USER_PIN = '1234-test-pin';
const SO_PIN = '5678-test-so-pin';

export interface TestKey {
  readonly label: string;
  /** Known key bytes (only test keys ever have their bytes outside the HSM). */
  readonly bytes?: Buffer;
  readonly keyType?: 'AES' | 'GENERIC';
  readonly encrypt?: boolean;
  readonly decrypt?: boolean;
}

export interface SoftHsmToken {
  readonly dir: string;
  /** Environment for any process that opens the token (SOFTHSM2_CONF). */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** Creates a token with the given keys; processes that use it need `env` (SOFTHSM2_CONF). */
export function createSoftHsmToken(keys: readonly TestKey[]): SoftHsmToken {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-softhsm-'));
  const tokenDir = path.join(dir, 'tokens');
  fs.mkdirSync(tokenDir);
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', TOKEN_LABEL, '--so-pin', SO_PIN, '--pin', USER_PIN], { env, stdio: 'pipe' });
  // Jest gives tests a copy of process.env that native code never sees, so the keys are imported
  // by a child process that has SOFTHSM2_CONF in its real environment.
  const spec = keys.map((key) => ({ ...key, bytes: (key.bytes ?? randomBytes(32)).toString('hex') }));
  execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'softhsm-import.ts')], { env, input: JSON.stringify(spec), stdio: ['pipe', 'pipe', 'pipe'] });
  return { dir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
