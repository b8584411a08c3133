/**
 * Intake encryption: a plaintext object written under the intake prefix is streamed through the
 * envelope codec into a multipart upload under the protected prefix, then the intake version is
 * deleted. Memory stays bounded whatever the object's size. If anything fails, the multipart upload
 * is aborted (no partial protected object) and the intake object stays where it was, so a retry
 * of the event starts over.
 */
import { pipeline } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { Codec } from './codec';
import { EnvelopeError, ErrorCode, errorName } from './errors';
import { logger, logOutcome } from './log';
import { isNoSuchKey, s3Call } from './object-errors';
import { BucketLayout, CONTENT_TYPE_METADATA, objectContext, protectedKeyForIntake } from './object-location';
import { choosePartSize, uploadMultipart } from './object-multipart';

export interface IntakeDeps {
  readonly s3: S3Client;
  readonly crypto: Codec;
  readonly layout: BucketLayout;
  /** Parts uploaded at the same time. @default 2 */
  readonly concurrency?: number;
}

export interface IntakeResult {
  readonly intakeKey: string;
  readonly protectedKey: string;
  /** 'encrypted', or 'gone' when the intake object no longer exists (an event delivered twice). */
  readonly outcome: 'encrypted' | 'gone';
  readonly ciphertextBytes?: number;
}

export async function encryptIntakeObject(deps: IntakeDeps, intakeKey: string, versionId?: string): Promise<IntakeResult> {
  const { s3, layout } = deps;
  const protectedKey = protectedKeyForIntake(layout, intakeKey);

  let source;
  try {
    source = await s3.send(new GetObjectCommand({ Bucket: layout.bucket, Key: intakeKey, VersionId: versionId }));
  } catch (err) {
    if (isNoSuchKey(err)) return { intakeKey, protectedKey, outcome: 'gone' };
    return s3Call('GetObject', () => Promise.reject(err));
  }

  // No plaintextLength: the ESDK (encrypt-node 5.0.2) counts a chunk's tail twice when the chunk
  // spans a frame boundary and then fails with "Encrypted data exceeded plaintextLength". The
  // data-key cache gains nothing here anyway: each object key is its own encryption context.
  const encrypted = deps.crypto.encryptStream(objectContext(layout.bucket, protectedKey));
  // A source or codec error destroys `encrypted`, which fails the upload below and aborts it.
  pipeline(source.Body as NodeJS.ReadableStream, encrypted, () => undefined);

  const uploaded = await uploadMultipart(encrypted, {
    s3,
    bucket: layout.bucket,
    key: protectedKey,
    partSize: choosePartSize(source.ContentLength ?? 0),
    concurrency: deps.concurrency,
    contentType: 'application/octet-stream',
    metadata: source.ContentType ? { [CONTENT_TYPE_METADATA]: source.ContentType } : undefined,
    onAbortFailure: (err) => logger.error('aborting the multipart upload failed', { errorClass: errorName(err) }),
  });

  // Deleting the exact version read removes the plaintext for good (a plain delete of a
  // versioned object would only add a delete marker and keep the plaintext as a noncurrent version).
  await s3Call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: layout.bucket, Key: intakeKey, VersionId: source.VersionId })));
  return { intakeKey, protectedKey, outcome: 'encrypted', ciphertextBytes: uploaded.bytes };
}

/** The object key of an S3 event record: URL-encoded, with '+' for spaces. */
function intakeKeyOf(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new EnvelopeError(ErrorCode.INVALID_REQUEST, 'the event\'s object key is not valid URL encoding');
  }
}

/**
 * Handles an S3 event notification: encrypts each created intake object in turn. Throws when any
 * record failed (after trying all of them) so Lambda retries the event; records already done are
 * then reported as 'gone'.
 */
export async function handleIntakeEvent(deps: IntakeDeps, event: S3Event): Promise<IntakeResult[]> {
  const results: IntakeResult[] = [];
  let failures = 0;
  for (const record of event.Records ?? []) {
    const startedAt = performance.now();
    try {
      if (record.s3.bucket.name !== deps.layout.bucket) {
        throw new EnvelopeError(ErrorCode.MISCONFIGURED, 'event is for another bucket');
      }
      const key = intakeKeyOf(record.s3.object.key);
      results.push(await encryptIntakeObject(deps, key, record.s3.object.versionId));
      logOutcome('intake', startedAt);
    } catch (err) {
      failures++;
      logOutcome('intake', startedAt, err);
    }
  }
  if (failures > 0) {
    throw new EnvelopeError(ErrorCode.INTERNAL, `${failures} of ${event.Records.length} intake objects failed; they stay in the intake prefix`);
  }
  return results;
}
