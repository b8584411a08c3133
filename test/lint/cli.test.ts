import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import addFormats from 'ajv-formats';
import { App, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { main } from '../../cli';
import { KeyPolicyPosture, ManagedKey } from '../../src';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'lint');
const TEMPLATES = path.join(FIXTURES, 'templates');
const ENV = { account: '111122223333', region: 'eu-west-1' };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A validator for the SARIF 2.1.0 schema. ajv-formats plugs into ajv 8, which npm may nest under
 * ajv-formats (the root `ajv` can be eslint's 6.x): load the copy ajv-formats itself uses.
 */
function sarifValidator() {
  const { default: Ajv } = createRequire(require.resolve('ajv-formats'))('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sarif-schema-2.1.0.json'), 'utf-8')));
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { code, stdout, stderr };
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A cloud assembly as `cdk synth` writes it (construct-path and asset metadata on): a clean
 * ManagedKey stack, a stack with a public kms.Key inside a nested stack, and a stage.
 */
function synthAssembly(): string {
  const outdir = tempDir('kms-lint-assembly-');
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  new ManagedKey(new Stack(app, 'Platform', { env: ENV }), 'Key', { posture: KeyPolicyPosture.STRICT });
  const legacy = new Stack(app, 'Legacy', { env: ENV });
  const nested = new NestedStack(legacy, 'Storage');
  new kms.Key(nested, 'PublicKey', { enableKeyRotation: true }).grantDecrypt(new iam.AnyPrincipal());
  const stage = new Stage(app, 'Prod', { env: ENV });
  new kms.Key(new Stack(stage, 'Data'), 'NoRotation');
  app.synth();
  return outdir;
}

describe('cdk-kms-patterns lint on a cloud assembly', () => {
  const assembly = synthAssembly();

  test('text output groups by stack and key, with the construct path; exit 1 on errors', async () => {
    const { code, stdout, stderr } = await run('lint', assembly);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Legacy\/Storage\w*  \(.*\.nested\.template\.json\)$/m);
    expect(stdout).toMatch(/^ {2}PublicKey\w+ {2}Legacy\/Storage\/PublicKey\/Resource {2}\[AWS::KMS::Key, line \d+\]$/m);
    expect(stdout).toMatch(/^ {4}error {3}KMS1 {2}statement #2 allows a wildcard principal without a restricting condition$/m);
    expect(stdout).toMatch(/^Prod\/Data /m);
    expect(stdout).toMatch(/^ {4}error {3}KMS4 {2}symmetric encryption key without automatic rotation$/m);
    expect(stdout).not.toMatch(/^Platform/m); // the ManagedKey stack has nothing to report
    expect(stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ errors, \d+ warnings in 3 resources of 4 stacks$/);
  });

  test('json output lists every finding with stack, template path and line', async () => {
    const { code, stdout } = await run('lint', assembly, '--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.summary).toEqual(expect.objectContaining({ resources: 3, stacks: 4 }));
    const kms1 = report.findings.find((f: any) => f.ruleId === 'KMS1');
    const templateText = fs.readFileSync(path.resolve(kms1.templatePath), 'utf-8');
    expect(templateText.split('\n')[kms1.line - 1]).toContain(`"${kms1.logicalId}": {`);
    expect(kms1).toEqual(expect.objectContaining({ severity: 'error', resourceType: 'AWS::KMS::Key', path: 'Legacy/Storage/PublicKey/Resource' }));
  });

  test('sarif output validates against the SARIF 2.1.0 schema and points at the resource line', async () => {
    const { code, stdout } = await run('lint', assembly, '--format', 'sarif');
    expect(code).toBe(1);
    const sarif = JSON.parse(stdout);
    const validate = sarifValidator();
    expect(validate(sarif)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);

    const [runLog] = sarif.runs;
    expect(runLog.tool.driver.rules.map((r: any) => r.id)).toContain('KMS12');
    const result = runLog.results.find((r: any) => r.ruleId === 'KMS1');
    const { physicalLocation, logicalLocations } = result.locations[0];
    const file = path.resolve(physicalLocation.artifactLocation.uri);
    expect(physicalLocation.artifactLocation.uriBaseId).toBe('SRCROOT');
    const line = fs.readFileSync(file, 'utf-8').split('\n')[physicalLocation.region.startLine - 1];
    expect(line).toContain(`"${logicalLocations[0].name}": {`);
    expect(logicalLocations[0].fullyQualifiedName).toBe('Legacy/Storage/PublicKey/Resource');
    expect(runLog.tool.driver.rules[result.ruleIndex].id).toBe('KMS1');
  });

  test('a schema violation is detected by the same validator (the check can fail)', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] })).toBe(false);
  });
});

