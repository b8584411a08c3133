/**
 * Bundles runtime code into assets/ with esbuild, so the published package ships ready-made
 * Lambda and container code and users never need esbuild or Docker at synth time.
 *
 *   lambda/<group>/<name>.entry.ts  ->  assets/<group>/<name>/index.js
 *   lambda/<group>/<other files>    ->  assets/<group>/<name>/ (e.g. a Dockerfile; not .ts or .md)
 *   cli/index.ts                    ->  assets/cli/index.js (with a node shebang)
 *
 * Native modules (pkcs11js) stay external: they are installed next to the bundle where it runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { BUNDLE_OPTIONS } from './bundle-options';

const ROOT = path.resolve(__dirname, '..');
const ASSETS = path.join(ROOT, 'assets');

function findEntries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findEntries(full);
    return entry.name.endsWith('.entry.ts') ? [full] : [];
  });
}

function outDirFor(entry: string): string {
  const relative = path.relative(path.join(ROOT, 'lambda'), entry);
  const group = path.dirname(relative);
  const name = path.basename(relative, '.entry.ts');
  return path.join(ASSETS, group, name);
}

/** Files next to an entry that are neither code nor docs (Dockerfile, scripts) go into its bundle folder. */
function copySupportFiles(dir: string, outdir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || /\.(ts|md)$/.test(entry.name)) continue;
    fs.copyFileSync(path.join(dir, entry.name), path.join(outdir, entry.name)); // keeps the file mode (+x)
  }
}

fs.rmSync(ASSETS, { recursive: true, force: true });

for (const entry of findEntries(path.join(ROOT, 'lambda'))) {
  const outdir = outDirFor(entry);
  buildSync({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile: path.join(outdir, 'index.js') });
  copySupportFiles(path.dirname(entry), outdir);
  console.log(`bundled ${path.relative(ROOT, entry)} -> ${path.relative(ROOT, outdir)}/index.js`);
}

const cliEntry = path.join(ROOT, 'cli', 'index.ts');
if (fs.existsSync(cliEntry)) {
  const outfile = path.join(ASSETS, 'cli', 'index.js');
  buildSync({ ...BUNDLE_OPTIONS, entryPoints: [cliEntry], outfile, banner: { js: '#!/usr/bin/env node' } });
  fs.chmodSync(outfile, 0o755);
  console.log(`bundled cli/index.ts -> ${path.relative(ROOT, outfile)}`);
}
