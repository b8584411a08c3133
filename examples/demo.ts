/**
 * The README's first Quick start line: synthesizes the demo app into examples/cdk.out and prints,
 * for every key, its aliases, rotation and who may do what according to the policy model.
 */
import * as path from 'node:path';
import { buildDemoApp } from './app';
import { summarizeKeys } from './summary';

const outdir = path.join(__dirname, 'cdk.out');
const app = buildDemoApp(outdir);
app.synth();

console.log(`Synthesized the demo app into ${path.relative(process.cwd(), outdir)}\n`);
console.log('# Keys (from the policy model)\n');
console.log(summarizeKeys(app));
