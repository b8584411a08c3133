/**
 * The composite GitHub Action (action.yml) run as GitHub runs it, step by step, in a temporary git
 * repository with two commits of a small CDK app: inputs and contexts substituted into `${{ }}`,
 * `GITHUB_OUTPUT` files read back into `steps.<id>.outputs`, a failing step stopping the job, and
 * `uses:` steps checked for their inputs but not run. `gh` is a stand-in on PATH that records the
 * comment it is asked to post or update; everything else (git, bash, the CLI) is real.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const ACTION = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf-8'));

interface Step {
  readonly id?: string;
  readonly name: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Record<string, string>;
  readonly run?: string;
  readonly env?: Record<string, string>;
  readonly ['working-directory']?: string;
}

interface JobResult {
  /** Exit code of the first failing step, or 0. */
  readonly code: number;
  readonly failedStep?: string;
  readonly outputs: Record<string, Record<string, string>>;
  readonly log: string;
  /** `uses:` steps with their resolved `with:`. */
  readonly used: { uses: string; with: Record<string, string> }[];
}

/** The expression language, as far as action.yml uses it: context lookups and `a == 'b'`. */
function evaluate(expression: string, contexts: Record<string, unknown>): string {
  const lookup = (ref: string) => {
    const value = ref.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown> | undefined)?.[key], contexts);
    return value === undefined || value === null ? '' : String(value);
  };
  const comparison = /^([\w.-]+)\s*==\s*'([^']*)'$/.exec(expression.trim());
  if (comparison) return String(lookup(comparison[1]) === comparison[2]);
  if (!/^[\w.-]+$/.test(expression.trim())) throw new Error(`expression not supported by the test runner: ${expression}`);
  return lookup(expression.trim());
}

function substitute(text: string, contexts: Record<string, unknown>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_m, expression: string) => evaluate(expression, contexts));
}

function runAction(repo: string, inputs: Record<string, string>, github: Record<string, unknown>, env: Record<string, string>): JobResult {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
  const defaults = Object.fromEntries(Object.entries(ACTION.inputs as Record<string, { default?: string }>).map(([name, spec]) => [name, spec.default ?? '']));
  const contexts: Record<string, any> = { github, runner: { temp }, steps: {} };
  // Input defaults may be expressions themselves (github.token, the base commit).
  contexts.inputs = Object.fromEntries(Object.entries({ ...defaults, ...inputs }).map(([k, v]) => [k, substitute(v, contexts)]));
  const outputs: Record<string, Record<string, string>> = {};
  const used: JobResult['used'] = [];
  let log = '';
  for (const step of ACTION.runs.steps as Step[]) {
    if (step.if && evaluate(step.if, contexts) !== 'true') continue;
    if (step.uses) {
      used.push({ uses: step.uses, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(v, contexts)])) });
      continue;
    }
    const outputFile = path.join(temp, `output-${step.id ?? used.length}`);
    fs.writeFileSync(outputFile, '');
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), contexts)]));
    const cwd = path.join(repo, substitute(step['working-directory'] ?? '.', contexts));
    // As GitHub runs `shell: bash`: bash --noprofile --norc -eo pipefail {0}.
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], {
      cwd,
      env: { ...process.env, ...env, ...stepEnv, GITHUB_OUTPUT: outputFile, RUNNER_TEMP: temp },
      encoding: 'utf-8',
      timeout: 180_000,
    });
    log += `--- ${step.name}\n${result.stdout}${result.stderr}`;
    if (step.id) {
      const values = Object.fromEntries(fs.readFileSync(outputFile, 'utf-8').split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      outputs[step.id] = values;
      contexts.steps[step.id] = { outputs: values };
    }
    if (result.status !== 0) return { code: result.status ?? 1, failedStep: step.name, outputs, log, used };
  }
  return { code: 0, outputs, log, used };
}

function git(repo: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd: repo, encoding: 'utf-8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The small CDK app: a ManagedKey the app role uses, and (in the second commit) a reader role too. */
function appSource(readerDecrypts: boolean): string {
  return `import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyUser, ManagedKey } from ${JSON.stringify(path.join(ROOT, 'src'))};

const app = new App();
const stack = new Stack(app, 'Orders', { env: { account: '111111111111', region: 'eu-west-1' } });
const appRole = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
const reader = new iam.Role(stack, 'ReaderRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
new ManagedKey(stack, 'OrdersKey', {
  aliases: ['orders'],
  users: [KeyUser.encryptDecrypt(appRole)${readerDecrypts ? ', KeyUser.decrypt(reader)' : ''}],
});
app.synth();
`;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'action-test-'));
const repo = path.join(work, 'repo');
const bin = path.join(work, 'bin');
const ghLog = path.join(work, 'gh.log');
let baseSha = '';
let headSha = '';

