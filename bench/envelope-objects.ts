/**
 * Object encryption and decryption throughput of the envelope codec (as the bucket handlers use
 * it) at 1 KiB, 64 KiB, 1 MiB and 16 MiB, beside two baselines measured in the same run:
 *
 * - raw Node AES-256-GCM (one cipher call over the buffer, no KMS, no message format): the limit;
 * - the AWS Encryption SDK with its default settings (signing suite, 4 KiB frames, no data-key
 *   cache, a KMS call per message): the peer.
 *
 * "ours, same object" rewrites one object key (the data-key cache answers); "ours, new objects"
 * gives every message its own object key, as the bucket does, so each one costs a KMS call.
 * KMS is the local JSON-protocol server on loopback with KMS_LATENCY_MS of added latency.
 * Targets (issue 5): >= 50% of raw AES-256-GCM at 16 MiB; >= 5x the default ESDK at every size.
 *
 *   npx tsx bench/envelope-objects.ts
 */
import * as crypto from 'crypto';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import { createCodec } from '../lambda/envelope/codec';
import { objectContext } from '../lambda/envelope/object-location';
import { LocalKmsServer } from '../test/support/kms-server';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [KiB, 64 * KiB, MiB, 16 * MiB];
/** A network round trip to KMS within a Region is a few milliseconds; loopback is ~0. */
const KMS_LATENCY_MS = Number(process.env.KMS_LATENCY_MS ?? 2);
/** Each figure runs for at least this long (and at least MIN_RUNS times). */
const MIN_MS = 600;
const MIN_RUNS = 3;

type Op = (plaintext: Buffer) => Promise<unknown>;

/** Bytes of plaintext processed per second by `op`, after one warm-up call. */
async function throughput(op: Op, plaintext: Buffer): Promise<number> {
  await op(plaintext);
  let runs = 0;
  const started = performance.now();
  while (runs < MIN_RUNS || performance.now() - started < MIN_MS) {
    await op(plaintext);
    runs++;
  }
  return (plaintext.length * runs) / ((performance.now() - started) / 1000);
}

function rawAesGcm(): { encrypt: Op; decrypt: (ciphertext: { iv: Buffer; data: Buffer; tag: Buffer }) => Promise<Buffer> } {
  const key = crypto.randomBytes(32);
  return {
    encrypt: async (plaintext) => {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { iv, data, tag: cipher.getAuthTag() };
    },
    decrypt: async ({ iv, data, tag }) => {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]);
    },
  };
}

const mbps = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(1).padStart(8)} MB/s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2).padStart(6)}x`;

async function main(): Promise<void> {
  const kms = await LocalKmsServer.start();
  try {
    await run(kms);
  } finally {
    await kms.stop();
  }
}

async function run(kms: LocalKmsServer): Promise<void> {
  kms.setLatency(KMS_LATENCY_MS);
  const keyArn = kms.createKey();
  const codec = createCodec({ keyArn, kms: kms.client() });
  const peer = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  // The ESDK's own KMS keyring takes the aggregated SDK client.
  const peerKms = new KMS({ region: kms.region, endpoint: kms.endpoint, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
  const peerKeyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => peerKms });
  const raw = rawAesGcm();
  const bucket = 'bench-bucket';
  let objectNumber = 0;

  console.log(`KMS: local server, ${KMS_LATENCY_MS} ms added latency; Node ${process.version}`);
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const size of SIZES) {
    const plaintext = crypto.randomBytes(size);
    const sameContext = objectContext(bucket, 'protected/same.bin');
    const label = size >= MiB ? `${size / MiB} MiB` : `${size / KiB} KiB`;

    const rawSealed = await raw.encrypt(plaintext) as { iv: Buffer; data: Buffer; tag: Buffer };
    const oursSame = await codec.encrypt(plaintext, sameContext);
    const peerContext = objectContext(bucket, 'protected/peer.bin');
    const peerSealed = (await peer.encrypt(peerKeyring, plaintext, { encryptionContext: peerContext })).result;

    const enc = {
      raw: await throughput(raw.encrypt, plaintext),
      same: await throughput((p) => codec.encrypt(p, sameContext), plaintext),
      fresh: await throughput((p) => codec.encrypt(p, objectContext(bucket, `protected/${objectNumber++}.bin`)), plaintext),
      peer: await throughput((p) => peer.encrypt(peerKeyring, p, { encryptionContext: peerContext }), plaintext),
    };
    const dec = {
      raw: await throughput(() => raw.decrypt(rawSealed), plaintext),
      same: await throughput(() => codec.decrypt(oursSame, sameContext), plaintext),
      peer: await throughput(() => peer.decrypt(peerKeyring, peerSealed), plaintext),
    };
    rows.push([`encrypt ${label}`, mbps(enc.raw), mbps(enc.same), mbps(enc.fresh), mbps(enc.peer), ratio(enc.same, enc.raw), ratio(enc.fresh, enc.peer)]);
    rows.push([`decrypt ${label}`, mbps(dec.raw), mbps(dec.same), '', mbps(dec.peer), ratio(dec.same, dec.raw), ratio(dec.same, dec.peer)]);

    const peerTarget = (name: string, ours: number, theirs: number) =>
      verdicts.push(`${ours / theirs >= 5 ? 'MET ' : 'MISS'} ${name} ${label}: ${(ours / theirs).toFixed(1)}x the default ESDK (target >= 5x)`);
    peerTarget('encrypt (new objects)', enc.fresh, enc.peer);
    peerTarget('decrypt', dec.same, dec.peer);
    if (size === 16 * MiB) {
      for (const [name, ours, limit] of [['encrypt', enc.same, enc.raw], ['decrypt', dec.same, dec.raw]] as const) {
        verdicts.push(`${ours / limit >= 0.5 ? 'MET ' : 'MISS'} ${name} 16 MiB: ${(100 * ours / limit).toFixed(0)}% of raw AES-256-GCM (target >= 50%)`);
      }
    }
  }

  const header = ['', 'raw AES-GCM', 'ours, same object', 'ours, new objects', 'default ESDK', 'ours/raw', 'ours/ESDK'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  rows.forEach((r) => console.log(line(r)));
  console.log('');
  verdicts.forEach((v) => console.log(v));
  console.log(`KMS calls during the run: ${JSON.stringify(kms.calls)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
