/**
 * `diff` of two generated cloud assemblies of 1,000 keys each (100 stacks x 10 keys, the shape of
 * bench/explain.ts); HEAD changes one key in ten the way a pull request might (a new reader, an
 * encryption-context condition dropped, rotation off). Prints wall and CPU time and keys per second
 * of each step, interleaved round by round, as ratios to two figures of the same run: loading both
 * assemblies (the floor every command over them pays) and `explain` of both (the same evaluation,
 * which diff runs once per side).
 *
 *   npx tsx bench/diff.ts [--stacks 100] [--keys-per-stack 10]
 */
import * as path from 'path';
import { runDiff } from '../cli/diff';
import { runExplain } from '../cli/explain';
import { loadInputs } from '../cli/load';
import { writeAssembly } from './support/key-assembly';

const BASE = path.join(__dirname, 'out', 'diff-base');
const HEAD = path.join(__dirname, 'out', 'diff-head');
const ROUNDS = 5;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

async function timed(run: () => Promise<unknown> | unknown): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const stacks = argument('stacks', 100);
  const keysPerStack = argument('keys-per-stack', 10);
  const keys = stacks * keysPerStack;
  writeAssembly(BASE, stacks, keysPerStack);
  writeAssembly(HEAD, stacks, keysPerStack, (_s, k) => k === 0);
  let report = '';
  const sink = { stdout: (s: string) => { report = s; }, stderr: (s: string) => process.stderr.write(s) };
  const steps: Record<string, () => Promise<unknown>> = {
    'load BASE and HEAD (floor)': async () => { loadInputs([BASE]); loadInputs([HEAD]); },
    'explain BASE and HEAD (json)': async () => {
      for (const side of [BASE, HEAD]) if ((await runExplain([side, '--format', 'json'], sink)) !== 0) throw new Error('explain failed');
    },
    'diff BASE HEAD --format json': () => runDiff([BASE, HEAD, '--format', 'json'], sink),
    'diff BASE HEAD --format markdown': () => runDiff([BASE, HEAD, '--format', 'markdown'], sink),
  };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(steps).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, step] of Object.entries(steps)) samples[name].push(await timed(step));
  }
  const json = JSON.parse((await (async () => { await runDiff([BASE, HEAD, '--format', 'json'], sink); return report; })()));
  const floor = median(samples['load BASE and HEAD (floor)'].map((s) => s.wall));
  const explain = median(samples['explain BASE and HEAD (json)'].map((s) => s.wall));
  console.log(`diff: ${keys} keys per side in ${stacks} stacks, ${json.summary.keysChanged} keys changed (${json.summary.moreAccess} more-access changes), median of ${ROUNDS} interleaved rounds`);
  for (const [name, list] of Object.entries(samples)) {
    const wall = median(list.map((s) => s.wall));
    const cpu = median(list.map((s) => s.cpu));
    const perSecond = Math.round((2 * keys / wall) * 1000);
    console.log(`  ${name.padEnd(34)} ${wall.toFixed(0).padStart(6)} ms wall ${cpu.toFixed(0).padStart(6)} ms CPU  ${String(perSecond).padStart(6)} keys/s  ` +
      `${(wall / floor).toFixed(1).padStart(5)}x load  ${(wall / explain).toFixed(2)}x explain`);
  }
  console.log(`  peak memory (maxRSS) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
