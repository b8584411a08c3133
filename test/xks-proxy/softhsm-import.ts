/**
 * Imports AES keys from known bytes into the SoftHSM2 token named by SOFTHSM2_CONF (run as a child
 * process by softhsm.ts; reads the key list as JSON on stdin). Keys are sensitive and not extractable.
 */
import * as fs from 'node:fs';
import * as pkcs11js from 'pkcs11js';
import { SOFTHSM_LIBRARY, TestKey, TOKEN_LABEL, USER_PIN } from './softhsm';

const keys = JSON.parse(fs.readFileSync(0, 'utf8')) as Array<TestKey & { bytes: string }>;
const pkcs11 = new pkcs11js.PKCS11();
pkcs11.load(SOFTHSM_LIBRARY);
pkcs11.C_Initialize();
try {
  const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === TOKEN_LABEL);
  if (!slot) throw new Error(`token ${TOKEN_LABEL} not found; is SOFTHSM2_CONF set?`);
  const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  pkcs11.C_Login(session, pkcs11js.CKU_USER, USER_PIN);
  for (const key of keys) {
    pkcs11.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: key.keyType === 'GENERIC' ? pkcs11js.CKK_GENERIC_SECRET : pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_LABEL, value: key.label },
      { type: pkcs11js.CKA_VALUE, value: Buffer.from(key.bytes, 'hex') },
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
