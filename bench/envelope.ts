/**
 * EnvelopeEncryptedTable: what an encrypted item costs, beside its baselines, all in one process and
 * interleaved window by window (each figure the median of WINDOWS windows; each ratio the median of
 * the per-window ratios, both sides measured in the same round). The sides:
 *
 * - plain DynamoDB: PutItem / GetItem of the same item through the AWS SDK (marshall), no
 *   encryption: the baseline for the whole cost of encrypting;
 * - raw AES-GCM: our table handler sealing the same document (same validation, plaintext bytes,
 *   allocations and DynamoDB calls), encrypted with AES-256-GCM under a key at hand (no KMS, no
 *   message format): the physical limit of sealing items this way;
 * - ESDK defaults: the same handler and document sealed by the AWS Encryption SDK out of the box
 *   (KMS keyring, committing suite WITH ECDSA signing, 4 KiB frames, no data-key cache);
 * - ESDK like us: the same, with the ESDK configured like our codec (our suite and 1 MiB frames, a
 *   caching materials manager with our bounds): the fair peer for our code;
 * - ours (KMS keyring): the table handler with createCodec's defaults, what the function runs;
 * - ESDK like us, per-item context: the ESDK like us, given each item's own context as branch keys
 *   give it (table, key values): the fair peer for branch keys, whose point is that context;
 * - ours (branch keys): the table function's own configuration and codec with branch keys (the
 *   hierarchical keyring; its store on the same dynalite, the table's one branch key for every
 *   item; each message carries its item's context).
 * The three ESDK-based sides use the same KMS key and the message context sealItem gives them.
 * The baselines are in bench/support/envelope-peers.ts.
 *
 * Cases, for the 10-attribute item, a ~64 KiB and a ~350 KiB item (near DynamoDB's 400 KB limit):
 * put of a new item (a key never written before), put of the same item again, get (warm: this
 * process wrote it), get by another process (cold: a fresh codec and handler per get, empty
 * caches; the SDK clients and their connections are shared), and, to show the encryption without
 * DynamoDB, seal of a new item and open of a stored one (sealItem / openItem only).
 * KMS is the local server with KMS_LATENCY_MS added to every call of every side; DynamoDB is
 * dynalite on loopback with no added latency (real DynamoDB round trips are slower, so encryption
 * is a smaller share of a put than here). CPU = user + system time of this process per operation,
 * which includes the local KMS server and dynalite.
 *
 * Then KMS calls per 10,000 puts in one warm process and over CONTAINERS cold processes, and the
 * bundle size and cold require time of each envelope function.
 *
 *   npx projen bundle && npx tsx bench/envelope.ts [--windows 5] [--window-ms 200]
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { KMS } from '@aws-sdk/client-kms';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { buildSync } from 'esbuild';
import { esdkCodec, rawGcmCodec } from './support/envelope-peers';
import { interleave, median, medianRatio, numberFlag, timeWindow, WindowSample } from './support/windows';
import { BUNDLE_OPTIONS } from '../build-tools/bundle-options';
import { readBranchKeyConfig } from '../lambda/envelope/branch-key-config';
import { Codec, createCodec } from '../lambda/envelope/codec';
import { readCodecConfig } from '../lambda/envelope/config';
import { Item, openItem, sealItem } from '../lambda/envelope/item-envelope';
import { logger } from '../lambda/envelope/log';
import { tableCodec } from '../lambda/envelope/table-codec';
import { ENVELOPE_ATTRIBUTE, ItemSchema, TableConfig } from '../lambda/envelope/table-config';
import { itemSize, TableHandler } from '../lambda/envelope/table-handler';
import { AttributeAction } from '../src/envelope/attribute-action';
import { LocalDynamoDb, startDynalite } from '../test/support/dynalite';
import { LocalKmsServer } from '../test/support/kms-server';

const KiB = 1024;
const KMS_LATENCY_MS = Number(process.env.KMS_LATENCY_MS ?? 2);
const WINDOWS = numberFlag('--windows', 5, true);
const WINDOW_MS = numberFlag('--window-ms', 200);
const CONTAINERS = 10;
const PER_10K = 10_000;
/**
 * Puts counted for a side that calls KMS for every message (the default ESDK): its count is linear
 * in the puts, so it is measured over fewer and scaled (10,000 would take most of a minute).
 */
const PUTS_PER_MESSAGE_SIDE = 1_000;
const TARGET_KMS_CALLS_ONE_PROCESS = 10;
const TARGET_BUNDLE_BYTES = 1_000_000;
const ASSETS = path.join(__dirname, '..', 'assets', 'envelope');

