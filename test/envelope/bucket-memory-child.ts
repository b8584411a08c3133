/**
 * Child process of bucket-large.test.ts: runs the intake encryption and then the streaming read of
 * one object against the parent's s3rver and local KMS, sampling its own RSS, and prints
 * `{ encryptPeakRss, decryptPeakRss, plaintextBytes, sha256 }` as JSON. It runs as an esbuild
 * bundle under plain node, as in Lambda, so the numbers are the handler's own.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { createCodec } from '../../lambda/envelope/codec';
import { logger } from '../../lambda/envelope/log';
import { encryptIntakeObject } from '../../lambda/envelope/object-intake';
import { streamProtectedObject } from '../../lambda/envelope/object-read';

interface ChildEnv {
  readonly s3Endpoint: string;
  readonly kmsEndpoint: string;
  readonly keyArn: string;
  readonly bucket: string;
  readonly name: string;
}

class PeakRss {
  private peak = process.memoryUsage().rss;
  private readonly timer = setInterval(() => this.sample(), 5);
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = process.memoryUsage().rss;
    return peak;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function main(env: ChildEnv): Promise<void> {
  logger.setLogLevel('SILENT');
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const s3 = new S3Client({
    endpoint: env.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const kms = new KMSClient({ endpoint: env.kmsEndpoint, region: 'us-east-1', credentials });
  const deps = {
    s3,
    crypto: createCodec({ keyArn: env.keyArn, kms }),
    layout: { bucket: env.bucket, intakePrefix: 'intake/', protectedPrefix: 'protected/' },
    // The read path's own memory bound is measured here; Lambda's 200 MB response cap is not.
    maxResponseBytes: Number.POSITIVE_INFINITY,
  };
  const rss = new PeakRss();

  await encryptIntakeObject(deps, `intake/${env.name}`);
  const encryptPeakRss = rss.take();

  const hash = createHash('sha256');
  let plaintextBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      plaintextBytes += chunk.length;
      done();
    },
  });
  await streamProtectedObject(deps, env.name, () => sink);
  const decryptPeakRss = rss.take();
  rss.stop();
  s3.destroy();
  kms.destroy();
  process.stdout.write(JSON.stringify({ encryptPeakRss, decryptPeakRss, plaintextBytes, sha256: hash.digest('hex') }));
}

main(JSON.parse(process.argv[2]) as ChildEnv).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
