import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import {
  INagLogger, NagLoggerComplianceData, NagLoggerErrorData, NagLoggerNonComplianceData, NagLoggerNotApplicableData,
  NagLoggerSuppressedData, NagLoggerSuppressedErrorData, NagSuppressions,
} from 'cdk-nag';
import {
  EnvelopeEncryptedBucket, EnvelopeEncryptedTable, KeyCapability, KeyPolicyLinter, KeyPolicyPosture, KeyService, KeyUser,
  KmsPatternsChecks, KmsPatternsValidator, LintSeverity, ManagedKey,
} from '../../src';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'lint', 'templates');

interface NagResult {
  readonly ruleId: string;
  readonly level: string;
  readonly path: string;
  readonly findingId: string;
  readonly suppressionReason?: string;
}

/** Records every non-compliance, suppression and rule error of the pack. */
class Recorder implements INagLogger {
  readonly results: NagResult[] = [];
  readonly errors: string[] = [];
  onCompliance(_data: NagLoggerComplianceData): void {}
  onNotApplicable(_data: NagLoggerNotApplicableData): void {}
  onNonCompliance(data: NagLoggerNonComplianceData): void {
    this.results.push({ ruleId: data.ruleId, level: data.ruleLevel, path: data.resource.node.path, findingId: data.findingId });
  }
  onSuppressed(data: NagLoggerSuppressedData): void {
    this.results.push({
      ruleId: data.ruleId, level: data.ruleLevel, path: data.resource.node.path, findingId: data.findingId, suppressionReason: data.suppressionReason,
    });
  }
  onError(data: NagLoggerErrorData): void {
    this.errors.push(`${data.ruleId}: ${data.errorMessage}`);
  }
  onSuppressedError(data: NagLoggerSuppressedErrorData): void {
    this.errors.push(`${data.ruleId}: ${data.errorMessage}`);
  }
}

function runPack(app: App): NagResult[] {
  const recorder = new Recorder();
  Aspects.of(app).add(new KmsPatternsChecks({ reports: false, additionalLoggers: [recorder] }));
  app.synth();
  expect(recorder.errors).toEqual([]);
  return recorder.results;
}

function roles(stack: Stack) {
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { admin: role('Admin'), app: role('App'), reader: role('Reader') };
}

/** A ManagedKey with administrators, users with every kind of condition, a service and AWS-resource grants. */
function typicalManagedKey(stack: Stack, posture: KeyPolicyPosture, id = 'Key'): ManagedKey {
  const { admin, app, reader } = roles(stack);
  const key = new ManagedKey(stack, id, { posture, administrators: [admin], aliases: ['orders'], services: [KeyService.cloudWatchLogs()] });
  key.addUser(KeyUser.encryptDecrypt(app, { encryptionContext: { table: 'orders' }, allowedEncryptionContextKeys: ['table', 'pk'] }));
  key.addUser(KeyUser.decrypt(reader));
  key.addUser(KeyUser.grantForAwsResources(app));
  key.addUser(KeyUser.viaService(reader, 'dynamodb'));
  return key;
}

