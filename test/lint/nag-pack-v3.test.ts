/* eslint-disable @typescript-eslint/no-require-imports -- cdk-nag (and what loads it) is required after jest.doMock replaced it */
/**
 * The library under cdk-nag 3 (installed into .tmp by test/support/cdk-nag-3.ts): KmsPatternsChecks
 * runs as a cdk-nag 3 validation plugin, acknowledgements work the cdk-nag 3 way, and the constructs
 * that accept AwsSolutions findings are clean under cdk-nag 3's AwsSolutionsChecks.
 */
import { App, Aspects, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { installCdkNag3 } from '../support/cdk-nag-3';

const ENV = { account: '111122223333', region: 'eu-west-1' };

// Every require('cdk-nag') in this file's module registry (the library's included) gets cdk-nag 3.
let cdkNag3Dir: string;
beforeAll(() => {
  cdkNag3Dir = installCdkNag3();
  jest.doMock('cdk-nag', () => jest.requireActual(cdkNag3Dir));
}, 120_000);

function lib(): typeof import('../../src') {
  return require('../../src');
}

/** `ruleName constructPath` of every violation. */
function violations(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${v.severity} ${(r as any).constructPath}`)).sort();
}

function legacyKey(stack: Stack): kms.Key {
  const key = new kms.Key(stack, 'Legacy', { enableKeyRotation: true });
  key.grantDecrypt(new iam.AnyPrincipal());
  return key;
}

test('the installed cdk-nag is 3.x', () => {
  expect(require(`${cdkNag3Dir}/package.json`).version).toMatch(/^3\./);
  expect(require('cdk-nag').NagSuppressions).toBeUndefined();
});

describe('KmsPatternsChecks on cdk-nag 3', () => {
  test('reports a legacy kms.Key per finding, at its level; ManagedKeys in both postures have none', () => {
    const { KeyPolicyPosture, KmsPatternsChecks, ManagedKey } = lib();
    const app = new App();
    const stack = new Stack(app, 'Platform', { env: ENV });
    legacyKey(stack);
    new ManagedKey(stack, 'Delegated', { posture: KeyPolicyPosture.IAM_DELEGATED });
    new ManagedKey(stack, 'Strict', { posture: KeyPolicyPosture.STRICT });
    const pack = new KmsPatternsChecks();
    expect(pack.name).toBe('KmsPatterns');
    const report = pack.validateScope(app);
    expect(report.success).toBe(false);
    expect(violations(report)).toEqual([
      'KmsPatterns-KMS1[Properties.KeyPolicy.Statement.1] error Platform/Legacy/Resource',
      'KmsPatterns-KMS5[Properties.KeyPolicy] warning Platform/Legacy/Resource',
    ]);
  });

  test('findings are acknowledged the cdk-nag 3 way: one finding by its id', () => {
    const { KmsPatternsChecks } = lib();
    const app = new App();
    const key = legacyKey(new Stack(app, 'Platform', { env: ENV }));
    Validations.of(key).acknowledge(
      { id: 'KmsPatterns-KMS1[Properties.KeyPolicy.Statement.1]', reason: 'Public decryption of the release signatures is intended' },
      { id: 'KmsPatterns-KMS5[Properties.KeyPolicy]', reason: 'Only the platform role may create grants (SCP)' },
    );
    expect(violations(new KmsPatternsChecks().validateScope(app))).toEqual([]);
  });

  test('runs as a plugin registered with Validations.of(app).addPlugins when aws-cdk-lib hands over the construct tree', () => {
    const { KmsPatternsChecks } = lib();
    const app = new App();
    legacyKey(new Stack(app, 'Platform', { env: ENV }));
    const pack = new KmsPatternsChecks({ verbose: true });
    const report = pack.validate({ templatePaths: [], appConstruct: app } as any);
    expect(violations(report)).toHaveLength(2);
    expect(report.violations[0].description).toMatch(/Fix: /); // verbose adds the fix
  });

  test('added as an Aspect (the cdk-nag 2 way) it fails the synth with the fix', () => {
    const { KmsPatternsChecks } = lib();
    const app = new App();
    legacyKey(new Stack(app, 'Platform', { env: ENV }));
    Aspects.of(app).add(new KmsPatternsChecks());
    expect(() => app.synth()).toThrow(/with cdk-nag 3, register the pack as a validation plugin: Validations\.of\(app\)\.addPlugins/);
  });
});

describe('constructs under cdk-nag 3 AwsSolutionsChecks', () => {
  test('EnvelopeEncryptedTable and EnvelopeEncryptedBucket have no unacknowledged finding', () => {
    const { EnvelopeEncryptedBucket, EnvelopeEncryptedTable } = lib();
    const { AwsSolutionsChecks } = require('cdk-nag');
    const app = new App();
    const stack = new Stack(app, 'Envelope', { env: ENV });
    new EnvelopeEncryptedTable(stack, 'Table', { tableProps: { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } } });
    new EnvelopeEncryptedBucket(stack, 'Bucket');
    const report: PolicyValidationPluginReport = new AwsSolutionsChecks().validateScope(app);
    expect(violations(report)).toEqual([]);
  });

  test('XksProxy has no unacknowledged finding (ids with "::" in the finding included)', () => {
    const { makeProxy } = require('../xks/fixtures');
    const { AwsSolutionsChecks } = require('cdk-nag');
    const { app } = makeProxy();
    expect(violations(new AwsSolutionsChecks().validateScope(app))).toEqual([]);
  });
});
