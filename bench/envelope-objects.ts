/**
 * Object encryption through the envelope codec, as the bucket handlers use it, beside its baselines,
 * all in one process, interleaved window by window (median of WINDOWS windows per figure):
 *
 * - raw AES-256-GCM, streamed in the codec's frame size (a cipher per 1 MiB frame, output kept as
 *   chunks): the physical limit done the same way, no KMS, no message format;
 * - the AWS Encryption SDK at its defaults (committing suite WITH ECDSA signing, 4 KiB frames, no
 *   data-key cache): what a user gets out of the box;
 * - the ESDK configured like us (committing suite without signing, 1 MiB frames, the same caching
 *   materials manager and bounds): the fair peer for our code;
 * - ours with the KMS keyring (a data-key cache keyed by the context, so a new object is a miss);
 * - ours with branch keys (the hierarchical keyring: a data key per message derived from a cached
 *   branch key, so a new object costs no KMS call).
 *
 * Cases: a new object (every message its own object key: the bucket's context), a repeated object
 * (the same context again: cache hit), and a decrypt by another process (cold: a fresh codec per
 * message). Every KMS call of every side goes to the local KMS server with KMS_LATENCY_MS added.
 * CPU time (this process: includes the local KMS and DynamoDB servers) is printed beside wall time.
 * Then KMS calls per 10,000 new objects spread over CONTAINERS cold processes.
 *
 *   npx tsx bench/envelope-objects.ts [--windows 5] [--window-ms 250]
 */
