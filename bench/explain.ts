/**
 * `explain` over a generated cloud assembly of 1,000 keys (100 stacks x 10 keys, each key with the
 * ManagedKey IAM_DELEGATED shape: account root, an administrator, two conditional users, the
 * CreateGrant guard, plus roles with IAM policies on the key). Prints time, peak memory and keys
 * per second, and the ratio to a baseline measured in the same run: loading (parsing) the same
 * cloud assembly, which every command over it pays anyway.
 *
 *   npx tsx bench/explain.ts [--stacks 100] [--keys-per-stack 10]
 */
import * as path from 'path';
import { runExplain } from '../cli/explain';
import { loadInputs } from '../cli/load';
import { writeAssembly } from './support/key-assembly';

const OUT = path.join(__dirname, 'out', 'explain-assembly');
const ROUNDS = 3;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const stacks = argument('stacks', 100);
  const keysPerStack = argument('keys-per-stack', 10);
  const keys = stacks * keysPerStack;
  writeAssembly(OUT, stacks, keysPerStack);
  const sink = { stdout: (s: string) => void s.length, stderr: (s: string) => process.stderr.write(s) };
  const load: number[] = [];
  const explain: Record<string, number[]> = { markdown: [], html: [], json: [] };
  for (let round = 0; round < ROUNDS; round++) {
    load.push(await timed(() => loadInputs([OUT])));
    for (const format of Object.keys(explain)) {
      explain[format].push(await timed(async () => {
        const code = await runExplain([OUT, '--format', format], sink);
        if (code !== 0) throw new Error(`explain --format ${format} exited ${code}`);
      }));
    }
  }
  const baseline = median(load);
  console.log(`explain: ${keys} keys in ${stacks} stacks, median of ${ROUNDS} rounds`);
  console.log(`  baseline  load the cloud assembly   ${baseline.toFixed(0).padStart(7)} ms`);
  for (const [format, times] of Object.entries(explain)) {
    const ms = median(times);
    const perSecond = Math.round((keys / ms) * 1000);
    console.log(`  explain   --format ${format.padEnd(9)}          ${ms.toFixed(0).padStart(7)} ms  ${String(perSecond).padStart(6)} keys/s  ${(ms / baseline).toFixed(1)}x baseline`);
  }
  console.log(`  peak memory (maxRSS)                 ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(7)} MB`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
