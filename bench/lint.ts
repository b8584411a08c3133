/**
 * `lint` over a generated cloud assembly of 1,000 keys in 100 stacks. Each stack is a copy of a
 * template synthesized from real constructs: ManagedKeys of both postures with users, services
 * and encryption-context conditions, plus kms.Keys (one with a public grant, so there are
 * findings to format). Prints time per output format, keys per second and peak memory, and the
 * ratio to a baseline measured in the same run: loading (parsing) the same assembly, which every
 * command over it pays anyway.
 *
 *   npx tsx bench/lint.ts [--stacks 100] [--keys-per-stack 10]
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

const ROUNDS = 3;
const ENV = { account: '111122223333', region: 'eu-west-1' };

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

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

function writeAssembly(dir: string, template: object, stacks: number): void {
  const artifacts: Record<string, object> = {};
  const text = JSON.stringify(template, undefined, 1);
  for (let s = 0; s < stacks; s++) {
    const templateFile = `Bench${s}.template.json`;
    fs.writeFileSync(path.join(dir, templateFile), text);
    artifacts[`Bench${s}`] = { type: 'aws:cloudformation:stack', environment: 'aws://111122223333/eu-west-1', properties: { templateFile, stackName: `Bench${s}` } };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
}

/** Best wall time of ROUNDS runs, in milliseconds. */
async function best(run: () => unknown): Promise<number> {
  let fastest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    await run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return fastest;
}

async function lint(dir: string, format: string): Promise<{ code: number; bytes: number }> {
  let bytes = 0;
  const code = await main(['lint', dir, '--format', format], { stdout: (text) => { bytes += text.length; }, stderr: (text) => { process.stderr.write(text); } });
  if (code === 2) throw new Error(`lint --format ${format} rejected the generated assembly`);
  return { code, bytes };
}

async function benchmark(): Promise<void> {
  const stacks = argument('stacks', 100);
  const keysPerStack = argument('keys-per-stack', 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lint-assembly-'));
  try {
    const synthStarted = Date.now();
    writeAssembly(dir, synthStackTemplate(keysPerStack), stacks);
    const keys = stacks * keysPerStack;
    console.log(`assembly: ${stacks} stacks x ${keysPerStack} keys = ${keys} keys in ${dir} (generated in ${Date.now() - synthStarted} ms)`);

    const baseline = await best(() => loadInputs([dir]));
    console.log(`baseline  load (parse) the assembly: ${baseline.toFixed(0)} ms`);
    for (const format of ['text', 'json', 'sarif']) {
      let outcome = { code: 0, bytes: 0 };
      const ms = await best(async () => { outcome = await lint(dir, format); });
      const rate = Math.round(keys / (ms / 1000));
      console.log(`lint --format ${format.padEnd(5)}: ${ms.toFixed(0)} ms, ${rate} keys/s, ${(ms / baseline).toFixed(2)}x baseline `
        + `(exit ${outcome.code}, ${(outcome.bytes / 1024).toFixed(0)} KiB of output)`);
    }
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

benchmark().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
