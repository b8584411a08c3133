/**
 * Runs every benchmark `bench/<name>.ts` (except this file) in sequence with tsx, printing a
 * header per benchmark. A failing benchmark does not stop the others; the exit code is 1 if any
 * failed. Helpers shared by benchmarks belong in a subfolder (e.g. bench/support/), not here.
 *
 *   npx tsx bench/run.ts
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The envelope benches take 3-5 minutes on a busy 2-core machine; this bounds a stuck one. */
const TIMEOUT_MS = 12 * 60_000;

const benchmarks = fs.readdirSync(__dirname)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && path.join(__dirname, file) !== __filename)
  .sort();

const tsx = require.resolve('tsx/cli');
const failed: string[] = [];
for (const file of benchmarks) {
  console.log(`\n=== ${path.basename(file, '.ts')} (bench/${file}) ===`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsx, path.join(__dirname, file)], { stdio: 'inherit', timeout: TIMEOUT_MS });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    console.log(`--- ${file}: done in ${seconds} s`);
  } else {
    const why = result.error ? String(result.error) : result.signal ? `signal ${result.signal}` : `exit ${result.status}`;
    console.log(`--- ${file}: FAILED (${why}) after ${seconds} s`);
    failed.push(file);
  }
}

console.log(`\n${benchmarks.length - failed.length} of ${benchmarks.length} benchmarks passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length > 0 ? 1 : 0;
