/**
 * `cdk-kms-patterns diff` end to end: synthesized cloud assemblies (nested stages included), folders
 * of templates, exit codes, --allow and --fail-on, bad input, and every format checked by an
 * independent reader: the markdown rendered by `marked`, the SARIF against the 2.1.0 schema, the
 * JSON against schemas/diff-report.v1.json.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import addFormats from 'ajv-formats';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ADMIN_ALL, allow, keyTemplate } from './templates';
import { main } from '../../../cli';
import { KeyUser, ManagedKey } from '../../../src';

const ROOT_DIR = path.join(__dirname, '..', '..', '..');
const SARIF_SCHEMA = path.join(ROOT_DIR, 'test', 'fixtures', 'lint', 'sarif-schema-2.1.0.json');
const REPORT_SCHEMA = path.join(ROOT_DIR, 'schemas', 'diff-report.v1.json');

/** ajv 8 as ajv-formats loads it (the root `ajv` may be eslint's 6.x). */
function validator(schemaFile: string, draft2020 = false) {
  const load = createRequire(require.resolve('ajv-formats'));
  const { default: Ajv } = load(draft2020 ? 'ajv/dist/2020' : 'ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf-8')));
}

/** marked is published as ES modules; its UMD build loads under jest's CommonJS. */
function renderMarkdown(markdown: string): string {
  const umd = path.join(path.dirname(require.resolve('marked/package.json')), 'lib', 'marked.umd.js');
  const { marked } = createRequire(__filename)(umd);
  return marked.parse(markdown, { async: false, gfm: true }) as string;
}

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['diff', ...argv], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A cloud assembly with a stage holding the app's stack: the reader role decrypts when `readerDecrypts`. */
function assembly(name: string, options: { readerDecrypts: boolean; rotation?: boolean }): string {
  const outdir = path.join(tmp, name);
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stage = new Stage(app, 'Prod', { env: { account: '111111111111', region: 'eu-west-1' } });
  const stack = new Stack(stage, 'Orders');
  const app_ = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const reader = new iam.Role(stack, 'ReaderRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const users = [KeyUser.encryptDecrypt(app_)];
  if (options.readerDecrypts) users.push(KeyUser.decrypt(reader, { encryptionContext: { tenant: 'acme' } }));
  new ManagedKey(stack, 'OrdersKey', { aliases: ['orders'], users, rotation: options.rotation === false ? { enabled: false } : undefined });
  app.synth();
  return outdir;
}

const BASE = assembly('base', { readerDecrypts: false });
const HEAD = assembly('head', { readerDecrypts: true });

describe('cloud assemblies', () => {
  test('the same assembly: no change, exit 0', async () => {
    const { code, stdout, stderr } = await run(BASE, BASE);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('No change to KMS keys');
    expect(stdout).toContain('1 key compared, 0 with changes');
  });

  test('a new user of a key in a stage: exit 1, the principal and capability named', async () => {
    const { code, stdout } = await run(BASE, HEAD);
    expect(code).toBe(1);
    expect(stdout).toContain('New key access: 1 change gives new access');
    expect(stdout).toContain('Prod/Orders / Prod/Orders/OrdersKey/Resource');
    expect(stdout).toMatch(/\+ Prod\/Orders\/ReaderRole gains decrypt \(under conditions\)/);
  });

  test('the reverse: less access passes', async () => {
    const { code, stdout } = await run(HEAD, BASE);
    expect(code).toBe(0);
    expect(stdout).toMatch(/- Prod\/Orders\/ReaderRole loses decrypt/);
  });

  test('--allow accepts the grant; a pattern that does not match does not', async () => {
    expect((await run(BASE, HEAD, '--allow', 'Prod/Orders/Reader*:decrypt')).code).toBe(0);
    expect((await run(BASE, HEAD, '--allow', 'Prod/Orders/Reader*:*')).code).toBe(0);
    expect((await run(BASE, HEAD, '--allow', 'Prod/Orders/Reader*:encrypt')).code).toBe(1);
    expect((await run(BASE, HEAD, '--allow', 'Prod/Orders/AppRole*:decrypt')).code).toBe(1);
  });

  test('--fail-on: a new warning-level finding fails at warning, not at error', async () => {
    const weak = assembly('weak', { readerDecrypts: false, rotation: false });
    const atError = await run(BASE, weak, '--fail-on', 'none');
    expect(atError.code).toBe(0);
    expect(atError.stdout).toContain('! automatic rotation on → off');
    expect((await run(BASE, weak)).code).toBe(1); // KMS4 (no rotation) is an error
  });
});

describe('template files and folders', () => {
  const folder = (name: string, templates: Record<string, object>) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, template] of Object.entries(templates)) fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
    return dir;
  };
  const base = folder('folder-base', { 'orders.json': keyTemplate({ statements: [ADMIN_ALL] }) });
  const head = folder('folder-head', { 'orders.json': keyTemplate({ statements: [ADMIN_ALL, allow('Reader', ['kms:Decrypt'])] }) });

  test('folders of templates are compared stack by stack', async () => {
    const { code, stdout } = await run(base, head);
    expect(code).toBe(1);
    expect(stdout).toContain('+ orders/Reader gains decrypt');
  });

  test('two template files', async () => {
    const { code } = await run(path.join(base, 'orders.json'), path.join(head, 'orders.json'));
    expect(code).toBe(1);
  });
});

