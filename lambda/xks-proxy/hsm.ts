/**
 * AES-256-GCM through any PKCS#11 library: token found by label, a pool of logged-in sessions,
 * key handles cached by label, HSM calls run off the event loop (pkcs11js *Async variants), and a
 * session replaced after an unexpected HSM error.
 */
import { randomBytes } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import type { ProxyConfig } from './config';
import { XksError } from './errors';
import { SessionPool } from './session-pool';

export const GCM_TAG_BYTES = 16;
const AES_256_BYTES = 32;

/** What a key on the token may do, as GetKeyMetadata reports it. */
export interface KeyInfo {
  readonly handle: Buffer;
  readonly usage: readonly string[];
}

export interface GcmResult {
  readonly ciphertext: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
}

/** PKCS#11 return values that describe the request, not a broken session. */
const CIPHERTEXT_ERRORS = new Set([pkcs11js.CKR_ENCRYPTED_DATA_INVALID, pkcs11js.CKR_ENCRYPTED_DATA_LEN_RANGE, pkcs11js.CKR_DATA_INVALID]);
const KEY_USAGE_ERRORS = new Set([pkcs11js.CKR_KEY_FUNCTION_NOT_PERMITTED, pkcs11js.CKR_KEY_TYPE_INCONSISTENT]);
/** How some libraries (SoftHSM2 among them) report a GCM tag that does not verify. */
const OPAQUE_FAILURES = new Set([pkcs11js.CKR_GENERAL_ERROR, pkcs11js.CKR_FUNCTION_FAILED]);

const USAGE_ATTRIBUTES: ReadonlyArray<[number, string]> = [
  [pkcs11js.CKA_ENCRYPT, 'ENCRYPT'],
  [pkcs11js.CKA_DECRYPT, 'DECRYPT'],
  [pkcs11js.CKA_WRAP, 'WRAP'],
  [pkcs11js.CKA_UNWRAP, 'UNWRAP'],
  [pkcs11js.CKA_SIGN, 'SIGN'],
  [pkcs11js.CKA_VERIFY, 'VERIFY'],
  [pkcs11js.CKA_DERIVE, 'DERIVE'],
];

