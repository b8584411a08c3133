/* eslint-disable @typescript-eslint/no-require-imports -- cdk-nag (and what loads it) is required after jest.doMock replaced it */
/**
 * The library without cdk-nag (an optional peer): it loads, every construct that accepts cdk-nag
 * findings synthesizes with them recorded for whichever cdk-nag comes later, and only making the
 * cdk-nag pack fails, saying what to install or use instead.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

beforeAll(() => {
  jest.doMock('cdk-nag', () => {
    const error: NodeJS.ErrnoException = new Error("Cannot find module 'cdk-nag' from 'src/lint/nag-compat.ts'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  });
});

test('cdk-nag is not loadable here', () => {
  expect(() => require('cdk-nag')).toThrow(/Cannot find module 'cdk-nag'/);
});

test('the envelope constructs and XksProxy synthesize, their accepted findings recorded in both cdk-nag forms', () => {
  const { EnvelopeEncryptedBucket, EnvelopeEncryptedTable } = require('../../src');
  const app = new App();
  const stack = new Stack(app, 'Envelope', { env: { account: '111122223333', region: 'eu-west-1' } });
  new EnvelopeEncryptedTable(stack, 'Table', { tableProps: { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } } });
  const bucket = new EnvelopeEncryptedBucket(stack, 'Bucket');
  const template = app.synth().getStackByName('Envelope').template;
  const nag2 = Object.values(template.Resources as Record<string, any>).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
  expect(nag2.map((rule: any) => rule.id)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5']));
  const nag3 = bucket.node.findAll().flatMap((c: any) => c.node.metadata.filter((m: any) => m.type === 'aws:cdk:acknowledged-rules'));
  expect(nag3.flatMap((m: any) => Object.keys(m.data))).toContain('AwsSolutions-S1');

  const { makeProxy } = require('../xks/fixtures');
  expect(() => makeProxy().app.synth()).not.toThrow();
});

test('KmsPatternsChecks says what to install, and KmsPatternsValidator needs no cdk-nag', () => {
  const { KmsPatternsChecks, KmsPatternsValidator } = require('../../src');
  expect(() => new KmsPatternsChecks()).toThrow(
    'KmsPatternsChecks needs cdk-nag 2.38+ or 3.0+ installed (npm install --save-dev cdk-nag). ' +
    'KmsPatternsValidator runs the same rules as a policy-validation plugin without cdk-nag.');
  expect(new KmsPatternsValidator().name).toBe('KmsPatternsValidator');
});
