/**
 * `keys`: what an operator needs to prepare XKS keys on the HSM token, with the proxy's own
 * configuration file (its PKCS#11 library, token label and PIN), so XksKeyIds can be made without
 * pkcs11-tool:
 *
 *   keys create <label>   an AES-256 key: on the token, sensitive, never extractable, encrypt + decrypt only
 *   keys list             every secret key on the token with its attributes (--json for machines)
 *   keys check <label>    exit 0 when the key is one an external key store can use, with a test
 *                         AES-GCM encryption on the HSM; else exit 1 and say why
 *
 * The PIN is read from the configuration (literal, env or file reference) and never printed.
 */
import { randomBytes } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import type { ProxyConfig } from './config';

const LABEL = /^[A-Za-z0-9._-]{1,128}$/;

export const KEYS_HELP = `Usage: node index.js keys <create <label> | list | check <label>> --config <file> [--json]

  create <label>  generate an AES-256 key with this label on the token (CKA_TOKEN, CKA_SENSITIVE,
                  not extractable, encrypt and decrypt only); refuses a label already in use
  list            the token's secret keys and their attributes
  check <label>   is this key usable as an XksKeyId (one AES-256 key, encrypt + decrypt, not
                  extractable)? Runs a test AES-GCM encryption and decryption on the HSM.
Labels: 1 to 128 characters of A-Z a-z 0-9 . _ - (the XKS spec's external key id).
Add a new label to keyStores[].keys in the configuration before KMS can use it.
`;

export interface KeyAttributes {
  readonly label: string;
  readonly keyType: string;
  readonly bits?: number;
  readonly encrypt: boolean;
  readonly decrypt: boolean;
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly token: boolean;
}

/** Where the command writes; exit codes: 0 done, 1 the key is not usable / exists, 2 bad usage. */
export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
}

export class KeysUsageError extends Error {}

const KEY_TYPES: ReadonlyMap<number, string> = new Map([
  [pkcs11js.CKK_AES, 'AES'],
  [pkcs11js.CKK_GENERIC_SECRET, 'GENERIC_SECRET'],
  [pkcs11js.CKK_DES3, 'DES3'],
]);

/** Runs one `keys` subcommand; returns the exit code. */
export function runKeys(args: readonly string[], config: ProxyConfig, io: KeysIo, json = false): number {
  const [command, label] = args;
  if (command !== 'list' && (label === undefined || !LABEL.test(label))) {
    throw new KeysUsageError(`keys ${command ?? ''}: give a label of 1 to 128 characters of A-Z a-z 0-9 . _ -\n\n${KEYS_HELP}`);
  }
  const token = new Token(config.pkcs11);
  try {
    switch (command) {
      case 'create': return token.create(label!, io, config);
      case 'list': return token.list(io, json);
      case 'check': return token.check(label!, io, json, config);
      default: throw new KeysUsageError(`unknown keys command '${command ?? ''}'\n\n${KEYS_HELP}`);
    }
  } finally {
    token.close();
  }
}

function configured(config: ProxyConfig, label: string): boolean {
  return config.keyStores.some((store) => store.keys.has(label));
}

/** One logged-in read-write session on the configured token. */
class Token {
  private readonly pkcs11 = new pkcs11js.PKCS11();
  private readonly session: Buffer;

  constructor(private readonly settings: ProxyConfig['pkcs11']) {
    this.pkcs11.load(settings.library);
    this.pkcs11.C_Initialize();
    const slot = this.pkcs11.C_GetSlotList(true).find((s) => this.pkcs11.C_GetTokenInfo(s).label.trim() === settings.tokenLabel);
    if (!slot) {
      this.pkcs11.C_Finalize();
      throw new KeysUsageError(`no PKCS#11 token labelled "${settings.tokenLabel}" in ${settings.library}`);
    }
    this.session = this.pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    this.pkcs11.C_Login(this.session, pkcs11js.CKU_USER, settings.pin);
  }

