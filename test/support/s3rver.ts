/**
 * A real local S3 (s3rver) for handler tests: writes to a fresh temp dir, listens on a free
 * loopback port, and hands out an S3 client configured for it.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** The slice of s3rver's API we use (the package ships no types). */
interface S3rverInstance extends EventEmitter {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: S3rverConstructor = require('s3rver');

export interface LocalS3 {
  readonly endpoint: string;
  readonly directory: string;
  /** The running server: emits 'event' with an S3 event notification for each write. */
  readonly server: S3rverInstance;
  /** A new client for this server (s3rver needs checksums only when required). */
  client(): S3Client;
  /** Creates a bucket (s3rver has no versioning). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3rver(): Promise<LocalS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];

  const client = () => {
    const s3 = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      // s3rver corrupts streamed uploads that carry flexible checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(s3);
    return s3;
  };

  return {
    endpoint,
    directory,
    server,
    client,
    async createBucket(name: string) {
      const s3 = client();
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      clients.forEach((s3) => s3.destroy());
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
