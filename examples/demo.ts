/**
 * The README's first Quick start line: synthesizes the demo app into examples/cdk.out and prints,
 * for every key, its aliases, rotation and who may do what according to the policy model; then
 * runs the packaged `cdk-kms-patterns` CLI (`explain`, then `lint`) over the cloud assembly, as a
 * reviewer would in a pull request.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { buildDemoApp } from './app';
import { summarizeKeys } from './summary';

const outdir = path.join(__dirname, 'cdk.out');
const app = buildDemoApp(outdir);
app.synth();

console.log(`Synthesized the demo app into ${path.relative(process.cwd(), outdir)}\n`);
console.log('# Keys (from the policy model)\n');
console.log(summarizeKeys(app));

const cli = path.join(__dirname, '..', 'assets', 'cli', 'index.js');
const assembly = path.relative(process.cwd(), outdir);
for (const args of [['explain', assembly, '--format', 'markdown'], ['lint', assembly, '--format', 'text']]) {
  console.log(`\n# cdk-kms-patterns ${args.join(' ')}\n`);
  // lint exits 1 when it finds errors: the demo shows them rather than failing.
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  } catch (error: any) {
    if (error.status !== 1) throw error;
  }
}
