/**
 * A consumer app as a user makes one: a fresh npm project that installs the packed library (npm
 * resolves its peers the way a user's install does), aws-cdk-lib, constructs, @types/node and
 * cdk-nag 2, 3 or nothing. Projects are kept in .tmp/consumer (gitignored) and reused while their
 * dependencies are unchanged, so a re-run only reinstalls a changed tarball.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareVersions } from './readme-examples';

export const ROOT = path.join(__dirname, '..', '..');
export const WORK = path.join(ROOT, '.tmp', 'consumer');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'];

export interface Variant {
  readonly awsCdkLib: string;
  readonly cdkNag?: '2' | '3';
}

/** The cdk-nag versions a user of each major gets. */
const CDK_NAG: Record<'2' | '3', string> = { 2: '~2.38.1', 3: '~3.0.0' };

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The newest aws-cdk-lib 2.x the registry serves. */
export function newestAwsCdkLib(): string {
  const listed = JSON.parse(npm(['view', 'aws-cdk-lib@^2', 'version', '--json'], ROOT)) as string | string[];
  // The registry lists versions in publication order, not version order.
  const releases = [listed].flat().filter((version) => /^\d+\.\d+\.\d+$/.test(version));
  return releases.sort(compareVersions)[releases.length - 1];
}

/** `npm pack` of the compiled library (lib/ and assets/ from the build), named by its content hash. */
export function packLibrary(): string {
  for (const built of ['lib/index.js', 'lib/index.d.ts', 'assets/cli/index.js']) {
    if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: build the library first (npx projen bundle && npx projen compile)`);
  }
  fs.mkdirSync(WORK, { recursive: true });
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--pack-destination', WORK], ROOT)) as Array<{ filename: string }>;
  const packed = path.join(WORK, path.basename(filename));
  const hash = crypto.createHash('sha256').update(fs.readFileSync(packed)).digest('hex').slice(0, 12);
  const named = path.join(WORK, `cdk-kms-patterns-${hash}.tgz`);
  fs.renameSync(packed, named);
  return named;
}

/** Installs (or reuses) the consumer project for a variant; returns its folder. */
export function consumerProject(variant: Variant, tarball: string): string {
  const dir = path.join(WORK, `app-${variant.awsCdkLib}-${variant.cdkNag ? `nag${variant.cdkNag}` : 'nonag'}`);
  const dependencies: Record<string, string> = {
    'aws-cdk-lib': variant.awsCdkLib,
    'constructs': '^10.5.1',
    '@types/node': '^20',
    'cdk-kms-patterns': `file:${tarball}`,
    ...(variant.cdkNag ? { 'cdk-nag': CDK_NAG[variant.cdkNag] } : {}),
  };
  const manifest = JSON.stringify({ name: 'consumer-app', version: '0.0.0', private: true, dependencies }, null, 2);
  const stamp = path.join(dir, 'node_modules', '.consumer-app.json');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf-8') === manifest) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), manifest);
  // Plain `npm install`: no --legacy-peer-deps or --force, so a peer range that rejects what is
  // installed fails here (ERESOLVE), as it would for a user.
  npm(['install', ...NPM_FLAGS], dir);
  fs.writeFileSync(stamp, manifest);
  return dir;
}

/**
 * A tsconfig like `cdk init app --language typescript` writes (strict, NodeNext, declaration files
 * checked). `skipLibCheck` saves most of the compile time where the declaration files were already
 * checked in another variant.
 */
export function writeTsconfig(dir: string, files: string[], skipLibCheck: boolean): void {
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['es2022'],
      types: ['node'],
      strict: true,
      noImplicitReturns: true,
      skipLibCheck,
      outDir: 'out',
      rootDir: 'examples',
    },
    files,
  }, null, 2));
}

/** Type-checks and compiles with this project's TypeScript; returns the compiler's messages ('' when clean). */
export function compile(dir: string): string {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.resolve(dir)], { cwd: dir, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`.trim() || String(error);
  }
}

export interface SynthResult {
  readonly code: number | null;
  readonly output: string;
  readonly outdir: string;
}

/** Runs a compiled example as the cdk CLI runs an app (CDK_OUTDIR set: the App synthesizes at exit). */
export function synth(dir: string, name: string): Promise<SynthResult> {
  const outdir = path.join(dir, 'cdk.out', name);
  fs.rmSync(outdir, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, 'out', `${name}.js`)], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_OUTDIR: outdir, CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, outdir }));
  });
}

/** What would stop `cdk synth` of the assembly: context it is missing, error annotations, failed policy validation. */
export function assemblyProblems(outdir: string): string[] {
  const manifestPath = path.join(outdir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) return ['no cloud assembly was written'];
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf-8'));
  const problems: string[] = (manifest.missing ?? []).map((m: { key: string }) => `missing context ${m.key} (a lookup needs credentials)`);
  const stacks = Object.values(manifest.artifacts ?? {}).filter((a: any) => a.type === 'aws:cloudformation:stack');
  if (stacks.length === 0) problems.push('no stack');
  for (const artifact of Object.values(manifest.artifacts ?? {}) as any[]) {
    for (const [where, entries] of Object.entries(artifact.metadata ?? {}) as [string, any[]][]) {
      for (const entry of entries) if (entry.type === 'aws:cdk:error') problems.push(`${where}: ${JSON.stringify(entry.data)}`);
    }
  }
  const reportPath = path.join(outdir, 'policy-validation-report.json');
  if (fs.existsSync(reportPath)) {
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf-8'));
    for (const plugin of report.pluginReports ?? []) {
      if (plugin.summary?.status !== 'success') problems.push(`policy validation ${plugin.summary?.pluginName}: ${JSON.stringify(plugin)}`.slice(0, 2000));
    }
  }
  return problems;
}
