/**
 * `explain` over generated cloud assemblies of 1k, 5k and 20k keys (20 stacks, so each template
 * grows with the size; each key with the ManagedKey IAM_DELEGATED shape: account root, an
 * administrator, two conditional users, the CreateGrant guard, plus roles with IAM policies on the
 * key). Prints, at each size, wall and CPU time and keys per second (linear work keeps the rate;
 * quadratic work shows as a rate falling with the size) and the ratio to a baseline measured in the
 * same run: loading (parsing) the same cloud assembly, which every command over it pays anyway.
 * Markdown runs at every size; html and json at the smallest.
 *
 *   npx tsx bench/explain.ts [--sizes 1000,5000,20000] [--rounds 3]
 */
import * as fs from 'fs';
import * as path from 'path';
import { runExplain } from '../cli/explain';
import { loadInputs } from '../cli/load';
import { keyResources } from './support/key-assembly';
import { roundsArgument, runScaling, sizesArgument, STACKS, writeAssembly as writeScalingAssembly } from './support/scaling';

const OUT = path.join(__dirname, 'out', 'explain-assembly');
const ROUNDS = 2;

function writeAssembly(dir: string, keysPerStack: number): void {
  const resources = {};
  for (let k = 0; k < keysPerStack; k++) Object.assign(resources, keyResources(k));
  writeScalingAssembly(dir, { Resources: resources }, STACKS);
}

async function explain(dir: string, format: string): Promise<void> {
  const sink = { stdout: (s: string) => void s.length, stderr: (s: string) => process.stderr.write(s) };
  const code = await runExplain([dir, '--format', format], sink);
  if (code !== 0) throw new Error(`explain --format ${format} exited ${code}`);
}

async function main(): Promise<void> {
  const sizes = sizesArgument();
  const dirs = new Map(sizes.map((size) => [size, path.join(OUT, String(size))]));
  for (const size of sizes) writeAssembly(dirs.get(size)!, Math.ceil(size / STACKS));
  const smallest = Math.min(...sizes);
  await runScaling(sizes, roundsArgument(ROUNDS), [
    { name: 'baseline: load', run: (size) => loadInputs([dirs.get(size)!]) },
    { name: 'explain --format markdown', run: (size) => explain(dirs.get(size)!, 'markdown') },
    ...['html', 'json'].map((format) => ({ name: `explain --format ${format}`, sizes: [smallest], run: (size: number) => explain(dirs.get(size)!, format) })),
  ]);
  fs.rmSync(OUT, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
