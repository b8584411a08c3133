import * as fs from 'fs';
import * as path from 'path';

/**
 * The folder of a prebuilt bundle (`assets/<group>/<name>`, made by `npx projen bundle` and shipped
 * in the package). The same relative path works from src/<module> and lib/<module>.
 */
export function bundledAssetDir(group: string, name: string, requiredFile = 'index.js'): string {
  const dir = path.join(__dirname, '..', 'assets', group, name);
  if (!fs.existsSync(path.join(dir, requiredFile))) {
    throw new Error(`The ${group}/${name} bundle is missing at ${dir} (no ${requiredFile}): run \`npx projen bundle\``);
  }
  return dir;
}