beforeAll(() => {
  fs.mkdirSync(path.join(repo, 'infra'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\ncdk.out\n');
  fs.writeFileSync(path.join(repo, 'infra', 'app.ts'), appSource(false));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'orders key');
  baseSha = git(repo, 'rev-parse', 'HEAD');
  fs.writeFileSync(path.join(repo, 'infra', 'app.ts'), appSource(true));
  git(repo, 'commit', '-q', '-am', 'reader decrypts');
  headSha = git(repo, 'rev-parse', 'HEAD');

  // gh: lists the comments in $FAKE_GH_COMMENTS (ids whose body starts with the marker), records the rest.
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash
echo "gh $*" >> ${JSON.stringify(ghLog)}
for arg in "$@"; do
  case "$arg" in body=@*) cp "\${arg#body=@}" ${JSON.stringify(path.join(work, 'posted.md'))};; esac
done
case "$*" in *"--jq"*) cat "$FAKE_GH_COMMENTS" 2>/dev/null || true;; esac
`, { mode: 0o755 });
}, 60_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const GITHUB = (overrides: Record<string, unknown> = {}) => ({
  token: 'test-token',
  repository: 'acme/orders',
  event_name: 'pull_request',
  event: { pull_request: { number: 7, base: { sha: baseSha }, head: { sha: headSha } } },
  ...overrides,
});

const INPUTS = {
  'working-directory': 'infra',
  // "Installing" links this project's node_modules, in HEAD and in BASE's worktree.
  'install-command': `ln -sfn ${path.join(ROOT, 'node_modules')} node_modules`,
  'synth-command': `${TSX} app.ts`,
  'cli': `${TSX} ${path.join(ROOT, 'cli', 'index.ts')}`,
};

function job(inputs: Record<string, string> = {}, existingComments = '') {
  fs.rmSync(ghLog, { force: true });
  fs.rmSync(path.join(work, 'posted.md'), { force: true });
  const comments = path.join(work, 'comments');
  fs.writeFileSync(comments, existingComments);
  git(repo, 'checkout', '-q', headSha);
  const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_GH_COMMENTS: comments, GITHUB_STEP_SUMMARY: path.join(work, 'summary.md') };
  return runAction(repo, { ...INPUTS, ...inputs }, GITHUB(), env);
}

test('new access: the comment names the grant, SARIF goes to code scanning, the check fails', () => {
  const result = job();
  expect(result.log).not.toContain('Error:');
  expect(result.failedStep).toBe('Fail on new access');
  expect(result.code).toBe(1);
  expect(result.outputs.diff).toMatchObject({ 'exit-code': '1', 'verdict': 'new-access' });
  const posted = fs.readFileSync(path.join(work, 'posted.md'), 'utf-8');
  expect(posted.split('\n')[0]).toBe('<!-- cdk-kms-patterns diff -->');
  expect(posted).toContain('## 🔴 Key access review: New key access: 1 change gives new access');
  // Synthesized without the CDK CLI, the template has no path metadata: roles show by logical id.
  expect(posted).toMatch(/\| 🔴 \| Orders\/ReaderRole[0-9A-F]{8} \| decrypt \| ❌ \| ✅ \| access gained \|/);
  expect(fs.readFileSync(ghLog, 'utf-8')).toMatch(/gh api -X POST repos\/acme\/orders\/issues\/7\/comments -F body=@/);
  expect(result.used).toEqual([{ uses: 'github/codeql-action/upload-sarif@v3', with: { sarif_file: result.outputs.lint.sarif, category: 'cdk-kms-patterns' } }]);
  expect(JSON.parse(fs.readFileSync(result.outputs.lint.sarif, 'utf-8')).version).toBe('2.1.0');
  expect(fs.readFileSync(path.join(work, 'summary.md'), 'utf-8')).toContain('Key access review');
}, 240_000);

test('an accepted grant passes, and the existing comment is updated, not duplicated', () => {
  const result = job({ allow: '  Orders/ReaderRole*:decrypt  \n' }, '42\n');
  if (result.code !== 0) throw new Error(`step ${result.failedStep} failed (${result.code}):\n${result.log}`);
  expect(result.outputs.diff).toMatchObject({ 'exit-code': '0', 'verdict': 'changed' });
  expect(fs.readFileSync(ghLog, 'utf-8')).toMatch(/gh api -X PATCH repos\/acme\/orders\/issues\/comments\/42 -F body=@/);
  expect(fs.readFileSync(ghLog, 'utf-8')).not.toMatch(/-X POST/);
  expect(fs.readFileSync(path.join(work, 'posted.md'), 'utf-8')).toContain('access gained (accepted: Orders/ReaderRole\\*:decrypt)');
}, 240_000);

test('the same commit on both sides: no change, no failure; comment off, SARIF off', () => {
  const result = job({ 'base-ref': headSha, 'comment': 'false', 'upload-sarif': 'false' });
  if (result.code !== 0) throw new Error(`step ${result.failedStep} failed (${result.code}):\n${result.log}`);
  expect(result.outputs.diff).toMatchObject({ 'exit-code': '0', 'verdict': 'no-change' });
  expect(fs.existsSync(ghLog)).toBe(false);
  expect(result.used).toEqual([]);
  expect(fs.readFileSync(result.outputs.diff['comment-file'], 'utf-8')).toContain('No change to KMS keys');
}, 240_000);

test('a synth that fails stops the job at the synth step', () => {
  const result = job({ 'synth-command': 'exit 3' });
  expect(result).toMatchObject({ code: 3, failedStep: 'Synthesize BASE and HEAD' });
}, 60_000);

test('an unusable allow rule stops the job with exit 2 before any comment', () => {
  const result = job({ allow: 'no-capability' });
  expect(result).toMatchObject({ code: 2, failedStep: 'Diff key access' });
  expect(result.log).toContain('--allow takes principal-pattern:capability');
  expect(fs.existsSync(ghLog)).toBe(false);
}, 240_000);