function pkcs11Code(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

export class Hsm {
  public readonly pkcs11 = new pkcs11js.PKCS11();
  public readonly slot: Buffer;
  private readonly pool: SessionPool<Buffer>;
  private readonly keys = new Map<string, KeyInfo>();

  constructor(private readonly config: ProxyConfig['pkcs11']) {
    this.pkcs11.load(config.library);
    // OS locking: the *Async calls run on libuv worker threads, several at once.
    this.pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      this.slot = this.findSlot(config.tokenLabel);
      const factory = { open: () => this.openSession(), close: (s: Buffer) => this.pkcs11.C_CloseSession(s) };
      this.pool = new SessionPool(factory, config.sessionPoolSize, config.acquireTimeoutMs);
    } catch (error) {
      this.pkcs11.C_Finalize();
      throw error;
    }
  }

  /** Sessions replaced since start after an unexpected HSM error. */
  public get replacedSessions(): number {
    return this.pool.replaced;
  }

  /** ekmVendor and model for GetHealthStatus, from configuration or the token itself. */
  public describe(): { vendor: string; model: string; id: string } {
    const token = this.pkcs11.C_GetTokenInfo(this.slot);
    const info = this.pkcs11.C_GetInfo();
    return {
      vendor: this.config.vendor ?? info.manufacturerID.trim(),
      model: this.config.model ?? `${token.model.trim()} ${token.firmwareVersion.major}.${token.firmwareVersion.minor}`,
      id: token.serialNumber.trim(),
    };
  }

  public async keyInfo(label: string): Promise<KeyInfo> {
    return this.withSession(label, async (session) => this.findKey(session, label));
  }

  public async encrypt(label: string, plaintext: Buffer, aad: Buffer): Promise<GcmResult> {
    return this.withSession(label, async (session) => {
      const key = this.findKey(session, label);
      if (!key.usage.includes('ENCRYPT')) throw new XksError('InvalidKeyUsageException', `key ${label} does not allow encryption`);
      const iv = randomBytes(12);
      this.pkcs11.C_EncryptInit(session, this.gcm(iv, aad), key.handle);
      const out = await this.pkcs11.C_EncryptAsync(session, plaintext, Buffer.alloc(plaintext.length + GCM_TAG_BYTES));
      if (out.length !== plaintext.length + GCM_TAG_BYTES) throw new XksError('InternalException', 'the HSM returned an unexpected ciphertext length');
      return { ciphertext: out.subarray(0, plaintext.length), tag: out.subarray(plaintext.length), iv };
    });
  }

  public async decrypt(label: string, ciphertext: Buffer, iv: Buffer, tag: Buffer, aad: Buffer): Promise<Buffer> {
    return this.withSession(label, async (session) => {
      const key = this.findKey(session, label);
      if (!key.usage.includes('DECRYPT')) throw new XksError('InvalidKeyUsageException', `key ${label} does not allow decryption`);
      this.pkcs11.C_DecryptInit(session, this.gcm(iv, aad), key.handle);
      // Some libraries check the output size before the tag, so leave room for ciphertext and tag.
      const out = await this.pkcs11.C_DecryptAsync(session, Buffer.concat([ciphertext, tag]), Buffer.alloc(ciphertext.length + GCM_TAG_BYTES));
      return out;
    }, true);
  }

  public close(): void {
    this.pool.close();
    this.pkcs11.C_Finalize();
  }

  private gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
    const parameter: pkcs11js.AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: iv.length * 8, tagBits: GCM_TAG_BYTES * 8 };
    return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
  }

  private findSlot(tokenLabel: string): Buffer {
    for (const slot of this.pkcs11.C_GetSlotList(true)) {
      if (this.pkcs11.C_GetTokenInfo(slot).label.trim() === tokenLabel) return slot;
    }
    throw new Error(`no PKCS#11 token labelled "${tokenLabel}" in ${this.config.library}`);
  }

  private openSession(): Buffer {
    const session = this.pkcs11.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      this.pkcs11.C_Login(session, pkcs11js.CKU_USER, this.config.pin);
    } catch (error) {
      // Login is per application: the first session logged in for all of them.
      if (pkcs11Code(error) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
        this.pkcs11.C_CloseSession(session);
        throw error;
      }
    }
    return session;
  }

  /**
   * Runs one HSM operation on a pooled session, bounded by operationTimeoutMs. After an unexpected
   * HSM error the session is replaced and the operation retried once on another session.
   * `failedAuthentication`: a generic failure on a live session means the GCM tag did not verify.
   */
  private async withSession<T>(
    label: string,
    operation: (session: Buffer) => Promise<T>,
    failedAuthentication = false,
    retry = true,
  ): Promise<T> {
    const session = await this.pool.acquire();
    let settled = false;
    const run = operation(session).finally(() => {
      settled = true;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new XksError('DependencyTimeoutException', 'the HSM did not answer in time')), this.config.operationTimeoutMs);
    });
    try {
      const result = await Promise.race([run, timeout]);
      this.pool.release(session);
      return result;
    } catch (error) {
      if (!settled) {
        // Timed out: the session is still busy in the HSM; give it back only when the call ends.
        run.then(() => this.pool.release(session), () => this.pool.discard(session));
        throw error;
      }
      const code = pkcs11Code(error);
      if (error instanceof XksError || (code !== undefined && (CIPHERTEXT_ERRORS.has(code) || KEY_USAGE_ERRORS.has(code)))) {
        this.pool.release(session);
        throw this.translate(error, label);
      }
      // Unexpected: handles may be stale (e.g. after the HSM dropped our sessions and login).
      this.keys.clear();
      if (failedAuthentication && code !== undefined && OPAQUE_FAILURES.has(code) && this.isAlive(session)) {
        this.pool.release(session);
        throw new XksError('InvalidCiphertextException', 'the ciphertext, IV, authentication tag or additional authenticated data is invalid');
      }
      this.pool.discard(session);
      if (retry) return await this.withSession(label, operation, failedAuthentication, false);
      throw new XksError('InternalException', `HSM error ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private isAlive(session: Buffer): boolean {
    try {
      this.pkcs11.C_GetSessionInfo(session);
      return true;
    } catch {
      return false;
    }
  }

  private translate(error: unknown, label: string): XksError {
    if (error instanceof XksError) return error;
    const code = pkcs11Code(error)!;
    if (KEY_USAGE_ERRORS.has(code)) return new XksError('InvalidKeyUsageException', `key ${label} does not support this operation`);
    return new XksError('InvalidCiphertextException', 'the ciphertext, IV, authentication tag or additional authenticated data is invalid');
  }

  /** Finds an AES-256 secret key by label (cached), or KeyNotFoundException / InvalidKeyUsageException. */
  private findKey(session: Buffer, label: string): KeyInfo {
    const cached = this.keys.get(label);
    if (cached) return cached;
    this.pkcs11.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    let handles: Buffer[];
    try {
      handles = this.pkcs11.C_FindObjects(session, 2);
    } finally {
      this.pkcs11.C_FindObjectsFinal(session);
    }
    if (handles.length === 0) throw new XksError('KeyNotFoundException', `no key labelled ${label} on the HSM`);
    if (handles.length > 1) throw new XksError('InvalidStateException', `more than one key is labelled ${label} on the HSM`);
    const attributes = this.pkcs11.C_GetAttributeValue(session, handles[0], [
      { type: pkcs11js.CKA_KEY_TYPE },
      { type: pkcs11js.CKA_VALUE_LEN },
      ...USAGE_ATTRIBUTES.map(([type]) => ({ type })),
    ]);
    // CK_ULONG values in host byte order (little-endian on the platforms we support); small numbers.
    const keyType = (attributes[0].value as Buffer).readUInt32LE(0);
    const valueLength = (attributes[1].value as Buffer).readUInt32LE(0);
    if (keyType !== pkcs11js.CKK_AES || valueLength !== AES_256_BYTES) {
      throw new XksError('InvalidKeyUsageException', `key ${label} is not an AES-256 key`);
    }
    const usage = USAGE_ATTRIBUTES.filter((_, i) => (attributes[i + 2].value as Buffer)[0] === 1).map(([, name]) => name);
    const info = { handle: handles[0], usage };
    this.keys.set(label, info);
    return info;
  }
}