import * as crypto from 'crypto';
import {
  BranchKeyStoreNode,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  KmsKeyringNode,
  NodeAlgorithmSuite,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import { Codec, createCodec, DEFAULT_CACHE, DEFAULT_FRAME_LENGTH, DEFAULT_SUITE, EncryptionContext } from '../lambda/envelope/codec';
import { objectContext } from '../lambda/envelope/object-location';
import { LocalDynamoDb, startDynalite } from '../test/support/dynalite';
import { emulateTransactWrites } from '../test/support/dynalite-transactions';
import { LocalKmsServer } from '../test/support/kms-server';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [KiB, 64 * KiB, MiB, 16 * MiB];
const KMS_LATENCY_MS = Number(process.env.KMS_LATENCY_MS ?? 2);
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const WINDOWS = arg('--windows', 5);
const WINDOW_MS = arg('--window-ms', 250);
const CONTAINERS = 10;
/** New objects in the KMS-call count (each KMS call waits KMS_LATENCY_MS: 10,000 would take minutes). */
const PUTS = 2000;
const BUCKET = 'bench-bucket';

interface Sample { bytesPerSecond: number; opsPerSecond: number; cpuMsPerOp: number }
type Op = () => Promise<unknown>;

/** One window: ops for at least WINDOW_MS (and at least 2), wall and CPU time measured. */
async function window(op: Op, bytes: number): Promise<Sample> {
  let runs = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  while (runs < 2 || performance.now() - started < WINDOW_MS) {
    await op();
    runs++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { bytesPerSecond: (bytes * runs) / seconds, opsPerSecond: runs / seconds, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / runs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Raw AES-256-GCM per frame, as the ESDK frames a message (a fresh IV and tag per frame). */
function rawFramedGcm(frameLength: number) {
  const key = crypto.randomBytes(32);
  const encrypt = (plaintext: Buffer) => {
    const frames: Array<{ iv: Buffer; data: Buffer; tag: Buffer }> = [];
    for (let offset = 0; offset < plaintext.length || offset === 0; offset += frameLength) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = cipher.update(plaintext.subarray(offset, offset + frameLength));
      cipher.final();
      frames.push({ iv, data, tag: cipher.getAuthTag() });
      if (plaintext.length === 0) break;
    }
    return frames;
  };
  const decrypt = (frames: ReturnType<typeof encrypt>) => frames.map(({ iv, data, tag }) => {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    const out = decipher.update(data);
    decipher.final();
    return out;
  });
  return { encrypt, decrypt };
}

/** A side of the comparison: how it encrypts and decrypts, and a fresh instance (a cold process). */
interface Contender {
  readonly name: string;
  encrypt(plaintext: Buffer, context: EncryptionContext): Promise<unknown>;
  decrypt(message: unknown, context: EncryptionContext): Promise<unknown>;
  /** The same contender in a new process: empty caches. */
  cold(): Contender;
}

function codecContender(name: string, make: () => Codec): Contender {
  const codec = make();
  return {
    name,
    encrypt: (p, c) => codec.encrypt(p, c),
    decrypt: (m, c) => codec.decrypt(m as Buffer, c),
    cold: () => codecContender(name, make),
  };
}

function esdkContender(name: string, kms: KMS, keyArn: string, likeUs: boolean): Contender {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms });
  const materials = likeUs
    ? new NodeCachingMaterialsManager({
      backingMaterials: keyring,
      cache: getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>(DEFAULT_CACHE.capacity),
      maxAge: DEFAULT_CACHE.maxAgeSeconds * 1000,
      maxMessagesEncrypted: DEFAULT_CACHE.maxMessages,
      maxBytesEncrypted: DEFAULT_CACHE.maxBytes,
    })
    : keyring;
  const options = likeUs ? { suiteId: DEFAULT_SUITE, frameLength: DEFAULT_FRAME_LENGTH } : {};
  return {
    name,
    encrypt: async (p, c) => (await client.encrypt(materials, p, { ...options, encryptionContext: c })).result,
    decrypt: (m) => client.decrypt(materials, m as Buffer),
    cold: () => esdkContender(name, kms, keyArn, likeUs),
  };
}

function rawContender(): Contender {
  const raw = rawFramedGcm(DEFAULT_FRAME_LENGTH);
  const contender: Contender = {
    name: 'raw AES-GCM',
    encrypt: async (p) => raw.encrypt(p),
    decrypt: async (m) => raw.decrypt(m as ReturnType<typeof raw.encrypt>),
    cold: () => contender, // the key is at hand: nothing to fetch
  };
  return contender;
}

async function main(): Promise<void> {
  const [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  try {
    await run(kms, db);
  } finally {
    await Promise.all([kms.stop(), db.stop()]);
  }
}

async function run(kms: LocalKmsServer, db: LocalDynamoDb): Promise<void> {
  kms.setLatency(KMS_LATENCY_MS);
  const keyArn = kms.createKey();
  const branchKeyArn = kms.createKey();
  await db.createTable('branch-keys', 'branch-key-id', 'type');
  const keyStore = () => new BranchKeyStoreNode({
    logicalKeyStoreName: 'branch-keys',
    storage: { ddbTableName: 'branch-keys', ddbClient: emulateTransactWrites(db.client()) },
    keyManagement: { kmsClient: kms.client() },
    kmsConfiguration: { identifier: branchKeyArn },
  });
  const { branchKeyIdentifier } = await keyStore().createKey({ branchKeyIdentifier: 'bucket', encryptionContext: { bucket: BUCKET } });
  const peerKms = new KMS({ region: kms.region, endpoint: kms.endpoint, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });

  const contenders: Contender[] = [
    rawContender(),
    esdkContender('ESDK defaults', peerKms, keyArn, false),
    esdkContender('ESDK like us', peerKms, keyArn, true),
    codecContender('ours (KMS keyring)', () => createCodec({ keyArn, kms: kms.client() })),
    codecContender('ours (branch keys)', () => createCodec({
      keyArn: branchKeyArn,
      kms: kms.client(),
      branchKeys: { keyStore: keyStore(), cacheTtlSeconds: 300, branchKeyIdFor: () => branchKeyIdentifier },
    })),
  ];

  console.log(`KMS: local server, ${KMS_LATENCY_MS} ms added latency on every call of every side; Node ${process.version}`);
  console.log(`median of ${WINDOWS} interleaved windows of >= ${WINDOW_MS} ms; CPU = this process (with the local servers)\n`);
  let objectNumber = 0;
  const results = new Map<string, Sample[]>();
  for (const size of SIZES) {
    const plaintext = crypto.randomBytes(size);
    const same = objectContext(BUCKET, 'protected/same.bin');
    const messages = new Map<Contender, unknown>();
    for (const c of contenders) messages.set(c, await c.encrypt(plaintext, same));
    const cases: Array<[string, (c: Contender) => Op]> = [
      ['encrypt, new object', (c) => () => c.encrypt(plaintext, objectContext(BUCKET, `protected/${objectNumber++}.bin`))],
      ['encrypt, repeated object', (c) => () => c.encrypt(plaintext, same)],
      ['decrypt, repeated object', (c) => () => c.decrypt(messages.get(c), same)],
      ['decrypt, other process (cold)', (c) => () => c.cold().decrypt(messages.get(c), same)],
    ];
    for (const [label, opOf] of cases) {
      for (const c of contenders) await opOf(c)(); // warm-up
      for (let w = 0; w < WINDOWS; w++) {
        const order = w % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          const key = `${label}|${size}|${c.name}`;
          results.set(key, [...(results.get(key) ?? []), await window(opOf(c), size)]);
        }
      }
    }
  }

  const sizeLabel = (size: number) => (size >= MiB ? `${size / MiB} MiB` : `${size / KiB} KiB`);
  const figure = (label: string, size: number, name: string) => {
    const samples = results.get(`${label}|${size}|${name}`)!;
    return {
      bytesPerSecond: median(samples.map((s) => s.bytesPerSecond)),
      opsPerSecond: median(samples.map((s) => s.opsPerSecond)),
      cpuMsPerOp: median(samples.map((s) => s.cpuMsPerOp)),
    };
  };
  const ours = ['ours (KMS keyring)', 'ours (branch keys)'];
  console.log('case | size | side | ops/s (wall) | MB/s (wall) | CPU ms/op | ratio to raw | to ESDK defaults | to ESDK like us');
  for (const label of ['encrypt, new object', 'encrypt, repeated object', 'decrypt, repeated object', 'decrypt, other process (cold)']) {
    for (const size of SIZES) {
      const raw = figure(label, size, 'raw AES-GCM');
      const defaults = figure(label, size, 'ESDK defaults');
      const likeUs = figure(label, size, 'ESDK like us');
      for (const c of contenders) {
        const f = figure(label, size, c.name);
        const ratios = ours.includes(c.name)
          ? [f.bytesPerSecond / raw.bytesPerSecond, f.bytesPerSecond / defaults.bytesPerSecond, f.bytesPerSecond / likeUs.bytesPerSecond].map((r) => `${r.toFixed(2)}x`)
          : ['', '', ''];
        console.log([label, sizeLabel(size), c.name, f.opsPerSecond.toFixed(0), (f.bytesPerSecond / 1e6).toFixed(1), f.cpuMsPerOp.toFixed(2), ...ratios].join(' | '));
      }
    }
  }

  // KMS calls for new objects spread over CONTAINERS cold processes (each writes its share).
  console.log(`\nKMS calls for ${PUTS} new 1 KiB objects over ${CONTAINERS} cold processes (x${10_000 / PUTS} = per 10,000):`);
  const small = crypto.randomBytes(KiB);
  for (const c of contenders.slice(1)) {
    kms.resetCalls();
    for (let p = 0; p < CONTAINERS; p++) {
      const process_ = c.cold();
      for (let i = 0; i < PUTS / CONTAINERS; i++) await process_.encrypt(small, objectContext(BUCKET, `protected/k${p}-${i}.bin`));
    }
    console.log(`  ${c.name}: ${kms.totalCalls} (${(kms.totalCalls * 10_000) / PUTS} per 10,000)`);
  }

  console.log('\ntargets (issue 15), new objects 1-64 KiB and 16 MiB:');
  for (const size of [KiB, 64 * KiB]) {
    const branch = figure('encrypt, new object', size, 'ours (branch keys)').bytesPerSecond;
    const toDefaults = branch / figure('encrypt, new object', size, 'ESDK defaults').bytesPerSecond;
    const toLikeUs = branch / figure('encrypt, new object', size, 'ESDK like us').bytesPerSecond;
    console.log(`  ${sizeLabel(size)} new objects, branch keys: ${toDefaults.toFixed(1)}x the default ESDK (target >= 5x: ${toDefaults >= 5 ? 'met' : 'MISSED'}), `
      + `${toLikeUs.toFixed(1)}x the ESDK like us (target >= 2x: ${toLikeUs >= 2 ? 'met' : 'MISSED'})`);
  }
  for (const name of ours) {
    const share = figure('encrypt, repeated object', 16 * MiB, name).bytesPerSecond / figure('encrypt, repeated object', 16 * MiB, 'raw AES-GCM').bytesPerSecond;
    console.log(`  16 MiB encrypt, ${name}: ${(100 * share).toFixed(0)}% of streamed raw AES-256-GCM (target >= 75%: ${share >= 0.75 ? 'met' : 'MISSED'})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
