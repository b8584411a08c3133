import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { controlTowerKmsChecks, nagFindings } from './compliance';
import { synthTemplate } from './template';

function newStack(): Stack {
  return new Stack(new App(), 'Stack');
}

/** The CT.KMS.PR.3 statement: only AWS services may create grants. */
const createGrantGuard = () => new iam.PolicyStatement({
  effect: iam.Effect.DENY,
  principals: [new iam.AnyPrincipal()],
  actions: ['kms:CreateGrant'],
  resources: ['*'],
  conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
});

describe('nagFindings', () => {
  test('reports AwsSolutions-KMS5 for a key without rotation', () => {
    const stack = newStack();
    new kms.Key(stack, 'Key');

    expect(nagFindings(stack)).toEqual([
      expect.objectContaining({ ruleId: 'AwsSolutions-KMS5', level: 'Error', path: 'Stack/Key/Resource' }),
    ]);
  });

  test('reports nothing for a rotating key', () => {
    const stack = newStack();
    new kms.Key(stack, 'Key', { enableKeyRotation: true });

    expect(nagFindings(stack)).toEqual([]);
  });

  test('leaves suppressed findings out', () => {
    const stack = newStack();
    new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
    NagSuppressions.addStackSuppressions(stack, [{ id: 'AwsSolutions-S1', reason: 'test: access logs are out of scope' }]);

    expect(nagFindings(stack).map((f) => f.ruleId)).toEqual([]);
  });

  test('refuses a stack whose App was already synthesized', () => {
    const stack = newStack();
    new kms.Key(stack, 'Key');
    synthTemplate(stack, { acceptLintFindings: ['KMS4'] }); // a default kms.Key: it does not rotate

    expect(() => nagFindings(stack)).toThrow(/evaluated nothing/);
  });
});

describe('controlTowerKmsChecks', () => {
  test('a default kms.Key fails rotation (PR.1) and the CreateGrant guard (PR.3)', () => {
    const stack = newStack();
    new kms.Key(stack, 'Key');

    // A default kms.Key on purpose: it does not rotate (our lint rule KMS4).
    const results = controlTowerKmsChecks(synthTemplate(stack, { acceptLintFindings: ['KMS4'] }));

    expect(results['CT.KMS.PR.1']).toEqual({ status: 'FAIL', messages: [expect.stringMatching(/^\[CT\.KMS\.PR\.1\]: Require any AWS KMS key to have rotation configured/)] });
    expect(results['CT.KMS.PR.3']).toMatchObject({ status: 'FAIL', messages: [expect.stringMatching(/^\[CT\.KMS\.PR\.3\]/)] });
  });

  test('a rotating key with the CreateGrant guard passes PR.1 and PR.3', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    key.addToResourcePolicy(createGrantGuard());

    const results = controlTowerKmsChecks(synthTemplate(stack));

    expect(results['CT.KMS.PR.1']).toEqual({ status: 'PASS', messages: [] });
    expect(results['CT.KMS.PR.3']).toEqual({ status: 'PASS', messages: [] });
  });

  test('an RSA_2048 encryption key fails PR.2, RSA_3072 passes', () => {
    const rsaKey = (keySpec: kms.KeySpec) => {
      const stack = newStack();
      new kms.Key(stack, 'Key', { keySpec, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT });
      return controlTowerKmsChecks(synthTemplate(stack))['CT.KMS.PR.2'].status;
    };

    expect(rsaKey(kms.KeySpec.RSA_2048)).toBe('FAIL');
    expect(rsaKey(kms.KeySpec.RSA_3072)).toBe('PASS');
  });

  test('a template without keys skips every rule', () => {
    const stack = newStack();
    new s3.Bucket(stack, 'Bucket');

    const statuses = Object.values(controlTowerKmsChecks(synthTemplate(stack))).map((r) => r.status);

    expect(statuses).toEqual(['SKIP', 'SKIP', 'SKIP']);
  });
});
