/**
 * EnvelopeEncryptedTable figures, each beside its baseline measured in the same run:
 *
 * - per-item put and get of a 10-attribute item through the table handler (seal/open + DynamoDB on
 *   dynalite), beside plain PutItem/GetItem of the same item without encryption;
 * - KMS calls per 10,000 puts with the default data-key cache, beside the same with the cache off
 *   (target with the default cache: <= 10);
 * - bundle size and cold require time of each envelope function, beside the 1 MB target and the
 *   cold require of the bare KMS SDK client.
 *
 * Object throughput of the codec (1 KiB to 16 MiB, against raw AES-256-GCM and the default ESDK)
 * is in bench/envelope-objects.ts. KMS is the local JSON-protocol server on loopback.
 *
 *   npx projen bundle && npx tsx bench/envelope.ts
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { buildSync } from 'esbuild';
import { BUNDLE_OPTIONS } from '../build-tools/bundle-options';
import { createCodec } from '../lambda/envelope/codec';
import { readCodecConfig } from '../lambda/envelope/config';
import { sealItem } from '../lambda/envelope/item-envelope';
import { logger } from '../lambda/envelope/log';
import { ItemSchema, TableConfig } from '../lambda/envelope/table-config';
import { TableHandler } from '../lambda/envelope/table-handler';
import { AttributeAction } from '../src/envelope/attribute-action';
import { startDynalite } from '../test/support/dynalite';
import { LocalKmsServer } from '../test/support/kms-server';

const ITEMS = 400;
const PUTS_FOR_KMS_COUNT = 10_000;
const TARGET_KMS_CALLS = 10;
const TARGET_BUNDLE_BYTES = 1_000_000;
const ASSETS = path.join(__dirname, '..', 'assets', 'envelope');

const schema: ItemSchema = {
  tableName: 'bench',
  partitionKey: 'pk',
  sortKey: 'sk',
  actions: new Map([['status', AttributeAction.SIGN_ONLY], ['amount', AttributeAction.SIGN_ONLY], ['gsi', AttributeAction.DO_NOTHING]]),
  defaultAction: AttributeAction.ENCRYPT_AND_SIGN,
};

/** pk, sk, 5 ENCRYPT_AND_SIGN, 2 SIGN_ONLY, 1 DO_NOTHING. */
function tenAttributeItem(i: number): Record<string, unknown> {
  return {
    pk: `customer-${i % 50}`,
    sk: `order-${i}`,
    card: '4111-1111-1111-1111',
    name: 'Jane Q. Example',
    email: 'jane@example.com',
    address: { street: 'Main St 1', city: 'Springfield', zip: '12345' },
    notes: 'x'.repeat(200),
    status: 'PAID',
    amount: 42.5,
    gsi: `g-${i % 7}`,
  };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function perItem(kms: LocalKmsServer, keyArn: string): Promise<void> {
  const db = await startDynalite();
  try {
    await db.createTable('bench', 'pk', 'sk');
    const raw = db.client();
    const config: TableConfig = { access: 'READ_WRITE', codec: readCodecConfig({ ENVELOPE_KEY_ARN: keyArn }), schema };
    const handler = new TableHandler({ config, codec: createCodec({ keyArn, kms: kms.client() }), dynamodb: raw });
    const items = Array.from({ length: ITEMS }, (_, i) => tenAttributeItem(i));

    const time = async (op: (item: Record<string, unknown>) => Promise<unknown>) => {
      await op(items[0]); // warm-up: connections, data key
      const started = performance.now();
      for (const item of items) await op(item);
      return (performance.now() - started) / items.length;
    };
    const key = (item: Record<string, unknown>) => ({ pk: item.pk, sk: item.sk });
    const plainPut = await time((item) => raw.send(new PutItemCommand({ TableName: 'bench', Item: marshall({ ...item, sk: `plain-${item.sk}` }) })));
    const plainGet = await time(async (item) => unmarshall((await raw.send(new GetItemCommand({ TableName: 'bench', Key: marshall({ pk: item.pk, sk: `plain-${item.sk}` }), ConsistentRead: true }))).Item!));
    const put = await time(async (item) => {
      const response = await handler.handle({ operation: 'put', item });
      if (!response.ok) throw new Error(response.error.code);
    });
    const get = await time(async (item) => {
      const response = await handler.handle({ operation: 'get', key: key(item) });
      if (!response.ok || !response.item) throw new Error('get failed');
    });
    console.log(`\nPer item, 10 attributes (${ITEMS} sequential requests, dynalite on loopback)`);
    console.log('  operation   encrypted (ms)   plain DynamoDB (ms)   overhead (ms)   ratio');
    for (const [name, ours, base] of [['put', put, plainPut], ['get', get, plainGet]] as const) {
      console.log(`  ${name.padEnd(10)}  ${fmt(ours).padStart(14)}   ${fmt(base).padStart(19)}   ${fmt(ours - base).padStart(13)}   ${fmt(ours / base)}x`);
    }
  } finally {
    await db.stop();
  }
}

async function kmsCalls(kms: LocalKmsServer, keyArn: string): Promise<void> {
  const count = async (cache: boolean) => {
    const codec = createCodec({ keyArn, kms: kms.client(), cache: cache ? undefined : false });
    kms.resetCalls();
    const started = performance.now();
    for (let i = 0; i < PUTS_FOR_KMS_COUNT; i++) await sealItem(codec, schema, tenAttributeItem(i));
    return { calls: kms.totalCalls, seconds: (performance.now() - started) / 1000 };
  };
  const cached = await count(true);
  const uncached = await count(false);
  console.log(`\nKMS calls per ${PUTS_FOR_KMS_COUNT.toLocaleString('en')} puts (items sealed by the codec)`);
  console.log(`  default cache: ${cached.calls} calls (${fmt(cached.seconds, 1)} s)   target <= ${TARGET_KMS_CALLS}: ${cached.calls <= TARGET_KMS_CALLS ? 'met' : 'MISSED'}`);
  console.log(`  cache off:     ${uncached.calls} calls (${fmt(uncached.seconds, 1)} s)   ${fmt(uncached.calls / Math.max(1, cached.calls), 0)}x more`);
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
  const kms = await LocalKmsServer.start();
  try {
    const keyArn = kms.createKey();
    await perItem(kms, keyArn);
    await kmsCalls(kms, keyArn);
    bundles();
  } finally {
    await kms.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
