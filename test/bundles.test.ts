/**
 * The bundles the package ships (assets/, made by `npx projen bundle`) load in a plain Node.js
 * process, as Lambda and the `cdk-kms-patterns` bin run them, and stay under 1 MB minified.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ASSETS = path.join(__dirname, '..', 'assets');
const LAMBDA_BUNDLES = ['envelope/table', 'envelope/bucket', 'envelope/object-intake', 'envelope/object-read', 'envelope/branch-keys'];

test.each(LAMBDA_BUNDLES)('%s exports a Lambda handler and is under 1 MB', (name) => {
  const file = path.join(ASSETS, name, 'index.js');
  expect(fs.statSync(file).size).toBeLessThan(1_000_000);
  const kind = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`], {
    env: { PATH: process.env.PATH },
  });
  expect(kind.toString()).toBe('function');
});

test('the CLI bin answers --help', () => {
  const help = execFileSync(process.execPath, [path.join(ASSETS, 'cli', 'index.js'), '--help']).toString();
  expect(help).toMatch(/Usage: cdk-kms-patterns <command>/);
});
