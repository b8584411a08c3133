/**
 * What the crypto function does with an item attribute. Partition and sort keys are never
 * encrypted: they stay plaintext and are bound to the ciphertext, so a ciphertext moved to another
 * item fails to decrypt.
 */
export enum AttributeAction {
  /** Encrypted (confidential) and integrity-protected. */
  ENCRYPT_AND_SIGN = 'ENCRYPT_AND_SIGN',
  /** Stored readable, but a changed, added or removed value is detected on read. */
  SIGN_ONLY = 'SIGN_ONLY',
  /** Stored as is, not protected (e.g. an attribute a GSI or TTL reads and nobody needs to trust). */
  DO_NOTHING = 'DO_NOTHING',
}
