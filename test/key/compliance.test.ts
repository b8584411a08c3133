/**
 * ManagedKey against third-party compliance checks: cdk-nag AwsSolutionsChecks and the Control
 * Tower proactive controls for KMS (CT.KMS.PR.1-3, run with cfn-guard).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KeyPolicyPosture, KeyService, KeyUser, ManagedKey } from '../../src';
import { controlTowerKmsChecks, nagFindings } from '../support/compliance';
import { synthTemplate } from '../support/template';

/** A ManagedKey with administrators, users, a service and L2 grants. */
function keyWithGrants(posture: KeyPolicyPosture): Stack {
  const stack = new Stack(new App(), 'Stack');
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const key = new ManagedKey(stack, 'Key', {
    posture,
    aliases: ['orders'],
    administrators: [role('Admin')],
    users: [
      KeyUser.encryptDecrypt(role('User'), { encryptionContext: { table: 'orders' } }),
      KeyUser.viaService(role('ViaUser'), 'dynamodb'),
    ],
    services: [KeyService.cloudWatchLogs()],
  });
  key.grantEncryptDecrypt(role('Writer'));
  key.grantDecrypt(role('Reader'));
  return stack;
}

describe.each([KeyPolicyPosture.IAM_DELEGATED, KeyPolicyPosture.STRICT])('%s ManagedKey', (posture) => {
  test('cdk-nag AwsSolutionsChecks reports no finding on the key and its grants', () => {
    expect(nagFindings(keyWithGrants(posture))).toEqual([]);
  });

  test('passes CT.KMS.PR.1 (rotation) and CT.KMS.PR.3 (CreateGrant only for AWS resources)', () => {
    const results = controlTowerKmsChecks(synthTemplate(keyWithGrants(posture)));

    expect(results['CT.KMS.PR.1']).toEqual({ status: 'PASS', messages: [] });
    expect(results['CT.KMS.PR.3']).toEqual({ status: 'PASS', messages: [] });
    // PR.2 is about RSA encryption keys; a symmetric key is out of its scope.
    expect(results['CT.KMS.PR.2'].status).not.toBe('FAIL');
  });
});

describe('CT.KMS.PR.2 (RSA key length)', () => {
  test('an RSA_3072 encryption ManagedKey passes, with every KMS control passing or skipped', () => {
    const stack = new Stack(new App(), 'Stack');
    new ManagedKey(stack, 'Key', { keySpec: kms.KeySpec.RSA_3072, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT });

    const results = controlTowerKmsChecks(synthTemplate(stack));

    expect(results['CT.KMS.PR.2'].status).toBe('PASS');
    expect(Object.values(results).map((r) => r.status)).not.toContain('FAIL');
  });
});

describe('the checks are live', () => {
  test('a default kms.Key fails CT.KMS.PR.3 and cdk-nag AwsSolutions-KMS5', () => {
    const stack = new Stack(new App(), 'Stack');
    new kms.Key(stack, 'Key');

    // A default kms.Key on purpose: it does not rotate (our lint rule KMS4).
    const results = controlTowerKmsChecks(synthTemplate(stack, { acceptLintFindings: ['KMS4'] }));
    expect(results['CT.KMS.PR.3'].status).toBe('FAIL');
    expect(results['CT.KMS.PR.3'].messages.join('\n')).toMatch(/limits creation of AWS KMS grants to AWS services/);

    const otherStack = new Stack(new App(), 'Stack');
    new kms.Key(otherStack, 'Key');
    expect(nagFindings(otherStack).map((f) => f.ruleId)).toEqual(['AwsSolutions-KMS5']);
  });

  test('a ManagedKey without the CreateGrant guard fails CT.KMS.PR.3', () => {
    const stack = new Stack(new App(), 'Stack');
    new ManagedKey(stack, 'Key', { createGrantGuard: false });

    expect(controlTowerKmsChecks(synthTemplate(stack))['CT.KMS.PR.3'].status).toBe('FAIL');
  });
});
