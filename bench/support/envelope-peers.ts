/**
 * Baselines for the envelope benches, shaped as our Codec (lambda/envelope/codec.ts) so they plug
 * into the same callers (sealItem, TableHandler, ...) and only the encryption differs between sides:
 *
 * - rawGcmCodec: AES-256-GCM under a key at hand, a fresh IV and tag per frame, the encryption
 *   context as additional authenticated data: the physical limit done right (no KMS, no message
 *   format, no key derivation);
 * - esdkCodec(..., 'defaults'): the AWS Encryption SDK out of the box (a KMS keyring, the default
 *   committing suite WITH ECDSA signing, 4 KiB frames, no data-key cache);
 * - esdkCodec(..., 'like-us'): the ESDK configured like our codec (our suite and frame length, a
 *   caching materials manager with our cache bounds): the fair peer for our code.
 *
 * Whole messages only: the stream methods throw.
 */
import * as crypto from 'node:crypto';
import {
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  KmsKeyringNode,
  NodeAlgorithmSuite,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import { canonicalJson } from '../../lambda/envelope/canonical';
import { Codec, DEFAULT_CACHE, DEFAULT_FRAME_LENGTH, DEFAULT_SUITE, EncryptionContext, verifyContext } from '../../lambda/envelope/codec';

const IV_BYTES = 12;
const TAG_BYTES = 16;

function noStreams(name: string): Pick<Codec, 'encryptStream' | 'decryptStream'> {
  const refuse = () => {
    throw new Error(`${name}: the bench baselines encrypt whole messages only`);
  };
  return { encryptStream: refuse, decryptStream: refuse };
}

/**
 * Raw AES-256-GCM: per frame of `frameLength` plaintext bytes, IV || ciphertext || tag, all frames
 * in one new Buffer (as the ESDK returns a message). The context is authenticated, not stored.
 */
export function rawGcmCodec(frameLength = DEFAULT_FRAME_LENGTH): Codec {
  const key = crypto.randomBytes(32);
  const aad = (context: EncryptionContext) => Buffer.from(canonicalJson(context));
  return {
    async encrypt(plaintext, context) {
      const additional = aad(context);
      const parts: Buffer[] = [];
      let offset = 0;
      do {
        const iv = crypto.randomBytes(IV_BYTES);
        const cipher = crypto.createCipheriv('aes-256-gcm', key, iv).setAAD(additional);
        parts.push(iv, cipher.update(plaintext.subarray(offset, offset + frameLength)), cipher.final(), cipher.getAuthTag());
        offset += frameLength;
      } while (offset < plaintext.length);
      return Buffer.concat(parts);
    },
    async decrypt(ciphertext, expectedContext) {
      const additional = aad(expectedContext);
      const parts: Buffer[] = [];
      for (let offset = 0; offset < ciphertext.length;) {
        const dataLength = Math.min(frameLength, ciphertext.length - offset - IV_BYTES - TAG_BYTES);
        const iv = ciphertext.subarray(offset, offset + IV_BYTES);
        const data = ciphertext.subarray(offset + IV_BYTES, offset + IV_BYTES + dataLength);
        const tag = ciphertext.subarray(offset + IV_BYTES + dataLength, offset + IV_BYTES + dataLength + TAG_BYTES);
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv).setAAD(additional).setAuthTag(tag);
        parts.push(decipher.update(data), decipher.final());
        offset += IV_BYTES + dataLength + TAG_BYTES;
      }
      return Buffer.concat(parts);
    },
    ...noStreams('raw AES-GCM'),
  };
}

export type EsdkConfiguration = 'defaults' | 'like-us';

/** The ESDK with a KMS keyring on `keyArn`: at its defaults, or with our suite, frame length and data-key cache. */
export function esdkSetup(kms: KMS, keyArn: string, configuration: EsdkConfiguration) {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms });
  const likeUs = configuration === 'like-us';
  const materials = likeUs
    ? new NodeCachingMaterialsManager({
      backingMaterials: keyring,
      cache: getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>(DEFAULT_CACHE.capacity),
      maxAge: DEFAULT_CACHE.maxAgeSeconds * 1000,
      maxMessagesEncrypted: DEFAULT_CACHE.maxMessages,
      maxBytesEncrypted: DEFAULT_CACHE.maxBytes,
    })
    : keyring;
  const options = likeUs ? { suiteId: DEFAULT_SUITE, frameLength: DEFAULT_FRAME_LENGTH } : {};
  return { client, materials, options, likeUs };
}

/**
 * The ESDK (esdkSetup) as a Codec. Decrypt checks the header's context against the expected one
 * exactly as our codec does (verifyContext).
 */
export function esdkCodec(kms: KMS, keyArn: string, configuration: EsdkConfiguration): Codec {
  const { client, materials, options } = esdkSetup(kms, keyArn, configuration);
  return {
    async encrypt(plaintext, context) {
      return (await client.encrypt(materials, plaintext, { ...options, encryptionContext: { ...context } })).result;
    },
    async decrypt(ciphertext, expectedContext) {
      const { plaintext, messageHeader } = await client.decrypt(materials, ciphertext);
      verifyContext(messageHeader, expectedContext);
      return plaintext;
    },
    ...noStreams(`ESDK ${configuration}`),
  };
}