const TABLE = 'bench';
const BRANCH_KEY_TABLE = 'branch-keys';

const schema: ItemSchema = {
  tableName: TABLE,
  partitionKey: 'pk',
  sortKey: 'sk',
  actions: new Map([['status', AttributeAction.SIGN_ONLY], ['amount', AttributeAction.SIGN_ONLY], ['gsi', AttributeAction.DO_NOTHING]]),
  defaultAction: AttributeAction.ENCRYPT_AND_SIGN,
};

/** Item sizes: the `notes` attribute (ENCRYPT_AND_SIGN) carries the bulk. */
const SIZES = [
  { label: '10 attributes', notesBytes: 200 },
  { label: '~64 KiB', notesBytes: 64 * KiB },
  { label: '~350 KiB', notesBytes: 350 * KiB },
];

/** pk, sk, 5 ENCRYPT_AND_SIGN (one of them `notes`), 2 SIGN_ONLY, 1 DO_NOTHING. */
function tenAttributeItem(n: number, sk: string, notes: string): Item {
  return {
    pk: `customer-${n % 50}`,
    sk,
    card: '4111-1111-1111-1111',
    name: 'Jane Q. Example',
    email: 'jane@example.com',
    address: { street: 'Main St 1', city: 'Springfield', zip: '12345' },
    notes,
    status: 'PAID',
    amount: 42.5,
    gsi: `g-${n % 7}`,
  };
}

const keyOf = (item: Item): Item => ({ pk: item.pk, sk: item.sk });

/** A side of the comparison, as one process runs it. */
interface Side {
  readonly name: string;
  /** The codec a new process of this side builds (absent: plain DynamoDB, which seals nothing). */
  readonly newCodec?: () => Codec;
  /** This process's codec. */
  readonly codec?: Codec;
  /** How this side's function sees the table (branch keys: each message carries its item's context). */
  readonly schema: ItemSchema;
  /** Puts for the KMS-call count, when fewer than 10,000 (see PUTS_PER_MESSAGE_SIDE). */
  readonly kmsCountPuts?: number;
  put(item: Item): Promise<void>;
  get(key: Item): Promise<Item>;
  /** The same side in another process: empty caches (shared SDK clients). */
  cold(): Side;
}

function plainSide(dynamodb: DynamoDBClient): Side {
  const side: Side = {
    name: 'plain DynamoDB',
    schema,
    async put(item) {
      await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item) }));
    },
    async get(key) {
      const { Item: stored } = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: marshall(key), ConsistentRead: true }));
      if (!stored) throw new Error('plain DynamoDB: item not found');
      return unmarshall(stored);
    },
    cold: () => side,
  };
  return side;
}

function sealedSide(name: string, newCodec: () => Codec, dynamodb: DynamoDBClient, config: TableConfig, kmsCountPuts?: number): Side {
  const codec = newCodec();
  const handler = new TableHandler({ config, codec, dynamodb });
  return {
    name,
    newCodec,
    codec,
    schema: config.schema,
    kmsCountPuts,
    async put(item) {
      const response = await handler.handle({ operation: 'put', item });
      if (!response.ok) throw new Error(`${name}: put failed (${response.error.code}: ${response.error.message})`);
    },
    async get(key) {
      const response = await handler.handle({ operation: 'get', key });
      if (!response.ok || !response.item) throw new Error(`${name}: get failed`);
      return response.item;
    },
    cold: () => sealedSide(name, newCodec, dynamodb, config, kmsCountPuts),
  };
}

interface Setup {
  readonly kms: LocalKmsServer;
  readonly db: LocalDynamoDb;
  readonly dynamodb: DynamoDBClient;
  readonly sides: Side[];
}