  create(label: string, io: KeysIo, config: ProxyConfig): number {
    if (this.find(label).length > 0) {
      io.err(`a key labelled ${label} already exists on token ${this.settings.tokenLabel}: choose another label (KMS needs one key per label)\n`);
      return 1;
    }
    this.pkcs11.C_GenerateKey(this.session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    ]);
    io.out(`created AES-256 key ${label} on token ${this.settings.tokenLabel}\n`);
    if (!configured(config, label)) io.out(`add "${label}" to keyStores[].keys in the configuration so KMS can use it as an XksKeyId\n`);
    return 0;
  }

  list(io: KeysIo, json: boolean): number {
    const keys = this.find().map((handle) => this.attributes(handle)).sort((a, b) => a.label.localeCompare(b.label));
    if (json) {
      io.out(`${JSON.stringify(keys, null, 2)}\n`);
      return 0;
    }
    io.out(`${keys.length} secret key(s) on token ${this.settings.tokenLabel}\n`);
    for (const key of keys) {
      const flags = [key.encrypt && 'encrypt', key.decrypt && 'decrypt', key.sensitive && 'sensitive', key.extractable ? 'EXTRACTABLE' : 'non-extractable']
        .filter(Boolean).join(', ');
      io.out(`  ${key.label}  ${key.keyType}${key.bits ? `-${key.bits}` : ''}  ${flags}\n`);
    }
    return 0;
  }

  check(label: string, io: KeysIo, json: boolean, config: ProxyConfig): number {
    const handles = this.find(label);
    const problems: string[] = [];
    let attributes: KeyAttributes | undefined;
    if (handles.length === 0) problems.push(`no secret key labelled ${label} on token ${this.settings.tokenLabel}: create it with \`keys create ${label}\``);
    if (handles.length > 1) problems.push(`${handles.length} keys are labelled ${label}: a label must name one key (delete or relabel the others)`);
    if (handles.length === 1) {
      attributes = this.attributes(handles[0]);
      if (attributes.keyType !== 'AES' || attributes.bits !== 256) problems.push(`the key is ${attributes.keyType}-${attributes.bits ?? '?'}, not AES-256`);
      if (!attributes.encrypt || !attributes.decrypt) problems.push('the key must allow both encrypt and decrypt (CKA_ENCRYPT, CKA_DECRYPT)');
      if (attributes.extractable) problems.push('the key is extractable (CKA_EXTRACTABLE): key material that can leave the HSM defeats an external key store');
      if (problems.length === 0 && !this.roundTrip(handles[0])) problems.push('a test AES-GCM encryption and decryption on the HSM failed');
    }
    const listed = configured(config, label);
    if (json) {
      io.out(`${JSON.stringify({ label, usable: problems.length === 0, configured: listed, attributes, problems }, null, 2)}\n`);
    } else if (problems.length === 0) {
      io.out(`${label}: usable as an XksKeyId (AES-256, encrypt and decrypt, non-extractable, test encryption OK)\n`);
      if (!listed) io.out(`note: ${label} is not in keyStores[].keys of the configuration yet, so the proxy refuses it\n`);
    } else {
      io.err(`${label}: not usable as an XksKeyId:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    }
    return problems.length === 0 ? 0 : 1;
  }

  close(): void {
    try {
      this.pkcs11.C_Logout(this.session);
      this.pkcs11.C_CloseSession(this.session);
    } finally {
      this.pkcs11.C_Finalize();
    }
  }

  private find(label?: string): Buffer[] {
    const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }];
    if (label !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: label });
    this.pkcs11.C_FindObjectsInit(this.session, template);
    try {
      const handles: Buffer[] = [];
      for (let batch = this.pkcs11.C_FindObjects(this.session, 100); batch.length > 0; batch = this.pkcs11.C_FindObjects(this.session, 100)) {
        handles.push(...batch);
      }
      return handles;
    } finally {
      this.pkcs11.C_FindObjectsFinal(this.session);
    }
  }

  private attributes(handle: Buffer): KeyAttributes {
    const [label, keyType, encrypt, decrypt, sensitive, extractable, token] = this.pkcs11.C_GetAttributeValue(this.session, handle, [
      { type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_ENCRYPT }, { type: pkcs11js.CKA_DECRYPT },
      { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_TOKEN },
    ]).map((a) => a.value as Buffer);
    const type = keyType.readUInt32LE(0);
    let bits: number | undefined;
    try {
      const [length] = this.pkcs11.C_GetAttributeValue(this.session, handle, [{ type: pkcs11js.CKA_VALUE_LEN }]);
      bits = (length.value as Buffer).readUInt32LE(0) * 8;
    } catch {
      bits = undefined; // a key type without CKA_VALUE_LEN
    }
    const flag = (value: Buffer) => value[0] === 1;
    return {
      label: label.toString('utf8'),
      keyType: KEY_TYPES.get(type) ?? `0x${type.toString(16)}`,
      bits,
      encrypt: flag(encrypt),
      decrypt: flag(decrypt),
      sensitive: flag(sensitive),
      extractable: flag(extractable),
      token: flag(token),
    };
  }

  /** Encrypts and decrypts 32 random bytes with AES-GCM on the HSM. */
  private roundTrip(handle: Buffer): boolean {
    try {
      const plaintext = randomBytes(32);
      const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv: randomBytes(12), aad: Buffer.from('xks-proxy keys check'), ivBits: 96, tagBits: 128 };
      const mechanism = { mechanism: pkcs11js.CKM_AES_GCM, parameter };
      this.pkcs11.C_EncryptInit(this.session, mechanism, handle);
      const sealed = this.pkcs11.C_Encrypt(this.session, plaintext, Buffer.alloc(plaintext.length + 16));
      this.pkcs11.C_DecryptInit(this.session, mechanism, handle);
      const opened = this.pkcs11.C_Decrypt(this.session, Buffer.from(sealed), Buffer.alloc(sealed.length + 16));
      return Buffer.from(opened).equals(plaintext);
    } catch {
      return false;
    }
  }
}