describe('KmsPatternsChecks (cdk-nag pack)', () => {
  test.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('a typical ManagedKey (%s) has no findings at all', (posture) => {
    const app = new App();
    typicalManagedKey(new Stack(app, 'Platform', { env: ENV }), posture);
    expect(runPack(app)).toEqual([]);
  });

  test.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('a default ManagedKey (%s) has no findings at all', (posture) => {
    const app = new App();
    new ManagedKey(new Stack(app, 'Platform', { env: ENV }), 'Key', { posture });
    expect(runPack(app)).toEqual([]);
  });

  test('every kind of key the library builds is clean: envelope patterns, multi-Region, signing, HMAC, services, cross-account', () => {
    const app = new App();
    const stack = new Stack(app, 'Library', { env: ENV });
    new EnvelopeEncryptedBucket(stack, 'Bucket');
    new EnvelopeEncryptedTable(stack, 'Table', { tableProps: { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } } });
    new EnvelopeEncryptedTable(stack, 'TenantTable', {
      tableProps: { partitionKey: { name: 'tenant', type: dynamodb.AttributeType.STRING } },
      branchKeys: { tenants: ['acme', 'globex'], tenantAttribute: 'tenant' },
    });
    new ManagedKey(stack, 'MultiRegion', { multiRegion: true });
    new ManagedKey(stack, 'Signing', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY });
    new ManagedKey(stack, 'Mac', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC });
    const audit = new ManagedKey(stack, 'Audit', { posture: KeyPolicyPosture.STRICT, services: [KeyService.cloudTrail(), KeyService.cloudWatchLogs()] });
    audit.addUser(KeyUser.crossAccount('444455556666', KeyCapability.DECRYPT));
    expect(runPack(app)).toEqual([]);
  });

  test('a kms.Key with a wildcard grant is flagged as an error with the statement as finding id', () => {
    const app = new App();
    const stack = new Stack(app, 'Legacy', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    key.grantDecrypt(new iam.AnyPrincipal());
    const results = runPack(app);
    expect(results).toContainEqual({ ruleId: 'KmsPatterns-KMS1', level: 'Error', path: 'Legacy/Key/Resource', findingId: 'Properties.KeyPolicy.Statement.1' });
    // kms.Key has no CreateGrant guard: a warning.
    expect(results).toContainEqual(expect.objectContaining({ ruleId: 'KmsPatterns-KMS5', level: 'Warning' }));
  });

  test('findings are suppressible the cdk-nag way, and the reason is reported', () => {
    const app = new App();
    const stack = new Stack(app, 'Legacy', { env: ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    key.grantDecrypt(new iam.AnyPrincipal());
    NagSuppressions.addResourceSuppressions(key, [
      { id: 'KmsPatterns-KMS1', reason: 'Public decryption of the release signatures is intended', appliesTo: ['Properties.KeyPolicy.Statement.1'] },
      { id: 'KmsPatterns-KMS5', reason: 'Only the platform role may create grants (SCP)' },
    ]);
    const results = runPack(app);
    expect(results.find((r) => r.ruleId === 'KmsPatterns-KMS1')?.suppressionReason)
      .toBe('[Properties.KeyPolicy.Statement.1] Public decryption of the release signatures is intended');
    expect(results.find((r) => r.ruleId === 'KmsPatterns-KMS5')?.suppressionReason).toBe('Only the platform role may create grants (SCP)');
  });

  test('a rule with two levels reports each at its own level (rotation over 365 days is a warning)', () => {
    const app = new App();
    const stack = new Stack(app, 'Slow', { env: ENV });
    new ManagedKey(stack, 'Key', {});
    const cfnKey = new kms.Key(stack, 'Plain', { enableKeyRotation: true }).node.defaultChild as kms.CfnKey;
    cfnKey.addPropertyOverride('RotationPeriodInDays', 730);
    const results = runPack(app).filter((r) => r.ruleId === 'KmsPatterns-KMS4');
    expect(results).toEqual([expect.objectContaining({ level: 'Warning', path: 'Slow/Plain/Resource', findingId: 'Properties.RotationPeriodInDays' })]);
  });

  test('hand-written templates imported with CfnInclude are checked with the same rules', () => {
    const app = new App();
    const stack = new Stack(app, 'Imported', { env: ENV });
    new cfninc.CfnInclude(stack, 'Console', { templateFile: path.join(FIXTURES, 'console-default-key-policy.json') });
    new cfninc.CfnInclude(stack, 'Guard', { templateFile: path.join(FIXTURES, 'guard-regressions.json') });
    new cfninc.CfnInclude(stack, 'Yaml', { templateFile: path.join(FIXTURES, 'short-form.yaml'), parameters: { OrgId: 'o-abc123' } });
    const results = runPack(app).map((r) => `${r.ruleId} ${r.level} ${r.path}`);
    expect(results.sort()).toEqual([
      'KmsPatterns-KMS1 Error Imported/Guard/PublicKey',
      'KmsPatterns-KMS2 Error Imported/Console/AppKey',
      'KmsPatterns-KMS2 Error Imported/Console/AppKey',
      'KmsPatterns-KMS5 Warning Imported/Console/AppKey',
      'KmsPatterns-KMS6 Error Imported/Yaml/DataKey',
    ]);
  });
});

describe('KmsPatternsValidator (policy-validation plugin)', () => {
  function writeTemplate(dir: string, name: string, template: object): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  }

  test('reports violations by rule with logical ids, locations, messages and the fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kms-validator-'));
    const guard = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'guard-regressions.json'), 'utf-8'));
    const clean = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'clean.json'), 'utf-8'));
    const files = [writeTemplate(dir, 'Guard.template.json', guard), writeTemplate(dir, 'Clean.template.json', clean)];
    const report = new KmsPatternsValidator().validate({ templatePaths: files });
    expect(report.success).toBe(false);
    expect(report.violations).toEqual([{
      ruleName: 'KMS1',
      description: expect.stringMatching(/^wildcard-principal: /),
      fix: KeyPolicyLinter.rules()[0].fix,
      severity: 'error',
      violatingResources: [{
        resourceLogicalId: 'PublicKey',
        templatePath: files[0],
        locations: ['Properties.KeyPolicy.Statement.1: statement "Anyone" allows a wildcard principal without a restricting condition'],
      }],
    }]);
  });

  test('warnings are reported but only fail with failOn: WARNING', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kms-validator-'));
    const clean = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'clean.json'), 'utf-8'));
    delete clean.Resources.CleanKey.DeletionPolicy;
    const files = [writeTemplate(dir, 'Warn.template.json', clean)];
    const lenient = new KmsPatternsValidator().validate({ templatePaths: files });
    expect(lenient.success).toBe(true);
    expect(lenient.violations.map((v) => `${v.ruleName} ${v.severity}`)).toEqual(['KMS11 warning']);
    expect(new KmsPatternsValidator({ failOn: LintSeverity.WARNING }).validate({ templatePaths: files }).success).toBe(false);
  });

  test.each(['Validations.of(app).addPlugins', 'policyValidationBeta1'])('runs inside the CDK (%s) and writes the report; no cdk-nag needed', (registration) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kms-validator-app-'));
    // Report only (no console report, no process.exitCode) so the test run is not marked failed.
    const context = { '@aws-cdk/core:failSynthOnValidationErrors': false };
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {}); // policyValidationBeta1 is deprecated
    const app = registration === 'policyValidationBeta1'
      ? new App({ outdir, context, policyValidationBeta1: [new KmsPatternsValidator()] })
      : new App({ outdir, context });
    warn.mockRestore();
    if (registration !== 'policyValidationBeta1') Validations.of(app).addPlugins(new KmsPatternsValidator());
    const stack = new Stack(app, 'Legacy', { env: ENV });
    new kms.Key(stack, 'Key', { enableKeyRotation: true }).grantDecrypt(new iam.AnyPrincipal());
    typicalManagedKey(stack, KeyPolicyPosture.STRICT, 'Managed');
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      app.synth();
    } finally {
      spy.mockRestore();
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'policy-validation-report.json'), 'utf-8'));
    const [plugin] = report.pluginReports;
    expect(plugin.summary).toEqual(expect.objectContaining({ status: 'failure', pluginName: 'KmsPatternsValidator' }));
    const kms1 = plugin.violations.find((v: any) => v.ruleName === 'KMS1');
    expect(kms1.violatingConstructs).toEqual([expect.objectContaining({
      resourceLogicalId: expect.stringMatching(/^Key[0-9A-F]{8}$/),
      constructPath: 'Legacy/Key/Resource',
    })]);
    // The ManagedKey in the same stack has no violation at all.
    const paths = plugin.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => c.constructPath));
    expect(paths.filter((p: string) => p.startsWith('Legacy/Key/'))).toEqual(paths);
  });
});