async function setUp(kms: LocalKmsServer, db: LocalDynamoDb): Promise<Setup> {
  kms.setLatency(KMS_LATENCY_MS);
  const keyArn = kms.createKey();
  const branchKeyArn = kms.createKey();
  await db.createTable(TABLE, 'pk', 'sk');
  await db.createTable(BRANCH_KEY_TABLE, 'branch-key-id', 'type');
  const dynamodb = db.client();
  const ourKms = kms.client();
  const peerKms = new KMS({ region: kms.region, endpoint: kms.endpoint, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });

  const keyStore = (ddbClient: DynamoDBClient) => new BranchKeyStoreNode({
    logicalKeyStoreName: BRANCH_KEY_TABLE,
    storage: { ddbTableName: BRANCH_KEY_TABLE, ddbClient },
    keyManagement: { kmsClient: ourKms },
    kmsConfiguration: { identifier: branchKeyArn },
  });
  // dynalite has no TransactWriteItems: test/support/dynalite-transactions.ts answers the one createKey call.
  await keyStore(db.client()).createKey({ branchKeyIdentifier: 'table', encryptionContext: { table: 'table' } });
  const branchKeyReads = db.client();

  const config: TableConfig = { access: 'READ_WRITE', codec: readCodecConfig({ ENVELOPE_KEY_ARN: keyArn }), schema };
  const branchKeyConfig: TableConfig = {
    ...config,
    schema: { ...schema, itemContext: {} },
    branchKeys: readBranchKeyConfig({
      ENVELOPE_BRANCH_KEY_TABLE: BRANCH_KEY_TABLE,
      ENVELOPE_BRANCH_KEY_STORE_NAME: BRANCH_KEY_TABLE,
      ENVELOPE_BRANCH_KEY_KMS_ARN: branchKeyArn,
      ENVELOPE_BRANCH_KEY_ID: 'table',
    }),
  };
  const raw = rawGcmCodec(); // one key for every process of this side: it is at hand, nothing to fetch
  const sides = [
    plainSide(dynamodb),
    sealedSide('raw AES-GCM', () => raw, dynamodb, config),
    sealedSide('ESDK defaults', () => esdkCodec(peerKms, keyArn, 'defaults'), dynamodb, config, PUTS_PER_MESSAGE_SIDE),
    sealedSide('ESDK like us', () => esdkCodec(peerKms, keyArn, 'like-us'), dynamodb, config),
    sealedSide('ours (KMS keyring)', () => createCodec({ keyArn, kms: ourKms }), dynamodb, config),
    sealedSide('ESDK like us, per-item context', () => esdkCodec(peerKms, keyArn, 'like-us'), dynamodb, branchKeyConfig, PUTS_PER_MESSAGE_SIDE),
    // The table function's own configuration and codec (lambda/envelope/table-codec.ts), as the construct sets it up.
    sealedSide('ours (branch keys)', () => tableCodec(branchKeyConfig, { kms: ourKms, ddb: branchKeyReads }), dynamodb, branchKeyConfig),
  ];
  return { kms, db, dynamodb, sides };
}

interface Case {
  readonly label: string;
  /** Only the sides that seal (no plain DynamoDB). */
  readonly sealedOnly?: boolean;
  op(side: Side): () => Promise<unknown>;
}

/** Deletes the given items (between windows, untimed), so every window starts from the same table. */
async function deleteItems(dynamodb: DynamoDBClient, keys: Item[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    const batch = keys.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: marshall(key) } }));
    let left: Record<string, typeof batch> | undefined = { [TABLE]: batch };
    while (left && Object.keys(left).length > 0) {
      left = (await dynamodb.send(new BatchWriteItemCommand({ RequestItems: left }))).UnprocessedItems as typeof left;
    }
  }
  keys.length = 0;
}

type Results = Map<string, Map<Side, WindowSample[]>>;
const resultKey = (label: string, size: string) => `${label}|${size}`;

