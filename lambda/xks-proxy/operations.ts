/**
 * The three key operations of the XKS Proxy API (GetKeyMetadata, Encrypt, Decrypt): request
 * validation, the spec's AAD construction, ciphertextMetadata and the ciphertext data integrity value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { XksError } from './errors';
import type { Hsm } from './hsm';

/** The spec's minimum sizes are our maximum sizes; beyond them a ValidationException. */
export const MAX_PLAINTEXT_BYTES = 4300;
export const MAX_AAD_BYTES = 8192;
export const MAX_CIPHERTEXT_METADATA_BYTES = 20;
const TAG_BYTES = 16;
const IV_BYTES = [12, 16];

/**
 * Our ciphertextMetadata: a format version, authenticated with the ciphertext. Version 1 = the AAD
 * construction of spec v1.0.3 (lengths included), so a future format can be told apart.
 */
export const CIPHERTEXT_METADATA = Buffer.from([1]);

export type RequestBody = Record<string, unknown>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(message: string): never {
  throw new XksError('ValidationException', message);
}

function base64Field(body: RequestBody, name: string, maxBytes: number, required: boolean): Buffer | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) invalid(`${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || !BASE64.test(value)) invalid(`${name} must be a Base64 string`);
  // Check the size before decoding, so an oversized field costs nothing.
  if (Math.floor((value.length * 3) / 4) - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0) > maxBytes) {
    invalid(`${name} must not exceed ${maxBytes} bytes`);
  }
  return Buffer.from(value, 'base64');
}

/** A missing value is invalid input; another algorithm name is one this proxy does not implement. */
function checkAlgorithm(body: RequestBody, field: string, supported: string, required: boolean): void {
  const value = body[field];
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value === '') invalid(`${field} is required`);
  if (value !== supported) throw new XksError('UnsupportedOperationException', `${field} must be ${supported}`);
}

/** 2-byte big-endian AAD length || AAD || 1-byte metadata length || metadata (spec, Encrypt). */
export function buildAad(aad: Buffer | undefined, metadata: Buffer | undefined): Buffer {
  const a = aad ?? Buffer.alloc(0);
  const m = metadata ?? Buffer.alloc(0);
  const out = Buffer.alloc(2 + a.length + 1 + m.length);
  out.writeUInt16BE(a.length, 0);
  a.copy(out, 2);
  out.writeUInt8(m.length, 2 + a.length);
  m.copy(out, 3 + a.length);
  return out;
}

export async function getKeyMetadata(hsm: Hsm, keyId: string, disabled: boolean): Promise<object> {
  const key = await hsm.keyInfo(keyId);
  return { keySpec: 'AES_256', keyUsage: key.usage, keyStatus: disabled ? 'DISABLED' : 'ENABLED' };
}

export async function encrypt(hsm: Hsm, keyId: string, body: RequestBody): Promise<object> {
  checkAlgorithm(body, 'encryptionAlgorithm', 'AES_GCM', true);
  checkAlgorithm(body, 'ciphertextDataIntegrityValueAlgorithm', 'SHA_256', false);
  const plaintext = base64Field(body, 'plaintext', MAX_PLAINTEXT_BYTES, true)!;
  if (plaintext.length === 0) invalid('plaintext must not be empty');
  const aad = base64Field(body, 'additionalAuthenticatedData', MAX_AAD_BYTES, false);

  const metadata = CIPHERTEXT_METADATA;
  const hsmAad = buildAad(aad, metadata);
  const { ciphertext, iv, tag } = await hsm.encrypt(keyId, plaintext, hsmAad);
  const response: Record<string, string> = {
    ciphertext: ciphertext.toString('base64'),
    ciphertextMetadata: metadata.toString('base64'),
    initializationVector: iv.toString('base64'),
    authenticationTag: tag.toString('base64'),
  };
  if (body.ciphertextDataIntegrityValueAlgorithm !== undefined) {
    // Appendix C: hash first, then prove the output decrypts, so a later corruption cannot hide.
    const parts = [aad, metadata, iv, ciphertext, tag].filter((p): p is Buffer => p !== undefined);
    response.ciphertextDataIntegrityValue = createHash('sha256').update(Buffer.concat(parts)).digest('base64');
    const roundTrip = await hsm.decrypt(keyId, ciphertext, iv, tag, hsmAad);
    if (roundTrip.length !== plaintext.length || !timingSafeEqual(roundTrip, plaintext)) {
      throw new XksError('InternalException', 'the HSM produced a ciphertext that does not decrypt');
    }
  }
  return response;
}

export async function decrypt(hsm: Hsm, keyId: string, body: RequestBody): Promise<object> {
  checkAlgorithm(body, 'encryptionAlgorithm', 'AES_GCM', true);
  const ciphertext = base64Field(body, 'ciphertext', MAX_PLAINTEXT_BYTES, true)!;
  if (ciphertext.length === 0) invalid('ciphertext must not be empty');
  const metadata = base64Field(body, 'ciphertextMetadata', MAX_CIPHERTEXT_METADATA_BYTES, false);
  const aad = base64Field(body, 'additionalAuthenticatedData', MAX_AAD_BYTES, false);
  const iv = base64Field(body, 'initializationVector', 16, true)!;
  if (!IV_BYTES.includes(iv.length)) invalid('initializationVector must be 12 or 16 bytes');
  const tag = base64Field(body, 'authenticationTag', TAG_BYTES, true)!;
  if (tag.length !== TAG_BYTES) invalid('authenticationTag must be 16 bytes');

  const plaintext = await hsm.decrypt(keyId, ciphertext, iv, tag, buildAad(aad, metadata));
  return { plaintext: plaintext.toString('base64') };
}
