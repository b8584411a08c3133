/**
 * Shared set-up of the bucket handler tests: a local KMS and a local S3 (s3rver), a key, a bucket,
 * and the handler dependencies wired to them.
 */
import { Writable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { BucketDeps } from '../../lambda/envelope/bucket-env';
import { createCodec } from '../../lambda/envelope/codec';
import { logger } from '../../lambda/envelope/log';
import { BucketLayout } from '../../lambda/envelope/object-location';
import { LocalKmsServer } from '../support/kms-server';
import { LocalS3, startS3rver } from '../support/s3rver';

// The handlers' structured logs are asserted nowhere here; keep test output readable.
logger.setLogLevel('SILENT');

export const LAYOUT: BucketLayout = { bucket: 'protected-bucket', intakePrefix: 'intake/', protectedPrefix: 'protected/' };

export interface BucketFixture {
  readonly kms: LocalKmsServer;
  readonly localS3: LocalS3;
  readonly s3: S3Client;
  readonly keyArn: string;
  readonly deps: BucketDeps;
  stop(): Promise<void>;
}

export async function startBucketFixture(): Promise<BucketFixture> {
  const kms = await LocalKmsServer.start();
  const localS3 = await startS3rver();
  await localS3.createBucket(LAYOUT.bucket);
  const keyArn = kms.createKey();
  const s3 = localS3.client();
  const deps: BucketDeps = { s3, layout: LAYOUT, crypto: createCodec({ keyArn, kms: kms.client({ maxAttempts: 2 }) }) };
  return {
    kms,
    localS3,
    s3,
    keyArn,
    deps,
    async stop() {
      await localS3.stop();
      await kms.stop();
    },
  };
}

/** Deterministic bytes (cheap to make, different at every offset). */
export function pattern(size: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(Math.ceil(size / 4) * 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < buffer.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buffer.writeUInt32LE(x >>> 0, i);
  }
  return buffer.subarray(0, size);
}

export async function getBytes(s3: S3Client, key: string): Promise<Buffer> {
  const result = await s3.send(new GetObjectCommand({ Bucket: LAYOUT.bucket, Key: key }));
  return Buffer.from(await result.Body!.transformToByteArray());
}

export async function putBytes(s3: S3Client, key: string, body: Buffer, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: LAYOUT.bucket, Key: key, Body: body, ContentType: contentType }));
}

/** True when the object exists. */
export async function exists(s3: S3Client, key: string): Promise<boolean> {
  try {
    await getBytes(s3, key);
    return true;
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return false;
    throw err;
  }
}

/** The S3 event notification S3 sends for a new object (keys URL-encoded, '+' for spaces). */
export function objectCreatedEvent(key: string, bucket = LAYOUT.bucket): S3Event {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:TEST' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'TEST', 'x-amz-id-2': 'TEST' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'intake',
        bucket: { name: bucket, ownerIdentity: { principalId: 'TEST' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encoded, size: 0, eTag: 'TEST', sequencer: '0' },
      },
    }],
  };
}

/** Names (and inputs) of the commands a client sends, recorded by a middleware. */
export function recordCommands(s3: S3Client): Array<{ name: string; input: Record<string, unknown> }> {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: context.commandName as string, input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

/** A writable that collects what it is given, and whether it ended cleanly or was destroyed. */
export class CollectingSink extends Writable {
  readonly chunks: Buffer[] = [];
  _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