describe('cdk-kms-patterns lint on template files', () => {
  test('YAML with short-form tags: findings with the YAML line of the resource', async () => {
    const { code, stdout } = await run('lint', path.join(TEMPLATES, 'short-form.yaml'), '--format', 'json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout).findings).toEqual([expect.objectContaining({
      stackName: 'short-form', ruleId: 'KMS6', logicalId: 'DataKey', line: 21,
    })]);
  });

  test('several files at once; a clean template alone exits 0', async () => {
    const files = ['clean.json', 'trail.yaml'].map((f) => path.join(TEMPLATES, f));
    expect((await run('lint', ...files)).code).toBe(1);
    const clean = await run('lint', files[0]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('0 errors, 0 warnings in 1 resource of 1 stack\n');
  });

  test('--fail-on warning makes warnings fail', async () => {
    const dir = tempDir('kms-lint-warn-');
    const template = JSON.parse(fs.readFileSync(path.join(TEMPLATES, 'clean.json'), 'utf-8'));
    template.Resources.CleanKey.Properties.PendingWindowInDays = 7;
    const file = path.join(dir, 'warn.template.json');
    fs.writeFileSync(file, JSON.stringify(template, undefined, 2));
    const lenient = await run('lint', file);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('warning KMS11 PendingWindowInDays is 7, under 30 days');
    expect((await run('lint', file, '--fail-on', 'warning')).code).toBe(1);
    expect((await run('lint', file, '--fail-on=error')).code).toBe(0);
  });
});

describe('unusable input exits 2 with a one-line message', () => {
  test.each([
    ['a missing file', [path.join(TEMPLATES, 'missing.json')], /missing\.json: no such file or directory$/],
    ['invalid JSON', [path.join(TEMPLATES, 'broken.json')], /broken\.json: invalid JSON \(.+\)$/],
    ['invalid YAML', [path.join(TEMPLATES, 'broken.yaml')], /broken\.yaml: invalid YAML at line 4 \(.+\)$/],
    ['an empty cloud assembly', [path.join(FIXTURES, 'empty-assembly')], /the cloud assembly has no stacks$/],
    ['a directory that is not a cloud assembly', [TEMPLATES], /not a cloud assembly \(no manifest\.json\)$/],
    ['a YAML file that is not a template', ['list.yaml'], /list\.yaml: not a CloudFormation template \(expected an object\)$/],
    ['a JSON object without Resources', ['outputs.json'], /outputs\.json: not a CloudFormation template \(no Resources section\)$/],
  ])('%s', async (_name, args, message) => {
    const dir = tempDir('kms-lint-bad-');
    fs.writeFileSync(path.join(dir, 'list.yaml'), '- AWS::KMS::Key\n- AWS::KMS::Alias\n');
    fs.writeFileSync(path.join(dir, 'outputs.json'), '{ "Outputs": {} }');
    const { code, stdout, stderr } = await run('lint', ...args.map((arg) => path.resolve(dir, arg)));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr.trimEnd()).toMatch(message);
  });

  test('no input and no ./cdk.out', async () => {
    const cwd = process.cwd();
    process.chdir(tempDir('kms-lint-cwd-'));
    try {
      expect(await run('lint')).toEqual({ code: 2, stdout: '', stderr: 'cdk-kms-patterns lint: cdk.out: no such file or directory\n' });
    } finally {
      process.chdir(cwd);
    }
  });

  test.each([
    [['lint', '--format', 'xml'], /unknown --format 'xml'/],
    [['lint', '--fail-on', 'info'], /unknown --fail-on 'info'/],
    [['lint', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad command line %p', async (argv, message) => {
    const { code, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toMatch(message);
  });
});

describe('help', () => {
  test.each([[['--help']], [['help']], [['-h']]])('%p prints the commands', async (argv) => {
    const { code, stdout } = await run(...argv);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: cdk-kms-patterns <command>/);
    expect(stdout).toContain('lint ');
    expect(stdout).toContain('explain ');
  });

  test('lint --help lists formats, threshold and exit codes', async () => {
    const { code, stdout } = await run('lint', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--format <text|json|sarif>');
    expect(stdout).toContain('--fail-on <error|warning>');
    expect(stdout).toContain('2 unusable input');
    expect(stdout).toMatch(/^ {2}KMS1 {3}wildcard-principal \(error\)$/m);
    expect(stdout).toMatch(/^ {2}KMS4 {3}rotation \(error \/ warning\)$/m);
  });

  test('explain --help is dispatched to the explain command', async () => {
    const { code, stdout } = await run('explain', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: cdk-kms-patterns explain/);
  });

  test('no command prints usage to stderr and exits 2', async () => {
    const { code, stderr } = await run();
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Usage: cdk-kms-patterns <command>/);
  });
});

describe('the bundled bin (assets/cli/index.js)', () => {
  const bin = path.join(__dirname, '..', '..', 'assets', 'cli', 'index.js');

  test('runs lint with the same exit codes and output as main()', async () => {
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npx projen bundle\``);
    const file = path.join(TEMPLATES, 'guard-regressions.json');
    const bundled = spawnSync(process.execPath, [bin, 'lint', file, '--format', 'json'], { encoding: 'utf-8' });
    expect(bundled.status).toBe(1);
    expect(JSON.parse(bundled.stdout)).toEqual(JSON.parse((await run('lint', file, '--format', 'json')).stdout));
    const broken = spawnSync(process.execPath, [bin, 'lint', path.join(TEMPLATES, 'broken.json')], { encoding: 'utf-8' });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/invalid JSON/);
  });
});
