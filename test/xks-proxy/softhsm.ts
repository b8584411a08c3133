/**
 * A throwaway SoftHSM2 token in a temporary directory, with AES-256 keys imported from known bytes
 * (CKA_EXTRACTABLE false), so tests can check HSM ciphertext against Node's own AES-GCM.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pkcs11js from 'pkcs11js';

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

/** Creates a token with the given keys; SOFTHSM2_CONF is also set in this process. */
export function createSoftHsmToken(keys: readonly TestKey[]): SoftHsmToken {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xks-softhsm-'));
  const tokenDir = path.join(dir, 'tokens');
  fs.mkdirSync(tokenDir);
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', TOKEN_LABEL, '--so-pin', SO_PIN, '--pin', USER_PIN], { env, stdio: 'pipe' });
  process.env.SOFTHSM2_CONF = conf;

  const pkcs11 = new pkcs11js.PKCS11();
  pkcs11.load(SOFTHSM_LIBRARY);
  pkcs11.C_Initialize();
  try {
    const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === TOKEN_LABEL)!;
    const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    pkcs11.C_Login(session, pkcs11js.CKU_USER, USER_PIN);
    for (const key of keys) {
      pkcs11.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: key.keyType === 'GENERIC' ? pkcs11js.CKK_GENERIC_SECRET : pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_LABEL, value: key.label },
        { type: pkcs11js.CKA_VALUE, value: key.bytes ?? randomBytes(32) },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: key.encrypt ?? true },
        { type: pkcs11js.CKA_DECRYPT, value: key.decrypt ?? true },
      ]);
    }
    pkcs11.C_Logout(session);
    pkcs11.C_CloseSession(session);
  } finally {
    pkcs11.C_Finalize();
  }
  return { dir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
