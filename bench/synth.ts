/**
 * Synthesis cost of ManagedKey against its baseline, kms.Key with equivalent grants.
 *
 * Each variant synthesizes KEYS keys with USERS_PER_KEY users each (an encrypt/decrypt, a decrypt
 * and an encrypt role per key) in a fresh child process, so peak memory (maxRSS) is measured
 * separately. ROUNDS rounds alternate the variants; the medians are printed with their ratios.
 * Target: ManagedKey within 1.5x of kms.Key in time and memory.
 *
 *   npx tsx bench/synth.ts [--keys 200] [--rounds 3]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KeyUser, ManagedKey } from '../src';

const TARGET_RATIO = 1.5;
const USERS_PER_KEY = 3;
/** CloudFormation allows 500 resources per stack; 20 keys with their roles and policies stay well below. */
const KEYS_PER_STACK = 20;
const VARIANTS = ['kms.Key', 'ManagedKey'] as const;
type Variant = typeof VARIANTS[number];

interface Measurement {
  readonly variant: Variant;
  readonly milliseconds: number;
  /** Peak resident set size of the child, in bytes. */
  readonly peakRssBytes: number;
  readonly templateBytes: number;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

/** Child process: build and synthesize one variant, print one JSON measurement. */
function measure(variant: Variant, keys: number): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    const started = process.hrtime.bigint();
    const app = new App({ outdir });
    for (let k = 0; k < keys; k++) {
      const stackIndex = Math.floor(k / KEYS_PER_STACK);
      const stack = (app.node.tryFindChild(`Keys${stackIndex}`) as Stack | undefined) ?? new Stack(app, `Keys${stackIndex}`);
      const [both, reader, writer] = Array.from({ length: USERS_PER_KEY }, (_, u) =>
        new iam.Role(stack, `Key${k}User${u}`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      if (variant === 'ManagedKey') {
        new ManagedKey(stack, `Key${k}`, {
          users: [KeyUser.encryptDecrypt(both), KeyUser.decrypt(reader), KeyUser.encrypt(writer)],
        });
      } else {
        const key = new kms.Key(stack, `Key${k}`, { enableKeyRotation: true });
        key.grantEncryptDecrypt(both);
        key.grantDecrypt(reader);
        key.grantEncrypt(writer);
      }
    }
    const assembly = app.synth();
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    const templateBytes = assembly.stacks.reduce((sum, s) => sum + fs.statSync(path.join(outdir, s.templateFile)).size, 0);
    // maxRSS is in kilobytes.
    const result: Measurement = { variant, milliseconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, templateBytes };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function runChild(variant: Variant, keys: number): Measurement {
  const tsx = require.resolve('tsx/cli');
  const child = spawnSync(process.execPath, [tsx, __filename, '--child', variant, '--keys', String(keys)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${variant} child failed (exit ${child.status}, ${child.signal ?? 'no signal'}): ${child.stderr || child.error}`);
  }
  return JSON.parse(line);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const keys = argument('keys', 200);
  const rounds = argument('rounds', 3);
  console.log(`synth: ${keys} keys x ${USERS_PER_KEY} users in stacks of ${KEYS_PER_STACK}, ${rounds} rounds, one child process per measurement`);

  const runs: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so neither variant always runs on a warmer machine.
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const variant of order) runs.push(runChild(variant, keys));
  }

  const summary = Object.fromEntries(VARIANTS.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return [variant, {
      milliseconds: median(mine.map((r) => r.milliseconds)),
      peakRssBytes: median(mine.map((r) => r.peakRssBytes)),
      templateBytes: median(mine.map((r) => r.templateBytes)),
    }];
  })) as Record<Variant, Omit<Measurement, 'variant'>>;

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`${'variant'.padEnd(12)}${'time (ms)'.padStart(12)}${'peak RSS (MB)'.padStart(16)}${'template (KB)'.padStart(16)}`);
  for (const variant of VARIANTS) {
    const s = summary[variant];
    console.log(`${variant.padEnd(12)}${s.milliseconds.toFixed(0).padStart(12)}${mb(s.peakRssBytes).padStart(16)}${(s.templateBytes / 1024).toFixed(1).padStart(16)}`);
  }
  const ratio = (field: keyof Omit<Measurement, 'variant'>) => summary.ManagedKey[field] / summary['kms.Key'][field];
  const [time, memory, template] = [ratio('milliseconds'), ratio('peakRssBytes'), ratio('templateBytes')];
  console.log(`ratio ManagedKey / kms.Key: time ${time.toFixed(2)}x, peak memory ${memory.toFixed(2)}x, template ${template.toFixed(2)}x`);
  const met = time <= TARGET_RATIO && memory <= TARGET_RATIO;
  console.log(`target (ManagedKey within ${TARGET_RATIO}x of kms.Key in time and memory): ${met ? 'MET' : 'NOT MET'}`);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  measure(process.argv[childIndex + 1] as Variant, argument('keys', 200));
} else {
  main();
}