async function measureItems(setup: Setup): Promise<Results> {
  const { sides, dynamodb } = setup;
  const results: Results = new Map();
  for (const size of SIZES) {
    const notes = crypto.randomBytes(Math.ceil((size.notesBytes * 3) / 4)).toString('base64').slice(0, size.notesBytes);
    const written: Item[] = [];
    let counter = 0;
    const newItem = (side: Side) => {
      const n = counter++;
      return tenAttributeItem(n, `s${sides.indexOf(side)}-new-${n}`, notes);
    };
    const sameItem = new Map(sides.map((side, i) => [side, tenAttributeItem(i, `s${i}-same`, notes)]));
    const sealed = new Map<Side, Item>();
    for (const side of sides) {
      await side.put(sameItem.get(side)!);
      if (side.codec) sealed.set(side, await sealItem(side.codec, side.schema, sameItem.get(side)!));
    }
    printStoredSizes(size.label, sides, sameItem, sealed);

    const cases: Case[] = [
      {
        label: 'put, new item',
        op: (side) => async () => {
          const item = newItem(side);
          written.push(keyOf(item));
          await side.put(item);
        },
      },
      { label: 'put, same item again', op: (side) => () => side.put(sameItem.get(side)!) },
      { label: 'get (warm)', op: (side) => () => side.get(keyOf(sameItem.get(side)!)) },
      { label: 'get, other process (cold)', op: (side) => () => side.cold().get(keyOf(sameItem.get(side)!)) },
      { label: 'seal only, new item', sealedOnly: true, op: (side) => () => sealItem(side.codec!, side.schema, newItem(side)) },
      { label: 'open only (warm)', sealedOnly: true, op: (side) => () => openItem(side.codec!, side.schema, sealed.get(side)!) },
    ];
    for (const c of cases) {
      const taking = c.sealedOnly ? sides.filter((side) => side.codec) : sides;
      // Warm-up, untimed: JIT, connections, caches (a quarter window, at least 3 operations).
      for (const side of taking) await timeWindow(c.op(side), WINDOW_MS / 4, 3);
      await deleteItems(dynamodb, written);
      results.set(resultKey(c.label, size.label), await interleave(taking, WINDOWS, async (side) => {
        const sample = await timeWindow(c.op(side), WINDOW_MS);
        await deleteItems(dynamodb, written);
        return sample;
      }));
    }
  }
  return results;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

function printStoredSizes(label: string, sides: Side[], items: Map<Side, Item>, sealed: Map<Side, Item>): void {
  const bytes = sides.map((side) => {
    const stored = sealed.get(side) ?? items.get(side)!;
    const message = stored[ENVELOPE_ATTRIBUTE] as Buffer | undefined;
    return `${side.name} ${itemSize(marshall(stored))}${message ? ` (message ${message.length})` : ''}`;
  });
  console.log(`item ${label}, stored bytes as DynamoDB counts them (limit 409,600): ${bytes.join(', ')}`);
}

function printItems(sides: Side[], results: Results): void {
  const baselines = ['plain DynamoDB', 'raw AES-GCM', 'ESDK defaults', 'ESDK like us', 'ESDK like us, per-item context'];
  console.log(`\nPer item: median of ${WINDOWS} interleaved windows of >= ${WINDOW_MS} ms; spread = (max - min) / median of wall ms/op;`);
  console.log('x peer = wall ratio / CPU ratio: the peer\'s ms per operation over this side\'s, median of per-window ratios');
  console.log('(above 1: this side is faster / uses less CPU; on a busy machine the CPU ratio is the steadier one)');
  console.log(`case | item | side | wall ms/op | ops/s | CPU ms/op | spread | ${baselines.map((b) => `x ${b}`).join(' | ')}`);
  const labels = [...new Set([...results.keys()].map((key) => key.split('|')[0]))];
  for (const label of labels) {
    for (const size of SIZES) {
      const samples = results.get(resultKey(label, size.label))!;
      const wall = (side: Side) => samples.get(side)!.map((s) => s.wallMsPerOp);
      const cpuTime = (side: Side) => samples.get(side)!.map((s) => s.cpuMsPerOp);
      for (const side of sides.filter((s) => samples.has(s))) {
        const ms = wall(side);
        const ratios = baselines.map((name) => {
          const peer = sides.find((s) => s.name === name && samples.has(s));
          return !peer || peer === side ? '-' : `${fmt(medianRatio(wall(peer), ms))}x/${fmt(medianRatio(cpuTime(peer), cpuTime(side)))}x`;
        });
        const cpu = median(samples.get(side)!.map((s) => s.cpuMsPerOp));
        const spread = (Math.max(...ms) - Math.min(...ms)) / median(ms);
        console.log([label, size.label, side.name, fmt(median(ms), 3), fmt(1000 / median(ms), 0), fmt(cpu, 3), `${fmt(100 * spread, 0)}%`, ...ratios].join(' | '));
      }
    }
  }
}

/** KMS calls for `puts` new items sealed by `processes` fresh codecs of a side, each a share. */
async function countKmsCalls(kms: LocalKmsServer, side: Side, puts: number, processes: number): Promise<number> {
  kms.resetCalls();
  for (let p = 0; p < processes; p++) {
    const codec = side.newCodec!();
    for (let i = 0; i < puts / processes; i++) await sealItem(codec, side.schema, tenAttributeItem(i, `p${p}-${i}`, 'x'.repeat(200)));
  }
  return kms.totalCalls;
}

async function kmsCalls(setup: Setup): Promise<void> {
  console.log(`\nKMS calls per ${PER_10K.toLocaleString('en')} puts of new 10-attribute items (sealItem with each side's codec, no DynamoDB writes)`);
  console.log(`side | one warm process | ${CONTAINERS} cold processes, each a tenth of the puts`);
  const perSide = new Map<string, [number, number]>();
  for (const side of setup.sides.filter((s) => s.newCodec)) {
    const puts = side.kmsCountPuts ?? PER_10K;
    const scale = PER_10K / puts;
    const counts = [await countKmsCalls(setup.kms, side, puts, 1), await countKmsCalls(setup.kms, side, puts, CONTAINERS)] as [number, number];
    perSide.set(side.name, counts);
    const shown = counts.map((calls) => (scale === 1 ? String(calls) : `${calls * scale} (${calls} over ${puts.toLocaleString('en')} puts, x${scale}: one call per message)`));
    console.log(`${side.name} | ${shown.join(' | ')}`);
  }
  const [ours] = perSide.get('ours (KMS keyring)')!;
  const [, branch] = perSide.get('ours (branch keys)')!;
  console.log(`targets: ours (KMS keyring) in one process ${ours} <= ${TARGET_KMS_CALLS_ONE_PROCESS}: ${ours <= TARGET_KMS_CALLS_ONE_PROCESS ? 'met' : 'MISSED'}; `
    + `branch keys ${fmt(branch / CONTAINERS, 1)} per process per branch key per cache period <= 1: ${branch <= CONTAINERS ? 'met' : 'MISSED'}`);
}

/** Milliseconds to require a module in a fresh Node process (median of 5); NaN if it throws. */
function coldRequireMs(modulePath: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(modulePath)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const runs = Array.from({ length: 5 }, () => {
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    return result.status === 0 ? Number(result.stdout.trim()) : NaN;
  });
  return runs.sort((a, b) => a - b)[2];
}

/** The bundle size if esbuild preferred packages' CommonJS builds (esbuild's default for Node.js). */
function commonJsFirstBytes(name: string): number {
  const entry = path.join(__dirname, '..', 'lambda', 'envelope', `${name}.entry.ts`);
  const result = buildSync({ ...BUNDLE_OPTIONS, entryPoints: [entry], write: false, mainFields: ['main', 'module'] });
  return result.outputFiles[0].contents.length;
}

function bundles(): void {
  if (!fs.existsSync(ASSETS)) throw new Error(`${ASSETS} is missing: run \`npx projen bundle\` first`);
  const baseline = coldRequireMs(require.resolve('@aws-sdk/client-kms'));
  console.log('\nEnvelope function bundles (minified, everything bundled)');
  console.log(`  baseline: cold require of the bare @aws-sdk/client-kms package ${fmt(baseline, 0)} ms; size target < ${TARGET_BUNDLE_BYTES.toLocaleString('en')} bytes`);
  console.log('  function          bytes   target   CommonJS-first   cold require (ms)   vs client-kms');
  for (const name of fs.readdirSync(ASSETS).sort()) {
    const file = path.join(ASSETS, name, 'index.js');
    const bytes = fs.statSync(file).size;
    const commonJs = commonJsFirstBytes(name);
    const ms = coldRequireMs(file);
    const cold = Number.isNaN(ms) ? 'n/a (needs the Lambda runtime)' : `${fmt(ms, 0).padStart(17)}   ${fmt(ms / baseline)}x`;
    console.log(`  ${name.padEnd(14)} ${String(bytes).padStart(8)}   ${bytes < TARGET_BUNDLE_BYTES ? 'met   ' : 'MISSED'}   ${String(commonJs).padStart(14)}   ${cold}`);
  }
  console.log('  (CommonJS-first: the same bundle built from packages\' CommonJS builds, which build-tools/bundle-options.ts avoids)');
}

async function main(): Promise<void> {
  logger.setLogLevel('SILENT');
  const [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  try {
    const setup = await setUp(kms, db);
    console.log(`KMS: local server, ${KMS_LATENCY_MS} ms added latency on every call of every side; DynamoDB: dynalite on loopback; Node ${process.version}\n`);
    const results = await section('per item', () => measureItems(setup));
    printItems(setup.sides, results);
    await section('KMS calls', () => kmsCalls(setup));
  } finally {
    await Promise.all([kms.stop(), db.stop()]);
  }
  await section('bundles', bundles);
  console.log(`\nsections (wall s): ${[...sectionSeconds].map(([name, seconds]) => `${name} ${fmt(seconds, 0)}`).join(', ')}`);
}

const sectionSeconds = new Map<string, number>();

/** Runs a part of the bench and notes its wall time (to keep the whole bench within a few minutes). */
async function section<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    sectionSeconds.set(name, (performance.now() - started) / 1000);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
