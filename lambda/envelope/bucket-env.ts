/**
 * The dependencies of the bucket handlers, built once per cold start from the environment
 * (EnvelopeEncryptedBucket sets it). A bad environment fails each invocation with MISCONFIGURED.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Codec } from './codec';
import { codecFromConfig, readCodecConfig } from './config';
import { BucketLayout, layoutFromEnv } from './object-location';

export interface BucketDeps {
  readonly s3: S3Client;
  readonly crypto: Codec;
  readonly layout: BucketLayout;
}

let cached: BucketDeps | undefined;

export function bucketDepsFromEnv(): BucketDeps {
  cached ??= {
    layout: layoutFromEnv(process.env),
    crypto: codecFromConfig(readCodecConfig(process.env)),
    s3: new S3Client({}),
  };
  return cached;
}
