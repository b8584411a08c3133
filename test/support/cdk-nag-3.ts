import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The cdk-nag 3 line the library is tested with (the development dependency is cdk-nag 2). */
export const CDK_NAG_3_RANGE = '3.0';

/**
 * Installs cdk-nag 3 once into `.tmp/cdk-nag-3/node_modules/cdk-nag` (gitignored) and returns its
 * folder. It has no dependencies of its own, so unpacking its tarball is the whole install (a few
 * seconds); from there it finds this project's aws-cdk-lib and constructs, as in a user's app.
 * Run `npx tsx test/support/cdk-nag-3.ts` to install it ahead of the tests.
 */
export function installCdkNag3(): string {
  const root = path.join(__dirname, '..', '..', '.tmp', 'cdk-nag-3');
  const dir = path.join(root, 'node_modules', 'cdk-nag');
  if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  fs.mkdirSync(root, { recursive: true });
  const packed = JSON.parse(execFileSync('npm', ['pack', `cdk-nag@${CDK_NAG_3_RANGE}`, '--json', '--pack-destination', root],
    { cwd: root, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string }>;
  const staging = fs.mkdtempSync(path.join(root, 'unpack-'));
  execFileSync('tar', ['xzf', path.join(root, packed[0].filename), '-C', staging]);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(path.join(staging, 'package'), dir); // atomic: a half-unpacked folder is never used
  fs.rmSync(staging, { recursive: true, force: true });
  return dir;
}

if (require.main === module) console.log(installCdkNag3());
