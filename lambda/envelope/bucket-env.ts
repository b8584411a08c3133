/**
 * The dependencies of the bucket handlers, built once per cold start from the environment
 * (EnvelopeEncryptedBucket sets it). A bad environment fails each invocation with MISCONFIGURED.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { bucketBranchKeys, readBranchKeyConfig } from './branch-key-config';
import { Codec } from './codec';
import { codecFromConfig, Env, readCodecConfig } from './config';
import { BucketLayout, layoutFromEnv } from './object-location';

export interface BucketDeps {
  readonly s3: S3Client;
  readonly crypto: Codec;
  readonly layout: BucketLayout;
}

let cached: BucketDeps | undefined;

/** The codec of a bucket function: a KMS keyring, or branch keys when the environment names a store. */
export function bucketCodecFromEnv(env: Env, layout: BucketLayout, clients?: { kms?: KMSClient; ddb?: DynamoDBClient }): Codec {
  const config = readCodecConfig(env);
  const branch = readBranchKeyConfig(env);
  const kms = clients?.kms ?? new KMSClient({ maxAttempts: config.kmsMaxAttempts });
  if (!branch) return codecFromConfig(config, kms);
  const ddb = clients?.ddb ?? new DynamoDBClient({ maxAttempts: config.kmsMaxAttempts });
  // keyArn stays the envelope key: objects written before branch keys still decrypt under it.
  return codecFromConfig(config, kms, bucketBranchKeys(branch, layout.protectedPrefix, { kms, ddb }));
}

export function bucketDepsFromEnv(): BucketDeps {
  if (!cached) {
    const layout = layoutFromEnv(process.env);
    cached = { layout, crypto: bucketCodecFromEnv(process.env, layout), s3: new S3Client({}) };
  }
  return cached;
}
