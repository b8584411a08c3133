/**
 * lint and explain understand replica keys: every template of a multi-Region app is clean, KMS13
 * flags a replica whose policy gives other capabilities than its primary's, and explain shows a
 * replica with its Region and primary. Through the API, the CLI and the validation plugin.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { multiRegionApp, PRIMARY_REGION, replicaStackName, REPLICA_REGIONS } from './fixtures';
import { main } from '../../cli';
import { KeyPolicyLinter, KeyPolicyPosture, KeyUser, KmsPatternsValidator, LintSeverity } from '../../src';
import { explainTemplates, renderReport } from '../../src/access/explain';

const EXTRA = 'arn:aws:iam::111111111111:role/extra';

function stackTemplates(posture: KeyPolicyPosture, change?: (f: ReturnType<typeof multiRegionApp>) => void) {
  const f = multiRegionApp(posture);
  change?.(f);
  const assembly = f.app.synth();
  return assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    template: stack.template,
    region: stack.environment.region,
    account: stack.environment.account,
  }));
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await main(argv, { stdout: (text) => { stdout += text; }, stderr: () => undefined });
  return { code, stdout };
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s', (posture) => {
  test('no rule, per resource or across templates, finds anything in the primary and replica stacks', () => {
    const results = KeyPolicyLinter.lintTemplates(stackTemplates(posture));
    expect(results.map((r) => r.stackName).sort()).toEqual(['Primary', ...REPLICA_REGIONS.map(replicaStackName)].sort());
    expect(results.flatMap((r) => r.findings)).toEqual([]);
  });

  test('KMS13 warns about the one replica that gives a principal more than the primary does', () => {
    const extraUser = KeyUser.decrypt(new iam.ArnPrincipal(EXTRA));
    const results = KeyPolicyLinter.lintTemplates(stackTemplates(posture, (f) => f.replicas[1].addUser(extraUser)));
    const findings = results.flatMap((r) => r.findings.map((finding) => ({ stack: r.stackName, ...finding })));
    expect(findings).toEqual([expect.objectContaining({
      stack: replicaStackName(REPLICA_REGIONS[1]),
      ruleId: 'KMS13',
      severity: LintSeverity.WARNING,
      resourceType: 'AWS::KMS::ReplicaKey',
      message: expect.stringMatching(new RegExp(`differs from its primary Primary/OrdersKey\\w+: ${EXTRA} may decrypt: allowed here, denied on the primary$`)),
    })]);
  });

  test('KMS13 sees a condition that differs, not only a principal', () => {
    const results = KeyPolicyLinter.lintTemplates(stackTemplates(posture, (f) => {
      f.key.replicateTo(new Stack(f.app, 'Other', { env: { account: '111111111111', region: 'us-west-2' } }), {
        users: [KeyUser.encryptDecrypt(f.user, { encryptionContext: { tenant: 'acme' } })],
      });
    }));
    const other = results.find((r) => r.stackName === 'Other')!;
    expect(other.findings.map((f) => f.ruleId)).toEqual(['KMS13']);
    expect(other.findings[0].message).toMatch(/may encrypt: conditional if .*kms:EncryptionContext:tenant.* here, allowed on the primary/);
  });

  test('without its primary in the input, a replica is linted by the per-resource rules only', () => {
    const replicaOnly = stackTemplates(posture).filter((t) => t.stackName !== 'Primary');
    expect(KeyPolicyLinter.lintTemplates(replicaOnly).flatMap((r) => r.findings)).toEqual([]);
  });

  test('explain shows each replica with its Region and primary, and the same rows as the primary', () => {
    const report = explainTemplates(stackTemplates(posture));
    const primary = report.keys.find((k) => k.stackName === 'Primary')!;
    for (const region of REPLICA_REGIONS) {
      const replica = report.keys.find((k) => k.stackName === replicaStackName(region))!;
      expect(replica).toMatchObject({ resourceType: 'AWS::KMS::ReplicaKey', region, primaryKey: `Primary / ${primary.logicalId}`, keySpec: 'SYMMETRIC_DEFAULT' });
      // The primary also names each replica Region's execution role (STRICT), which may do nothing listed here.
      const granting = (rows: typeof primary.rows) => rows.filter((row) => Object.values(row.cells).some((c) => c.status !== 'denied' && c.status !== 'not-applicable'));
      // explain spells out each stack's known Region: set it aside (kms:ViaService names each key's own Region).
      const regionless = (rows: typeof primary.rows, keyRegion: string) => JSON.parse(JSON.stringify(granting(rows)).split(keyRegion).join('<Region>'));
      expect(regionless(replica.rows, region)).toEqual(regionless(primary.rows, PRIMARY_REGION));
    }
    expect(primary.region).toBeUndefined();
    expect(renderReport(report, 'markdown')).toContain(`AWS::KMS::ReplicaKey \`${primary.logicalId}\`, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, replica in ${REPLICA_REGIONS[0]} of Primary / ${primary.logicalId}`);
  });
});

describe('the CLI and the validation plugin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-region-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('lint over a cloud assembly reports KMS13 on the differing replica; explain names the replicas', async () => {
    const f = multiRegionApp(KeyPolicyPosture.STRICT);
    f.replicas[0].addUser(KeyUser.decrypt(new iam.ArnPrincipal(EXTRA)));
    const outdir = path.join(dir, 'cdk.out');
    f.app.synth({ force: true });
    fs.cpSync(f.app.outdir, outdir, { recursive: true });

    const lint = await cli(['lint', outdir, '--format', 'json']);
    expect(lint.code).toBe(0); // a warning does not fail at the default --fail-on error
    expect(lint.stdout).toContain('KMS13');
    expect((await cli(['lint', outdir, '--fail-on', 'warning'])).code).toBe(1);
    const sarif = JSON.parse((await cli(['lint', outdir, '--format', 'sarif'])).stdout);
    const rules = sarif.runs[0].tool.driver.rules.map((r: any) => r.id);
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, rules[r.ruleIndex]])).toEqual([['KMS13', 'KMS13']]);

    const explain = await cli(['explain', outdir]);
    expect(explain.stdout).toContain(`replica in ${REPLICA_REGIONS[0]} of Primary /`);
    expect(explain.stdout).toContain(`replica in ${REPLICA_REGIONS[1]} of Primary /`);
  });

  test('the validation plugin reports KMS13 across the stacks of an app', () => {
    const f = multiRegionApp(KeyPolicyPosture.IAM_DELEGATED);
    f.replicas[0].addUser(KeyUser.decrypt(new iam.ArnPrincipal(EXTRA)));
    const report = new KmsPatternsValidator().validate({
      templatePaths: f.app.synth().stacks.map((stack) => stack.templateFullPath),
    });
    expect(report.success).toBe(true);
    expect(report.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => path.basename(r.templatePath))])).toEqual([
      ['KMS13', [`${replicaStackName(REPLICA_REGIONS[0])}.template.json`]],
    ]);
  });
});
