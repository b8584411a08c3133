/**
 * `lint` over generated cloud assemblies of 1k, 5k and 20k keys (20 stacks, so each template
 * grows with the size). The templates are copies of one synthesized from real constructs:
 * ManagedKeys of both postures with users, services and encryption-context conditions, plus
 * kms.Keys (one with a public grant, so there are findings to format). Prints, at each size and
 * for each output format, wall and CPU time and keys per second (linear work keeps the rate;
 * quadratic work shows as a rate falling with the size), and the ratio to a baseline measured in
 * the same run: loading (parsing) the same assembly, which every command over it pays anyway.
 *
 *   npx tsx bench/lint.ts [--sizes 1000,5000,20000] [--rounds 3]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { main } from '../cli';
import { loadInputs } from '../cli/load';
import { KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../src';
import { replicateResources, roundsArgument, runScaling, sizesArgument, STACKS, writeAssembly } from './support/scaling';

const ROUNDS = 3;
const ENV = { account: '111122223333', region: 'eu-west-1' };

/** One stack's template with `keys` keys, synthesized by the CDK with construct-path metadata. */
function synthStackTemplate(keys: number): object {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lint-synth-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Bench', { env: ENV });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  for (let k = 0; k < keys; k++) {
    if (k % 5 === 4) {
      const key = new kms.Key(stack, `Plain${k}`, { enableKeyRotation: true });
      key.grantEncryptDecrypt(k % 10 === 9 ? new iam.AnyPrincipal() : role(`PlainUser${k}`));
      continue;
    }
    const posture = k % 2 === 0 ? KeyPolicyPosture.IAM_DELEGATED : KeyPolicyPosture.STRICT;
    const key = new ManagedKey(stack, `Key${k}`, { posture, administrators: [role(`Admin${k}`)], services: [KeyService.cloudWatchLogs()] });
    key.addUser(KeyUser.encryptDecrypt(role(`Writer${k}`), { encryptionContext: { table: `t${k}` }, allowedEncryptionContextKeys: ['table', 'pk'] }));
    key.addUser(KeyUser.viaService(role(`Reader${k}`), 'dynamodb'));
  }
  const assembly = app.synth();
  const template = assembly.getStackByName('Bench').template;
  fs.rmSync(outdir, { recursive: true, force: true });
  return template;
}

async function lint(dir: string, format: string): Promise<{ code: number; bytes: number }> {
  let bytes = 0;
  const code = await main(['lint', dir, '--format', format], { stdout: (text) => { bytes += text.length; }, stderr: (text) => { process.stderr.write(text); } });
  if (code === 2) throw new Error(`lint --format ${format} rejected the generated assembly`);
  return { code, bytes };
}

const KEYS_PER_TEMPLATE = 10;

async function benchmark(): Promise<void> {
  const sizes = sizesArgument();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lint-assembly-'));
  try {
    const synthStarted = Date.now();
    const template = synthStackTemplate(KEYS_PER_TEMPLATE) as { Resources: Record<string, unknown> };
    const dirs = new Map(sizes.map((size) => [size, path.join(root, String(size))]));
    for (const size of sizes) {
      writeAssembly(dirs.get(size)!, replicateResources(template, Math.ceil(size / STACKS / KEYS_PER_TEMPLATE)), STACKS);
    }
    console.log(`assemblies of ${sizes.join(', ')} keys in ${root} (generated in ${Date.now() - synthStarted} ms)`);
    await runScaling(sizes, roundsArgument(ROUNDS), [
      { name: 'baseline: load', run: (size) => loadInputs([dirs.get(size)!]) },
      ...['text', 'json', 'sarif'].map((format) => ({ name: `lint --format ${format}`, run: (size: number) => lint(dirs.get(size)!, format) })),
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

benchmark().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
