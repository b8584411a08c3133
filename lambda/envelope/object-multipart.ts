/**
 * Writes a stream of unknown length to S3 as a multipart upload with bounded memory: at most
 * `concurrency` parts in flight plus the one being filled. On any failure the upload is
 * aborted, so no partial object ever appears, and the original error is rethrown.
 */
import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** 8 MiB parts: 10,000 of them hold 78 GiB; larger objects get larger parts (see choosePartSize). */
export const DEFAULT_PART_SIZE = 8 * MiB;
const MAX_PARTS = 10_000;

export interface MultipartTarget {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** Bytes per part (all but the last). @default DEFAULT_PART_SIZE */
  readonly partSize?: number;
  /** Parts uploaded at the same time. @default 2 */
  readonly concurrency?: number;
  readonly metadata?: Record<string, string>;
  readonly contentType?: string;
  /** Called when aborting the upload itself fails (the original error is still thrown). */
  readonly onAbortFailure?: (error: unknown) => void;
}

export interface MultipartResult {
  readonly bytes: number;
  readonly parts: number;
  readonly versionId?: string;
  readonly eTag?: string;
}

/**
 * The part size for a body of about `expectedBytes` (the ciphertext is a little larger than the
 * plaintext), keeping well under S3's 10,000-part limit.
 */
export function choosePartSize(expectedBytes: number): number {
  const needed = Math.ceil((expectedBytes * 1.05) / (MAX_PARTS * 0.9));
  return Math.max(DEFAULT_PART_SIZE, Math.ceil(needed / MiB) * MiB);
}

export async function uploadMultipart(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, target: MultipartTarget): Promise<MultipartResult> {
  const partSize = target.partSize ?? DEFAULT_PART_SIZE;
  const concurrency = target.concurrency ?? 2;
  if (partSize < MIN_PART_SIZE) throw new RangeError(`partSize must be at least ${MIN_PART_SIZE} bytes`);
  if (concurrency < 1) throw new RangeError('concurrency must be at least 1');
  const { s3, bucket, key } = target;

  const created = await s3.send(new CreateMultipartUploadCommand({
    Bucket: bucket,
    Key: key,
    Metadata: target.metadata,
    ContentType: target.contentType,
  }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');

  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let bytes = 0;

  const sendPart = (partNumber: number, data: Buffer) => {
    if (partNumber > MAX_PARTS) throw new RangeError(`object needs more than ${MAX_PARTS} parts; raise partSize`);
    const upload = s3
      .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }))
      .then((result) => {
        completed.push({ PartNumber: partNumber, ETag: result.ETag });
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
  };

  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let partNumber = 0;
    for await (const chunk of body) {
      if (failure) break;
      const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      pending.push(buffer);
      pendingBytes += buffer.length;
      bytes += buffer.length;
      while (pendingBytes >= partSize) {
        const joined = Buffer.concat(pending, pendingBytes);
        sendPart(++partNumber, joined.subarray(0, partSize));
        pending = pendingBytes > partSize ? [joined.subarray(partSize)] : [];
        pendingBytes -= partSize;
        // Backpressure: stop reading until a slot frees up.
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        if (failure) break;
      }
    }
    if (!failure && (pendingBytes > 0 || partNumber === 0)) {
      sendPart(++partNumber, Buffer.concat(pending, pendingBytes));
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;

    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const result = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: completed },
    }));
    return { bytes, parts: completed.length, versionId: result.VersionId, eTag: result.ETag };
  } catch (error) {
    await Promise.allSettled(inFlight);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch((abortError: unknown) => target.onAbortFailure?.(abortError));
    throw error;
  }
}
