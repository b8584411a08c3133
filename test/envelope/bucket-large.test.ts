/**
 * A 1 GiB object through the streaming path (s3rver on disk, local KMS): intake encryption into a
 * multipart upload and the streaming read, run in a child process that measures its own peak RSS.
 * The encrypt path must stay under 256 MB (the bound); so must the read path.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { buildSync } from 'esbuild';
import { BucketFixture, exists, LAYOUT, pattern, startBucketFixture } from './bucket-fixture';
import { BUNDLE_OPTIONS } from '../../build-tools/bundle-options';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const MEMORY_BOUND = 256 * 1000 * 1000;

let fx: BucketFixture;
let workDir: string;
beforeAll(async () => {
  fx = await startBucketFixture();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bucket-large-'));
});
afterAll(async () => {
  await fx.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** `size` bytes of a 1 MiB pattern, each MiB stamped with its index; hashed as it is produced. */
function deterministicBody(size: number): { body: Readable; sha256: () => string } {
  const base = pattern(MiB, 42);
  const hash = createHash('sha256');
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const chunk = Buffer.from(base.subarray(0, Math.min(MiB, size - produced)));
      chunk.writeUInt32LE(produced / MiB, 0);
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { body, sha256: () => hash.digest('hex') };
}

/** Runs the child as an esbuild bundle under plain node (async: the parent serves S3 and KMS). */
function runChild(args: object): Promise<{ encryptPeakRss: number; decryptPeakRss: number; plaintextBytes: number; sha256: string }> {
  const outfile = path.join(workDir, 'child.js');
  // Bundled as the shipped functions are, so the memory measured is theirs.
  buildSync({ ...BUNDLE_OPTIONS, minify: false, entryPoints: [path.join(__dirname, 'bucket-memory-child.ts')], outfile });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [outfile, JSON.stringify(args)], { maxBuffer: MiB }, (err, stdout, stderr) => {
      if (err) reject(new Error(`child failed: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

test('1 GiB: encrypted through intake and read back intact, each path under 256 MB of RSS', async () => {
  const { body, sha256 } = deterministicBody(SIZE);
  await fx.s3.send(new PutObjectCommand({ Bucket: LAYOUT.bucket, Key: 'intake/large.bin', Body: body, ContentLength: SIZE }));

  const result = await runChild({
    s3Endpoint: fx.localS3.endpoint,
    kmsEndpoint: fx.kms.endpoint,
    keyArn: fx.keyArn,
    bucket: LAYOUT.bucket,
    name: 'large.bin',
  });

  expect(result.plaintextBytes).toBe(SIZE);
  expect(result.sha256).toBe(sha256());
  expect(await exists(fx.s3, 'intake/large.bin')).toBe(false);
  const stored = await fx.s3.send(new HeadObjectCommand({ Bucket: LAYOUT.bucket, Key: 'protected/large.bin' }));
  expect(stored.ContentLength).toBeGreaterThan(SIZE);
  // Printed for the record; the bound is what is asserted.
  console.log(`1 GiB peak RSS: encrypt ${(result.encryptPeakRss / 1e6).toFixed(0)} MB, read ${(result.decryptPeakRss / 1e6).toFixed(0)} MB`);
  expect(result.encryptPeakRss).toBeLessThan(MEMORY_BOUND);
  expect(result.decryptPeakRss).toBeLessThan(MEMORY_BOUND);
}, 300_000);