describe('unusable input: exit 2 and one clear line', () => {
  const broken = path.join(tmp, 'broken.json');
  const empty = path.join(tmp, 'empty-folder');
  fs.writeFileSync(broken, '{"Resources": {');
  fs.mkdirSync(empty, { recursive: true });

  test.each([
    ['a malformed template', [BASE, broken], /broken\.json: invalid JSON/],
    ['a missing input', [BASE, path.join(tmp, 'nope')], /nope: no such file or directory/],
    ['a folder with no templates', [empty, BASE], /neither a cloud assembly .* nor a folder of templates/],
    ['one input', [BASE], /diff takes two inputs, BASE and HEAD \(got 1\)/],
    ['an --allow without a capability', [BASE, HEAD, '--allow', 'Reader'], /--allow takes principal-pattern:capability/],
    ['an --allow with an unknown capability', [BASE, HEAD, '--allow', 'Reader:read'], /unknown capability 'read'/],
    ['an unknown format', [BASE, HEAD, '--format', 'html'], /unknown --format 'html'/],
    ['an unknown --fail-on', [BASE, HEAD, '--fail-on', 'info'], /unknown --fail-on 'info'/],
  ])('%s', async (_name, args, message) => {
    const { code, stdout, stderr } = await run(...(args as string[]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message as RegExp);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('markdown, rendered by marked', () => {
  test('the verdict first, a table per key, conditions in a collapsible block', async () => {
    const { stdout } = await run(BASE, HEAD, '--format', 'markdown');
    expect(stdout.split('\n')[0]).toBe('<!-- cdk-kms-patterns diff -->');
    const html = renderMarkdown(stdout);
    const dom = html.replace(/\s+/g, ' ');
    expect(dom).toMatch(/<h2>🔴 Key access review: New key access: 1 change gives new access<\/h2>/);
    expect(dom).toMatch(/<table>.*<th>principal<\/th>.*<td>Prod\/Orders\/ReaderRole<\/td> ?<td>decrypt<\/td> ?<td>❌<\/td> ?<td>⚠️ if \[1\]<\/td>/);
    expect(dom).toContain('<details><summary>Conditions and actions</summary>');
    expect(dom).toMatch(/<li><code>StringEquals kms:EncryptionContext:tenant = acme<\/code><\/li>/);
  });

  test('no change renders as one verdict line', async () => {
    const html = renderMarkdown((await run(BASE, BASE, '--format', 'markdown')).stdout);
    expect(html).toContain('<h2>✅ Key access review: No change to KMS keys</h2>');
    expect(html).not.toContain('<table>');
  });

  test.each([
    '<img src=x onerror=alert(1)>',
    '</td></tr></table><script>alert(1)</script>',
    'Evil|Role | more | columns',
    '[click](https://evil.example)',
    'see https://evil.example or www.evil.example or mail admin@evil.example',
    '@everyone ${AWS::AccountId} $x$ **bold** _it_ `code`',
    'line\nbreak\r\n# heading',
  ])('a hostile construct path stays text: %j', async (hostile) => {
    const base = path.join(tmp, `hostile-base-${Buffer.from(hostile).toString('hex').slice(0, 16)}`);
    const head = `${base}-head`;
    const withPath = (statements: object[]) => {
      const template = keyTemplate({ statements });
      (template.Resources!.Reader as any) = { ...template.Resources!.Reader, Metadata: { 'aws:cdk:path': hostile } };
      return template;
    };
    const sides: [string, object[]][] = [[base, [ADMIN_ALL]], [head, [ADMIN_ALL, allow('Reader', ['kms:Decrypt'])]]];
    for (const [dir, statements] of sides) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(withPath(statements)));
    }
    const { code, stdout } = await run(base, head, '--format', 'markdown');
    expect(code).toBe(1);
    const html = renderMarkdown(stdout);
    expect(html).not.toMatch(/<(img|script|a|strong|em|h1)\b/);
    expect(html).not.toContain('<code>code</code>');
    // Still one row of six cells.
    const row = html.split('<tr>').find((r) => r.includes('decrypt'))!;
    expect(row.match(/<td/g)).toHaveLength(6);
  });
});

describe('json and sarif', () => {
  test('json follows schemas/diff-report.v1.json', async () => {
    const validate = validator(REPORT_SCHEMA, true);
    for (const [base, head] of [[BASE, HEAD], [HEAD, BASE], [BASE, BASE]]) {
      const report = JSON.parse((await run(base, head, '--format', 'json', '--allow', 'nobody:*')).stdout);
      expect(validate(report) ? [] : validate.errors).toEqual([]);
    }
    const report = JSON.parse((await run(BASE, HEAD, '--format', 'json')).stdout);
    expect(report).toMatchObject({ schemaVersion: 1, verdict: { kind: 'new-access', failing: true, failOn: 'error' }, summary: { keysCompared: 1, moreAccess: 1 } });
    expect(report.keys[0].changes[0]).toMatchObject({
      kind: 'access-gained',
      principal: 'Prod/Orders/ReaderRole',
      capability: 'decrypt',
      actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
      after: { status: 'conditional', conditions: ['StringEquals kms:EncryptionContext:tenant = acme'] },
    });
  });

  test('sarif validates against the SARIF 2.1.0 schema and points at the key in HEAD', async () => {
    const validate = validator(SARIF_SCHEMA);
    const weak = assembly('weak-sarif', { readerDecrypts: true, rotation: false });
    const { code, stdout } = await run(BASE, weak, '--format', 'sarif');
    expect(code).toBe(1);
    const sarif = JSON.parse(stdout);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const results = sarif.runs[0].results;
    expect(results.map((r: any) => r.ruleId)).toEqual(expect.arrayContaining(['diff/access-gained', 'diff/rotation-changed', 'KMS4']));
    const gained = results.find((r: any) => r.ruleId === 'diff/access-gained');
    expect(gained.level).toBe('error');
    expect(gained.locations[0].physicalLocation.artifactLocation.uri).toMatch(/weak-sarif\/assembly-Prod\/ProdOrders[^/]*\.template\.json$/);
    expect(gained.locations[0].physicalLocation.region.startLine).toBeGreaterThan(1);
    expect(sarif.runs[0].tool.driver.rules[gained.ruleIndex].id).toBe('diff/access-gained');
  });
});
